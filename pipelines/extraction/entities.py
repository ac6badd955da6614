"""Entities and entity mentions: a curated gazetteer matched by one Aho-Corasick automaton.

Pure functions (text in, records out); what counts as a mention is ENTITY-RULES.md:

- one automaton over every alias (apostrophes and hyphens normalised), run on the text as written;
  case-insensitive aliases (``entente``) are entered in their case variants;
- word boundaries on both sides; a hyphen glued to either side disqualifies the hit unless the whole
  hyphenated form is itself an alias (``Franco-Soviet`` → nothing, ``Brest-Litovsk`` → place);
- longest match wins (``Genoa Conference`` is one event, ``Hitler Germany`` one state);
- spans never hold an article, title or possessive: aliases are written without them and a
  trailing ``'s`` is simply left outside the span;
- ``<state adjective> Government`` is one organisation mention, generated from ``adjectives`` in
  states.yaml (method ``pattern``); adjectives alone are never aliases;
- aliases listed under ``titled`` count only right after a title (``Colonel House``; ``pattern``);
- an alias shared by several entities (``Chamberlain``, ``Wilson``) is resolved from context —
  an unambiguous mention of one candidate in the same paragraph, a year of the paragraph inside
  one candidate's ``active`` years, or the nearest earlier mention in the same source — and is
  left unlinked (no row) when none of these decides;
- a ``generic`` name (``Provisional Government``, ``Central Executive Committee``, ``Congress of
  Soviets``) is not a mention when qualified — by a state adjective, a possessive or another
  capitalised word before it (``Polish``, ``Ukrainian``, ``Karelian``, ``Poland's``), or by ``of`` +
  a state or place after it; an entity's ``context`` words in the paragraph pick between
  candidates sharing such a name (``General Headquarters`` with Ludendorff → the German one).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import yaml

GAZETTEER_DIR = Path(__file__).resolve().parent / "gazetteer"
TYPE_FILES = {
    "person": "people.yaml",
    "state": "states.yaml",
    "place": "places.yaml",
    "organisation": "organisations.yaml",
    "publication": "publications.yaml",
    "event": "events.yaml",
    "treaty": "treaties.yaml",
}
TYPES = tuple(TYPE_FILES)

# one-to-one character normalisation, so offsets in the normalised text are offsets in the text
_NORM = str.maketrans({
    "’": "'", "‘": "'", "ʹ": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'",
    "‐": "-", "‑": "-", "‒": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})
_NORM_PAIRS = tuple((chr(k), v) for k, v in _NORM.items())
_HYPHENS = "-"
_TITLE_RE = re.compile(
    r"(?:\b(?:Mr|Mrs|M|Messrs|Herr|Comrade|Cde|Citizen|General|Gen|Colonel|Col|Admiral|Marshal|Lord|Sir|"
    r"President|Premier|Chancellor|Kaiser|Emperor|Ambassador|Baron|Count|Viscount|Dr|Professor|Prof|"
    r"Captain|Major|Senator|Secretary|Minister|Emir|Shah|King|Tsar|Envoy|Consul|Reichschancellor)\.?\s)$"
)
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                           "Æ": "AE", "œ": "oe", "ı": "i", "–": "-", "—": "-"})
_YEAR_RE = re.compile(r"\b(1[89]\d\d)\b")
_ARTICLES = {"The", "A", "An"}
_ORDINALS = {"First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
             "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth",
             "Eighteenth", "Nineteenth", "Twentieth", "Extraordinary"}
_NOT_QUALIFIERS = _ARTICLES | _ORDINALS | {"Party"}  # "Party Central Committee" is still the CC
_PREV_TOKEN_RE = re.compile(r"([\w'-]+)\s+$")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;(\[\u201c\"\u2014\u2013]\s*)$")
_OF_RE = re.compile(r"\s+of\s+(?:the\s+)?(?:[a-z]+\s+)?")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CONTEXT_WINDOW = 60  # paragraphs of the same source an earlier mention can resolve an ambiguous one


def slugify(name: str) -> str:
    """``Édouard Herriot`` → ``edouard-herriot`` (ASCII, lower-case, hyphen-separated)."""
    s = unicodedata.normalize("NFKD", name.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def normalize(text: str) -> str:
    """Same-length normalisation used for matching: apostrophes, hyphens and spaces unified."""
    for src, dst in _NORM_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    return text


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass(frozen=True)
class Entity:
    entity_id: str
    type: str
    name: str
    active: tuple[int, int] | None = None
    context: tuple[str, ...] = ()  # words in the paragraph that point to this entity (shared aliases)


@dataclass(frozen=True)
class AliasForm:
    form: str  # normalised form as written (case kept)
    entity_ids: tuple[str, ...]
    case_sensitive: bool = True
    titled: bool = False  # counts only right after a title
    standalone: bool = False  # not when glued to a preceding capitalised word
    method: str = "gazetteer"
    generic: bool = False  # a generic name: not a mention when qualified (Polish Provisional Government)


class Mention(NamedTuple):
    """One entity mention: offsets into the text given to ``find_mentions``."""

    char_start: int
    char_end: int
    surface: str
    entity_id: str
    method: str  # "gazetteer" or "pattern"


class _Candidate(NamedTuple):
    char_start: int
    char_end: int
    surface: str
    entity_ids: tuple[str, ...]
    method: str
    generic: bool = False


@dataclass
class Gazetteer:
    entities: dict[str, Entity] = field(default_factory=dict)
    forms: dict[str, list[AliasForm]] = field(default_factory=dict)  # automaton key → alias forms
    automaton: ahocorasick.Automaton | None = None
    adjectives: frozenset[str] = frozenset()  # state adjectives: qualifiers of a generic name
    context_res: dict[str, re.Pattern] = field(default_factory=dict)  # entity_id → its context words
    own_words: dict[str, frozenset[str]] = field(default_factory=dict)  # entity_id → words that don't qualify it

    def __len__(self) -> int:
        return len(self.entities)


# ------------------------------------------------------------------------------------------
# loading


def _as_list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def _name_is_alias(entry: dict, name: str) -> bool:
    if "name_is_alias" in entry:
        return bool(entry["name_is_alias"])
    first = name.split()[0] if name.split() else ""
    return "," not in name and "(" not in name and first not in {"Lord", "Sir", "Lady"} and name[:1].isupper()


def _initial_variants(initials: str, surname: str) -> list[str]:
    """``G. V.`` + ``Chicherin`` → ``G. V. Chicherin``, ``G.V. Chicherin``, ``GV Chicherin``."""
    letters = re.findall(r"[A-Z][a-z]?", initials)
    if not letters:
        return [f"{initials} {surname}"]
    spaced = " ".join(f"{x}." for x in letters)
    tight = "".join(f"{x}." for x in letters)
    bare = "".join(letters)
    return list(dict.fromkeys([f"{initials} {surname}", f"{spaced} {surname}", f"{tight} {surname}", f"{bare} {surname}"]))


def _entry_aliases(etype: str, entry: dict) -> tuple[list[str], list[str]]:
    """(aliases, titled-only aliases) of one gazetteer entry."""
    name = str(entry["name"])
    aliases = []
    if _name_is_alias(entry, name):
        aliases.append(name)
    aliases += _as_list(entry.get("aliases"))
    if etype == "person":
        surname = str(entry.get("surname") or name.split()[-1])
        for ini in _as_list(entry.get("initials")):
            aliases += _initial_variants(ini, surname)
        if entry.get("bare", True) and surname != name:
            aliases.append(surname)
    return aliases, _as_list(entry.get("titled"))


def _case_variants(form: AliasForm) -> list[str]:
    """The automaton runs on the text as written (so ``US`` never fires inside ``thus``); a
    case-insensitive alias is entered as written, lower-cased, capitalised and upper-cased."""
    if form.case_sensitive:
        return [form.form]
    f = form.form
    return list(dict.fromkeys([f, _lower_same_length(f), f[:1].upper() + f[1:], f.upper() if len(f.upper()) == len(f) else f]))


def load_gazetteer(directory: str | Path | None = None) -> Gazetteer:
    """Read every ``<type>.yaml`` of the gazetteer directory (``treaties.yaml`` if present) and
    compile one automaton over all aliases."""
    directory = Path(directory) if directory else GAZETTEER_DIR
    gaz = Gazetteer()
    raw: dict[str, dict] = {}  # normalised form → {entity_ids, case_sensitive, titled, standalone, method}

    all_adjectives: set[str] = set()

    def add(form: str, eid: str, *, case_sensitive=True, titled=False, standalone=False, method="gazetteer",
            generic=False):
        form = normalize(form.strip())
        if not form:
            return
        key = (form if case_sensitive else form.lower(), titled)
        slot = raw.setdefault(key, {"form": form, "ids": [], "cs": case_sensitive, "titled": titled,
                                    "standalone": standalone, "method": method, "generic": generic})
        if eid not in slot["ids"]:
            slot["ids"].append(eid)
        slot["standalone"] = slot["standalone"] or standalone
        slot["generic"] = slot["generic"] or generic

    for etype, fname in TYPE_FILES.items():
        path = directory / fname
        if not path.exists():
            continue
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("name"):
                continue
            name = str(entry["name"])
            eid = f"{etype}:{entry.get('id') or slugify(name)}"
            active = entry.get("active")
            context = tuple(_as_list(entry.get("context")))
            if eid not in gaz.entities:
                gaz.entities[eid] = Entity(eid, etype, name, tuple(active) if active else None, context)
            if context:
                words = "|".join(re.escape(normalize(w)) for w in context)
                gaz.context_res[eid] = re.compile(rf"\b(?:{words})\b")
            if entry.get("not_qualifiers"):
                gaz.own_words[eid] = frozenset(normalize(w) for w in _as_list(entry["not_qualifiers"]))
            cs = bool(entry.get("case_sensitive", True))
            standalone = set(_as_list(entry.get("standalone")))
            generic = set(_as_list(entry.get("generic")))
            aliases, titled = _entry_aliases(etype, entry)
            for a in aliases + [g for g in generic if g not in aliases]:
                add(a, eid, case_sensitive=cs, standalone=a in standalone, generic=a in generic)
            for a in titled:
                add(a, eid, case_sensitive=cs, titled=True, method="pattern")
            if etype == "state":
                adjectives = _as_list(entry.get("adjectives"))
                all_adjectives.update(normalize(x) for x in adjectives + _as_list(entry.get("qualifiers")))
                if adjectives:
                    gname = str(entry.get("government") or f"Government of {name}")
                    gid = f"organisation:{slugify(gname)}"
                    if gid not in gaz.entities:
                        gaz.entities[gid] = Entity(gid, "organisation", gname)
                    for adj in adjectives:
                        for noun in ("Government", "government"):
                            add(f"{adj} {noun}", gid, method="pattern")

    auto = ahocorasick.Automaton()
    for slot in raw.values():
        form = AliasForm(slot["form"], tuple(slot["ids"]), slot["cs"], slot["titled"], slot["standalone"], slot["method"],
                         slot["generic"])
        for variant in _case_variants(form):
            gaz.forms.setdefault(variant, []).append(form)
    for key in gaz.forms:
        auto.add_word(key, key)
    gaz.adjectives = frozenset(all_adjectives)
    if len(auto):
        auto.make_automaton()
        gaz.automaton = auto
    return gaz


# ------------------------------------------------------------------------------------------
# matching


def _boundary_ok(norm: str, start: int, end: int) -> bool:
    if start > 0:
        c = norm[start - 1]
        if c.isalnum() or c in _HYPHENS or c == "'" and start > 1 and norm[start - 2].isalpha():
            return False
    if end < len(norm):
        c = norm[end]
        if c.isalpha() or c in _HYPHENS and end + 1 < len(norm) and norm[end + 1].isalnum():
            return False
        # an alias ending in a letter glued to a digit is an endnote marker (Deputies1): allowed
    return True


def _prev_word_capitalised(norm: str, start: int) -> bool:
    m = re.search(r"([A-Z][\w']*)\s$", norm[max(0, start - 40):start])
    return bool(m) and m.group(1) not in _ARTICLES


def _qualifier_before(norm: str, start: int, adjectives: frozenset[str], own: frozenset[str] = frozenset()) -> bool:
    """True when the word before ``start`` qualifies a generic name: a state adjective
    (``Ukrainian``, ``Austrian``), a possessive (``Poland's``), or any other capitalised word that
    does not open a sentence and is not an article or ordinal (``Karelian``, ``All-Ukraine``);
    also a lowercase word after such a possessive or adjective (``Poland's democratic``). Words in
    ``own`` (the entity's ``not_qualifiers``: ``Party``, ``Soviet`` for the CC) never qualify."""
    prefix = norm[max(0, start - 80):start]
    for depth in (0, 1):
        m = _PREV_TOKEN_RE.search(prefix)
        if not m:
            return False
        tok, before = m.group(1), prefix[:m.start()]
        if tok.removesuffix("'s") in own or tok.removesuffix("'s") in _NOT_QUALIFIERS:
            return False
        if tok.endswith("'s") and tok[:1].isupper() or tok in adjectives:
            return True
        if tok[:1].isupper():
            return depth == 0 and tok not in _NOT_QUALIFIERS and not _SENTENCE_START_RE.search(before)
        prefix = before  # a lowercase word: look once more behind it
    return False


def _qualified(span: tuple[int, int, AliasForm], norm: str, chosen: list[tuple[int, int, AliasForm]], gaz: Gazetteer) -> bool:
    """A generic name (``Provisional Government``, ``Central Executive Committee``) names another
    body when qualified: by a word before it (see ``_qualifier_before``) or by ``of`` + a state or
    place or a state adjective after it (``Provisional Government of France``, ``... of democratic
    Poland``, ``Central Committee of the Mongolian ... Party``). ``span`` and ``chosen`` are
    (start, end, form) of ``_spans``."""
    start, end, form = span
    own = frozenset().union(*(gaz.own_words.get(e, frozenset()) for e in form.entity_ids))
    if _qualifier_before(norm, start, gaz.adjectives, own):
        return True
    m = _OF_RE.match(norm, end)
    if m:
        word = re.match(r"[\w'-]+", norm[m.end():m.end() + 40])
        if word and word.group(0) in gaz.adjectives and word.group(0) not in own:
            return True
        for o_start, _, o_form in chosen:
            if o_start == m.end():
                return any(gaz.entities[e].type in ("state", "place") for e in o_form.entity_ids)
    return False


def _candidates(text: str, gaz: Gazetteer) -> list[_Candidate]:
    """Every alias hit that passes the boundary, case and context rules (longest first where
    hits overlap), in text order."""
    if gaz.automaton is None or not text:
        return []
    return [_Candidate(s, e, text[s:e], f.entity_ids, f.method, f.generic) for s, e, f in _spans(normalize(text), gaz)]


def _spans(norm: str, gaz: Gazetteer) -> list[tuple[int, int, AliasForm]]:
    """``_candidates`` as (start, end, alias form), in the normalised text ``norm`` (plain tuples:
    cheaper than a record per hit)."""
    forms_of = gaz.forms
    hits: list[tuple[int, int, AliasForm]] = []
    reach = 0  # the furthest end of a hit so far
    overlaps = False
    for end_idx, key in gaz.automaton.iter(norm):  # hits by end
        end = end_idx + 1
        start = end - len(key)
        if not _boundary_ok(norm, start, end):
            continue
        for form in forms_of[key]:
            if form.titled and not _TITLE_RE.search(norm[max(0, start - 30):start]):
                continue
            if form.standalone and _prev_word_capitalised(norm, start):
                continue
            hits.append((start, end, form))
            overlaps = overlaps or start < reach
            reach = end if end > reach else reach
            break
    if overlaps:  # else the hits are apart, in text order
        hits = _longest(hits, len(norm))
    if any(f.generic for _, _, f in hits):
        hits = [h for h in hits if not (h[2].generic and _qualified(h, norm, hits, gaz))]
    return hits


def _longest(hits: list[tuple[int, int, AliasForm]], n: int) -> list[tuple[int, int, AliasForm]]:
    """Of overlapping hits (start, end, form), the longest wins; among equals, the earlier one.
    In text order."""
    # (-length, start, end, form): one hit per (start, length), so sorting never compares forms
    ranked = sorted((start - end, start, end, form) for start, end, form in hits)
    taken = bytearray(n)  # 1 for each character inside a chosen span
    chosen: list[tuple[int, int, AliasForm]] = []
    for _, start, end, form in ranked:
        if taken.find(1, start, end) != -1:  # overlaps a longer (or earlier) hit
            continue
        taken[start:end] = b"\x01" * (end - start)
        chosen.append((start, end, form))
    chosen.sort(key=itemgetter(0))  # by start
    return chosen


def _years(text: str) -> set[int]:
    return {int(y) for y in _YEAR_RE.findall(text)}


def _resolve(ids: tuple[str, ...], gaz: Gazetteer, same_paragraph: set[str], years: set[int],
             recent: dict[str, int] | None, here: int, text: str = "") -> str | None:
    """Pick one of the entities ``ids`` an ambiguous alias names, or None (left unlinked). In
    order: an unambiguous mention of one candidate in the paragraph; a ``context`` word of
    exactly one candidate in the paragraph; a year of the paragraph in exactly one candidate's
    ``active`` years; the most recent mention of a candidate in the previous paragraphs of the
    source."""
    if len(ids) == 1:
        return ids[0]
    local = [e for e in ids if e in same_paragraph]
    if len(local) == 1:
        return local[0]
    if text:
        hinted = [e for e in ids if e in gaz.context_res and gaz.context_res[e].search(text)]
        if len(hinted) == 1:
            return hinted[0]
    if years:
        dated = [e for e in ids if (a := gaz.entities[e].active) and any(a[0] <= y <= a[1] for y in years)]
        if len(dated) == 1:
            return dated[0]
    if recent:
        seen = [(recent[e], e) for e in ids if e in recent and here - recent[e] <= CONTEXT_WINDOW]
        if seen:
            seen.sort(reverse=True)
            if len(seen) == 1 or seen[0][0] != seen[1][0]:
                return seen[0][1]
    return None


def _link(text: str, gaz: Gazetteer, recent: dict[str, int] | None = None, here: int = 0) -> list[Mention]:
    if gaz.automaton is None or not text:
        return []
    norm = normalize(text)
    spans = _spans(norm, gaz)
    if all(len(f.entity_ids) == 1 for _, _, f in spans):  # nothing to resolve (most paragraphs)
        return [Mention(s, e, text[s:e], f.entity_ids[0], f.method) for s, e, f in spans]
    sure = {f.entity_ids[0] for _, _, f in spans if len(f.entity_ids) == 1}
    years = _years(text)
    out = []
    for s, e, f in spans:
        ids = f.entity_ids
        eid = ids[0] if len(ids) == 1 else _resolve(ids, gaz, sure, years, recent, here, norm)
        if eid is not None:
            out.append(Mention(s, e, text[s:e], eid, f.method))
    return out


def find_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """Entity mentions in one clean text, in text order (offsets into ``text``). Ambiguous aliases
    are resolved from this text only; ``build_entity_tables`` also uses the preceding paragraphs."""
    return _link(text, gazetteer)


# ------------------------------------------------------------------------------------------
# tables


def build_entity_tables(paragraphs: list[dict], documents: list[dict], gazetteer: Gazetteer | None = None
                        ) -> tuple[list[dict], list[dict]]:
    """(entities rows, entity_mentions rows) for the whole corpus, contract columns only.

    ``paragraphs`` need paragraph_id, doc_id, source_id, text; they are read per source in
    paragraph_id order (document order), so an ambiguous surname can be resolved from the nearest
    earlier mention in the same source.

    ``n_documents`` (the contract's "leaf documents mentioning it") counts the distinct ``doc_id``
    of the mentioning paragraphs, i.e. for each mention the deepest document containing its
    paragraph. That is a leaf except for paragraphs that sit in a document before its first child
    (a chapter's opening paragraphs): those count the chapter itself, so an entity named only there
    still has ``n_documents`` ≥ 1."""
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    by_source: dict[str, list[dict]] = defaultdict(list)
    for p in paragraphs:
        by_source[p["source_id"]].append(p)
    mentions: list[dict] = []
    for source_id in sorted(by_source):
        recent: dict[str, int] = {}
        for i, p in enumerate(sorted(by_source[source_id], key=itemgetter("paragraph_id"))):
            text = p.get("text") or ""
            for m in _link(text, gaz, recent, i):
                recent[m.entity_id] = i
                mentions.append({
                    "entity_id": m.entity_id,
                    "paragraph_id": p["paragraph_id"],
                    "doc_id": p["doc_id"],
                    "source_id": source_id,
                    "char_start": m.char_start,
                    "char_end": m.char_end,
                    "surface": m.surface,
                    "method": m.method,
                })
    from pipelines.extraction.unlisted import add_unlisted  # it imports this module

    mentions, known = add_unlisted(by_source, mentions, gaz)  # names the gazetteer lacks (method "rule")
    mentions.sort(key=itemgetter("entity_id", "paragraph_id", "char_start"))
    return entity_rows(mentions, known), mentions


def entity_rows(mentions: list[dict], entities: Mapping[str, Entity]) -> list[dict]:
    """One ``entities`` row per entity mentioned: canonical name and type from ``entities``,
    aliases the surfaces seen, mention and document counts."""
    surfaces: dict[str, set[str]] = defaultdict(set)
    docs: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for m in mentions:
        eid = m["entity_id"]
        surfaces[eid].add(m["surface"])
        docs[eid].add(m["doc_id"])
        counts[eid] += 1
    rows = []
    for eid in sorted(counts):
        ent = entities[eid]
        rows.append({
            "entity_id": eid,
            "type": ent.type,
            "name": ent.name,
            "aliases": sorted(s for s in surfaces[eid] if s != ent.name),
            "n_mentions": counts[eid],
            "n_documents": len(docs[eid]),
        })
    return rows
