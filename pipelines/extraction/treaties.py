"""Treaties and what happened to them: ``treaties`` and ``treaty_events`` rows.

Pure functions (no dagster). ``build_treaty_tables(paragraphs, events, mentions)`` reads

* the chronology entries (``events`` of kind ``chronology``) first: each entry with an event
  verb (``is signed``, ``concluded``, ``ratifies``, ``denounces``, ``prolonging`` ...) is linked to
  one treaty and gives a dated treaty event, its evidence being the entry's paragraph;
* then the running text: a sentence with an event verb, a treaty reference and the date of that
  verb (``signed in Moscow on February 28, 1921``).

A treaty reference is a gazetteer name (``gazetteer/treaties.yaml``; also the ``treaty:`` rows
of ``mentions``) or a description resolved against the gazetteer by linking rules: parties
(``Soviet-German``, ``between USSR and Latvia``, ``with Turkey``), kind (``non-aggression``,
``mutual assistance``), date or year (``of 17 December 1925``, ``of 1922``), place
(``1929 Berlin Treaty``). A description is linked only when exactly one treaty fits. A chronology
entry recording the signing of a treaty the gazetteer lacks creates a new treaty row.

A treaty row's date_signed, parties and place_signed come from the signing evidence when there is
some (chronology first), else from the gazetteer (reference values).

Two steps, so that the costly one can be cached per source (``pipelines.treaty_cache``):
``source_evidence`` reads one source (its evidence, the treaties its chronology adds, its pattern
mentions; nothing depends on another source), ``treaty_tables`` merges the evidence of every
source into the rows. ``build_treaty_tables`` does both over paragraphs of any sources.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import yaml

from pipelines.extraction.text_events import dates_in, split_sentences
from pipelines.parsing.dates import ParsedDate, find_dates

GAZETTEER = Path(__file__).resolve().parent / "gazetteer" / "treaties.yaml"

TREATY_TYPES = (
    "peace", "armistice", "trade", "non-aggression", "neutrality", "mutual-assistance", "alliance",
    "friendship", "border", "recognition", "convention", "protocol", "other",
)


def slug(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


# ---------------------------------------------------------------------------------------------
# Gazetteer


@dataclass(frozen=True)
class Treaty:
    id: str  # treaty_id: "treaty:<slug>"
    name: str
    treaty_type: str | None
    parties: tuple[str, ...]
    date_signed: dt.date | None
    place_signed: str | None
    aliases: tuple[str, ...] = ()
    proposed: bool = False


def _as_date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


@lru_cache(maxsize=4)
def load_gazetteer(path: str | None = None) -> tuple[Treaty, ...]:
    """The curated treaties (reference values) of ``gazetteer/treaties.yaml``."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries = yaml.load(Path(path or GAZETTEER).read_text(encoding="utf-8"), Loader=loader) or []
    out = []
    for e in entries:
        tid = "treaty:" + (e.get("id") or slug(e["name"]))
        aliases = tuple(dict.fromkeys([e["name"], *(e.get("aliases") or [])]))
        out.append(Treaty(tid, e["name"], e.get("treaty_type"), tuple(e.get("parties") or ()),
                          _as_date(e.get("date_signed")), e.get("place_signed"), aliases,
                          e.get("status") == "proposed"))
    return tuple(out)


_AUTOMATA: dict[int, tuple[tuple[Treaty, ...], object]] = {}


def _automaton(gazetteer: tuple[Treaty, ...]):
    """One Aho-Corasick automaton over every alias (case-sensitive), cached per gazetteer object
    (hashing the whole gazetteer on every call would cost more than the matching)."""
    cached = _AUTOMATA.get(id(gazetteer))
    if cached is not None and cached[0] is gazetteer:
        return cached[1]
    auto = ahocorasick.Automaton()
    for t in gazetteer:
        for a in t.aliases:
            if a and a not in auto:
                auto.add_word(a, (len(a), t.id))
    if len(auto):
        auto.make_automaton()
    if len(_AUTOMATA) > 8:
        _AUTOMATA.clear()
    _AUTOMATA[id(gazetteer)] = (gazetteer, auto)
    return auto


def _boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_")


def match_aliases(text: str, gazetteer: tuple[Treaty, ...] | None = None) -> list[tuple[int, int, str]]:
    """Gazetteer names in ``text``: (start, end, treaty_id); case-sensitive, whole words, not part
    of a hyphenated word; the longest wins where names overlap, then the leftmost."""
    auto = _automaton(gazetteer or load_gazetteer())
    if not len(auto) or not text:
        return []
    found = []
    for end_idx, (n, tid) in auto.iter(text):
        start, end = end_idx - n + 1, end_idx + 1
        if _boundary(text, start, end):
            found.append((start, end, tid))
    found.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    taken: list[tuple[int, int, str]] = []
    for f in found:
        if not any(f[0] < b and a < f[1] for a, b, _ in taken):
            taken.append(f)
    return sorted(taken)


def mentions_for(paragraphs: list[dict], gazetteer: tuple[Treaty, ...] | None = None) -> list[dict]:
    """entity_mentions-like rows for the gazetteer names in ``paragraphs`` (method ``gazetteer``)."""
    out = []
    for p in paragraphs:
        for s, e, tid in match_aliases(p["text"] or "", gazetteer):
            out.append({"entity_id": tid, "paragraph_id": p["paragraph_id"], "doc_id": p.get("doc_id"),
                        "source_id": p.get("source_id"), "char_start": s, "char_end": e,
                        "surface": p["text"][s:e], "method": "gazetteer"})
    return out


# ---------------------------------------------------------------------------------------------
# Parties

STATE_NAMES = {
    "Soviet Union": ["USSR", "U.S.S.R.", "Soviet Union", "Soviet Russia", "RSFSR", "R.S.F.S.R.", "Soviet Republic",
                     "Russian Soviet Federative Socialist Republic", "Russian Socialist Federative Soviet Republic",
                     "Land of Soviets", "Soviet government", "Soviet Government"],
    "Russian Empire": ["Russian Empire", "tsarist Russia", "Tsarist Russia"],
    "Ukraine": ["Ukrainian SSR", "Ukrainian Soviet Socialist Republic", "Soviet Ukraine"],
    "Belarus": ["Byelorussian SSR", "Byelorussian Soviet Socialist Republic", "Belorussian SSR"],
    "Germany": ["Germany"], "Austria-Hungary": ["Austria-Hungary"], "Bulgaria": ["Bulgaria"],
    "Turkey": ["Turkey"], "Great Britain": ["Great Britain", "Britain", "England", "United Kingdom"],
    "France": ["France", "French Republic"], "Italy": ["Italy"], "Japan": ["Japan"], "China": ["China"],
    "United States": ["United States of America", "United States", "USA", "U.S.A.", "America"],
    "Poland": ["Poland", "Polish People's Republic", "Polish Republic"], "Finland": ["Finland"],
    "Estonia": ["Estonia"], "Latvia": ["Latvia"], "Lithuania": ["Lithuania"], "Iran": ["Iran", "Persia"],
    "Afghanistan": ["Afghanistan"], "Mongolia": ["Mongolian People's Republic", "Mongolia", "MPR"],
    "Czechoslovakia": ["Czechoslovakia", "Czechoslovak Republic"], "Yugoslavia": ["Yugoslavia"],
    "Romania": ["Romania", "Rumania"], "Hungary": ["Hungary"], "Norway": ["Norway"], "Yemen": ["Yemen"],
    "Manchukuo": ["Manchukuo"], "Armenia": ["Armenia"], "Georgia": ["Georgia"], "Azerbaijan": ["Azerbaijan"],
    "Greece": ["Greece"], "Sweden": ["Sweden"], "Denmark": ["Denmark"], "Austria": ["Austria"],
    "Belgium": ["Belgium"], "Spain": ["Spain"], "Netherlands": ["Holland", "Netherlands"],
    "Canada": ["Canada"], "Mexico": ["Mexico"], "Saudi Arabia": ["Saudi Arabia", "Hejaz"],
    "Far Eastern Republic": ["Far Eastern Republic"], "Iraq": ["Iraq"],
}
# First elements of compounds (Soviet-German, Anglo-Soviet, Franco-Soviet) and adjectives.
STATE_ADJ = {
    "Soviet": "Soviet Union", "Russo": "Soviet Union", "Russian": "Soviet Union", "German": "Germany",
    "Anglo": "Great Britain", "British": "Great Britain", "English": "Great Britain", "Franco": "France",
    "French": "France", "Polish": "Poland", "Turkish": "Turkey", "Iranian": "Iran", "Persian": "Iran",
    "Afghan": "Afghanistan", "Finnish": "Finland", "Estonian": "Estonia", "Latvian": "Latvia",
    "Lithuanian": "Lithuania", "Czechoslovak": "Czechoslovakia", "Czech": "Czechoslovakia",
    "Chinese": "China", "Sino": "China", "Japanese": "Japan", "Italian": "Italy", "Italo": "Italy",
    "Mongolian": "Mongolia", "Yugoslav": "Yugoslavia", "American": "United States", "US": "United States",
    "Norwegian": "Norway", "Romanian": "Romania", "Yemeni": "Yemen", "Greco": "Greece", "Greek": "Greece",
    "Bulgarian": "Bulgaria", "Hungarian": "Hungary", "Ukrainian": "Ukraine", "Austrian": "Austria",
    "Swedish": "Sweden", "Danish": "Denmark", "Belgian": "Belgium", "Mexican": "Mexico",
}
# Names standing for several states at once. The Transcaucasian SFSR is no state of the entity
# gazetteer (states.yaml): it stands for its three member republics.
STATE_GROUPS = {
    "Transcaucasian SFSR": ("Armenia", "Azerbaijan", "Georgia"),
    "Transcaucasian Federative Soviet Republic": ("Armenia", "Azerbaijan", "Georgia"),
    "Transcaucasian Soviet Federative Socialist Republic": ("Armenia", "Azerbaijan", "Georgia"),
    "Transcaucasian Soviet Republics": ("Armenia", "Azerbaijan", "Georgia"),
    "Transcaucasian Republics": ("Armenia", "Azerbaijan", "Georgia"),
    "Baltic States": ("Estonia", "Latvia", "Lithuania"),
}
_STATE_RX = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted([*(n for ns in STATE_NAMES.values() for n in ns), *STATE_GROUPS],
                                                            key=len, reverse=True))
    + r")(?![\w-])")
_NAME_TO_STATE = {n: s for s, ns in STATE_NAMES.items() for n in ns}
_COMPOUND_RX = re.compile(r"(?<![\w-])((?:[A-Z][a-z]+|US)(?:-(?:[A-Z][a-z]+|US))+)(?![\w-])")


def compound_parties(text: str) -> list[tuple[int, int, list[str]]]:
    """``Soviet-German``, ``Anglo-French-Soviet``: (start, end, parties) for hyphenated compounds
    whose every element is a state adjective."""
    out = []
    for m in _COMPOUND_RX.finditer(text):
        parts = m.group(1).split("-")
        if all(p in STATE_ADJ for p in parts):
            out.append((m.start(), m.end(), list(dict.fromkeys(STATE_ADJ[p] for p in parts))))
    return out


def state_names(text: str) -> list[tuple[int, int, str]]:
    """State names in ``text``: (start, end, canonical state)."""
    out = []
    for m in _STATE_RX.finditer(text):
        for st in STATE_GROUPS.get(m.group(1), (_NAME_TO_STATE.get(m.group(1)),)):
            out.append((m.start(), m.end(), st))
    return out


_BETWEEN_STOP = re.compile(
    r"\s(?:on|providing|for|concerning|regarding|against|to|in the|in war|of the|which|that|whereby|establishing)\s|[;:.(]")


def parties_in(text: str) -> list[str]:
    """The parties a treaty statement names, in order: a state compound (``Soviet-Turkish
    treaty``) wins; else the ``between ... and ...`` clause; else every state named."""
    comps = compound_parties(text)
    if comps:
        return comps[0][2]
    m = re.search(r"\bbetween\s", text)
    if m:
        rest = re.sub(r",?\s*on the (?:one hand|other)\b,?", " ", text[m.end():])
        stop = _BETWEEN_STOP.search(rest + " ")
        clause = rest[: stop.start()] if stop else rest
        found = list(dict.fromkeys(s for _, _, s in state_names(clause)))
        if len(found) >= 2:
            return found
    text = _ON_OF_RX.sub(" ", text)
    return list(dict.fromkeys(s for a, _, s in state_names(text) if not _OBJECT_BEFORE.search(text, max(0, a - 60), a)))


# "agreement on division of Czechoslovakia", "treaty on reunification of Transcarpathian Ukraine
# with ...": the states of such a complement are what the treaty is about, not its parties.
_ON_OF_RX = re.compile(r"\b(?:on|regarding|concerning)\s+(?:the\s+)?[a-z][a-z -]*?\bof\s+(?:[A-Z][\w'-]*\s*)+(?:with\s+(?:[A-Z][\w'-]*\s*)+)?")


# "Declaration Regarding the Defeat of Germany and the assumption of supreme power over Germany
# by ...": a state right after regarding/concerning/over (the treaty's object) is no party.
_OBJECT_BEFORE = re.compile(r"\b(?:regarding|concerning|over)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:of\s+)?$", re.I)


# ---------------------------------------------------------------------------------------------
# Event verbs, treaty nouns, kinds

_TREATY_NOUN = r"(?:treaty|treaties|pact|pacts|agreement|agreements|convention|protocol|armistice|peace)"
_TREATY_NOUN_RX = re.compile(rf"(?=[tpac])\b{_TREATY_NOUN}\b", re.I)  # the lookahead: 1.6x faster scans
# (event, regex). Finite forms and passives; participles and nouns are handled apart.
_MAIN_VERBS = [
    ("signed", re.compile(r"\b(?:is|are|was|were|been|be)\s+(?:(?:officially|finally|also|formally)\s+)?(?:signed|concluded|initialled and signed)\b|\b(?:signs|sign|concludes|conclude)\b|\bis reached\b")),
    ("ratified", re.compile(r"\b(?:is|are|was|were|been|be)\s+ratified\b|\bratifies\b|\bratified\b")),
    ("entered_into_force", re.compile(r"\b(?:came|comes|entered|enters|come|enter|went|go|goes)\s+into\s+(?:force|effect)\b")),
    ("prolonged", re.compile(r"\b(?:is|are|was|were|been|be)\s+(?:prolonged|extended|renewed)\b|\bprolongs\b|\bprolonged\b")),
    ("denounced", re.compile(r"\b(?:is|are|was|were|been|be)\s+denounced\b|\bdenounces\b|\bdenounced\b")),
    ("annulled", re.compile(r"\b(?:is|are|was|were|been|be)\s+(?:annulled|abrogated|declared null and void)\b|\b(?:annuls|annulled|abrogates|abrogated)\b")),
    ("violated", re.compile(r"\b(?:is|are|was|were|been|be)\s+violated\b|\bviolates\b|\bviolated\b")),
    ("expired", re.compile(r"\bexpired\b|\bexpires\b|\blapsed\b")),
]
_ANY_VERB = re.compile(r"\b(?:sign|signs|signed|conclude|concludes|concluded|reached|ratifie[sd]|force|effect|prolong"
                       r"|prolongs|prolonged|extended|renewed|denounce[sd]|annul|annuls|annulled|abrogate[sd]|null|"
                       r"violate[sd]|expire[sd]|lapsed)\b")
_EVENT_WORD = re.compile(_ANY_VERB.pattern + r"|\b(?:revok|repudiat|renounc|signing)")  # a sentence worth reading
_SIGNED_PAST = re.compile(r"\b(?:signed|concluded)\b")  # running text: "was signed", "signed on"
_PROLONGING = re.compile(r"\b(?:prolonging|prolongation of|extending the validity of)\s+")

_KINDS = [
    ("non-aggression", re.compile(r"non-?aggression", re.I)),
    ("neutrality", re.compile(r"\bneutrality\b", re.I)),
    ("mutual-assistance", re.compile(r"mutual (?:assistance|support|aid)", re.I)),
    ("alliance", re.compile(r"\balliance\b", re.I)),
    ("friendship", re.compile(r"\bfriendship\b|\bfriendly relations\b", re.I)),
    ("armistice", re.compile(r"\barmistice\b|\bcessation of hostilities\b", re.I)),
    ("peace", re.compile(r"\bpeace\b", re.I)),
    ("trade", re.compile(r"\btrade\b|\btrading\b|\bcommerc|\bnavigation\b|\bcredit\b", re.I)),
    ("border", re.compile(r"\bborder\b|\bfrontier\b|\bboundary\b", re.I)),
    ("protocol", re.compile(r"\bprotocol\b", re.I)),
    ("convention", re.compile(r"\bconvention\b", re.I)),
]


_YEAR_RX = re.compile(r"\b(1[89]\d\d)\b")
_NAME_WORD_RX = re.compile(r"\b[A-Z][a-z]{3,}\b")


def kinds_in(text: str) -> list[str]:
    return [k for k, rx in _KINDS if rx.search(text)]


def _kind_fits(t: Treaty, kinds: list[str]) -> bool:
    """Whether a treaty's type agrees with the kind words of a description."""
    words = set(kinds) - {"protocol", "convention"}
    if not words:
        return True
    name = t.name.lower()
    return t.treaty_type in words or any(w.replace("-", " ") in name.replace("-", " ") for w in words)


# ---------------------------------------------------------------------------------------------
# Linking


@dataclass(frozen=True)
class Reference:
    """A treaty reference resolved in a piece of text."""

    treaty_id: str
    start: int
    end: int
    how: str  # alias / description


def resolve_description(text: str, gazetteer: tuple[Treaty, ...], *, on_date: dt.date | None = None,
                        date_window: int = 2, years: tuple[int, ...] = ()) -> str | None:
    """The one gazetteer treaty a description fits, or None.

    ``text`` is the descriptive phrase (``Soviet-Turkish treaty of friendship ... of 17 December
    1925``). Candidates must include every party named; without parties, a proper name of the
    phrase must occur in the treaty's name (``Convention on the Straits``). ``on_date`` is the date
    of a signing statement: the treaty must have been signed within ``date_window`` days of it
    (or within 20 days — Old/New Style slips — when its kind fits too). Other clues narrow the
    candidates while at least one is left: a full date in the phrase, a name word (``Berlin
    Treaty``), a year in the phrase (or ``years`` of the sentence), the kind words. Exactly one
    must remain."""
    parties = parties_in(text)
    if parties == ["Soviet Union"] and not compound_parties(text):
        return None  # "such a treaty with the Soviet Union": no other party named
    words = set(_NAME_WORD_RX.findall(text)) - set(STATE_ADJ) - _GENERIC_WORDS - set(_NAME_TO_STATE)
    if parties:
        wanted = set(parties)
        cands = [t for t, ps in zip(gazetteer, _index(gazetteer)[1]) if not t.proposed and wanted <= ps]
        if compound_parties(text):
            # "Franco-Polish agreements": a compound names the parties, not two of many
            cands = [t for t in cands if len(t.parties) <= len(parties) + 1]
        if len(parties) == 1 and parties[0] not in ("Soviet Union", "Russian Empire"):
            # "treaty with Turkey" stated by the Soviet side: a Soviet treaty if there is one
            cands = [t for t in cands if "Soviet Union" in t.parties] or cands
    elif words:
        cands = [t for t in gazetteer if not t.proposed and words & _name_words(t)]
    else:
        return None
    if not cands:
        return None
    kinds = kinds_in(text)
    if on_date is not None:
        near = [t for t in cands if t.date_signed and abs((t.date_signed - on_date).days) <= date_window]
        if not near:
            near = [t for t in cands if t.date_signed and abs((t.date_signed - on_date).days) <= 20 and kinds
                    and _kind_fits(t, kinds)]
        if not near and len(parties) >= 3:
            # a multilateral signing listing more (or other) states than the reference: same day,
            # most parties shared
            near = [t for t in gazetteer if not t.proposed and t.date_signed and abs((t.date_signed - on_date).days) <= date_window
                    and len(set(parties) & set(t.parties)) >= max(2, len(t.parties) // 2)]
        if len(near) == 1:
            return near[0].id
        if not near:
            return None  # signed on a date no candidate was signed on: another treaty
        cands = near
    dates = {d.date for d in find_dates(text) if d.precision == "day"}
    if dates:
        narrowed = [t for t in cands if t.date_signed in dates]
        if len(narrowed) == 1:
            return narrowed[0].id
        cands = narrowed or cands
    if len(cands) > 1 and words:  # a name word: "Berlin Treaty", "Moscow Treaty"
        narrowed = [t for t in cands if words & _name_words(t)]
        if len(narrowed) == 1:
            return narrowed[0].id
        cands = narrowed or cands
    ys = [int(y) for y in _YEAR_RX.findall(text)]
    if ys:
        cands = [t for t in cands if t.date_signed and t.date_signed.year in ys]
    elif years:  # years of the sentence: the treaty must be of one of them
        cands = [t for t in cands if t.date_signed and t.date_signed.year in years]
    if kinds and cands:
        fitting = [t for t in cands if _kind_fits(t, kinds)]
        if not fitting:
            return None
        cands = fitting
    if len(cands) > 1:  # a bare description means the main treaty, not its supplement
        cands = [u for u in cands if not any(t is not u and t.name in u.name for t in cands)]
    return cands[0].id if len(cands) == 1 else None


_INDEXES: dict[int, tuple[tuple[Treaty, ...], dict[str, Treaty], tuple[frozenset[str], ...]]] = {}


def _index(gazetteer: tuple[Treaty, ...]) -> tuple[dict[str, Treaty], tuple[frozenset[str], ...]]:
    """(treaties by id, each treaty's parties as a set, in gazetteer order), cached per gazetteer
    object like ``_automaton``."""
    cached = _INDEXES.get(id(gazetteer))
    if cached is None or cached[0] is not gazetteer:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        cached = _INDEXES[id(gazetteer)] = (gazetteer, {t.id: t for t in gazetteer},
                                            tuple(frozenset(t.parties) for t in gazetteer))
    return cached[1], cached[2]


def _by_id(gazetteer: tuple[Treaty, ...]) -> dict[str, Treaty]:
    """Treaties by id (shared: not to be changed)."""
    return _index(gazetteer)[0]


@lru_cache(maxsize=2048)
def _name_words(t: Treaty) -> frozenset[str]:
    return frozenset(re.findall(r"[A-Za-z]+", t.name))


_GENERIC_WORDS = {
    "Treaty", "Treaties", "Pact", "Agreement", "Agreements", "Convention", "Protocol", "Peace", "Friendship",
    "Neutrality", "Alliance", "Trade", "Mutual", "Assistance", "Non-Aggression", "Armistice", "Soviet", "Union",
    "January", "February", "March", "April", "June", "July", "August", "September", "October", "November",
    "December", "Government", "Republic", "Socialist", "People", "Declaration", "Fraternity", "Commercial",
    "Aggression", "Guarantee", "Guarantees", "Respect", "Cooperation", "Collaboration", "Economic", "Military",
    "Political", "Consultative", "Friendly", "Pacts", "Conventions", "Protocols",
    "Article", "Second", "First", "Third", "World", "War",
}


# A description around a treaty noun: what stands left of it (a possessive, a state compound, up
# to three lowercase words) and the clause right of it (of/on/with/between ...).
_LEFT_RX = re.compile(
    r"(?:(?:tsarist\s+)?[A-Z]\w+(?:\s+[A-Z]\w+)?['’]s\s+)?"  # "tsarist Russia's inequitable treaty"
    r"(?:(?<![\w-])(?:[A-Z][a-z]+|US)(?:-(?:[A-Z][a-z]+|US))+\s+)?(?:[a-z-]+\s+){0,3}$")
_RIGHT_RX = re.compile(
    r"\s+(?:of|on|with|between|concluded with|signed with)\s+"
    r"[^;.]*?(?=\s+(?:was|were|is|are|had|has|which|that|signed|concluded|and\s+the|in|for|to|against|because|owing|"
    r"after|before|since|by|at|as|under|during|if|but|while|based)\b|[;.]|$)")


_DESC_NOUN_RX = re.compile(r"(?=[tpac])\b(?:treaty|treaties|pact|pacts|agreement|agreements|convention|protocol|armistice)\b", re.I)


def _descriptions(sent: str):
    """(start, end) of each description around a treaty noun (not a bare "peace": "we have
    peace with Estonia" is no reference to a treaty)."""
    for nm in _DESC_NOUN_RX.finditer(sent):
        start = _left_start(sent, max(0, nm.start() - 90), nm.start())
        rm = _RIGHT_RX.match(sent, nm.end())
        yield start, (rm.end() if rm else nm.end())


_NOT_LEFT = re.compile(r"[^\w\s'’-]")  # characters no _LEFT_RX match holds
_RUN = re.compile(r"\S+")


def _left_start(sent: str, lo: int, end: int) -> int:
    """Where ``_LEFT_RX.search(sent, lo, end)`` starts (``end``: nothing before the noun), found
    faster by searching less: a match other than the empty one ends in whitespace, spans at
    most 7 runs of non-space (``tsarist Russia's Soviet-German new trade treaty``), and cannot
    reach back over a character none of its parts holds (a comma, a bracket)."""
    if end == 0 or not sent[end - 1].isspace():
        return end
    runs = [m.start() for m in _RUN.finditer(sent, lo, end)]
    if len(runs) > 7:
        lo = runs[-7]
    for m in _NOT_LEFT.finditer(sent, lo, end):
        lo = m.end()
    lm = _LEFT_RX.search(sent, lo, end)
    return lm.start() if lm else end


# the clause after the treaty noun ends at a comma unless it is a "between A, on the one hand,
# and B, on the other" clause
_CLAUSE_COMMA = re.compile(r",")


# the last sentences' references: name_references, identifier_evidence and text_evidence read
# the same sentences of a paragraph, mostly with the same names
_REFS_MEMO: dict[tuple, tuple[tuple[Treaty, ...], tuple[Reference, ...]]] = {}


def references_in(text: str, gazetteer: tuple[Treaty, ...], alias_hits: list[tuple[int, int, str]] | None = None,
                  *, years: tuple[int, ...] = ()) -> list[Reference]:
    """Treaty references in a sentence: gazetteer names, then descriptions around treaty nouns
    that resolve to exactly one treaty (``the Soviet-Turkish treaty of 1925``)."""
    hits = alias_hits if alias_hits is not None else match_aliases(text, gazetteer)
    key = (text, tuple(hits), tuple(years))
    cached = _REFS_MEMO.get(key)
    if cached is not None and cached[0] is gazetteer:
        return list(cached[1])
    refs = _references(text, gazetteer, hits, years)
    if len(_REFS_MEMO) >= 256:
        _REFS_MEMO.clear()
    _REFS_MEMO[key] = (gazetteer, tuple(refs))
    return refs


def _references(text: str, gazetteer: tuple[Treaty, ...], hits: list[tuple[int, int, str]],
                years: tuple[int, ...]) -> list[Reference]:
    refs = [Reference(tid, s, e, "alias") for s, e, tid in hits]
    for m_start, m_end in _descriptions(text):
        if any(r.start < m_end and m_start < r.end for r in refs):
            continue
        phrase = text[m_start:m_end]
        cut = _CLAUSE_COMMA.search(phrase)
        if cut and "between" not in phrase[: cut.start()]:
            phrase = phrase[: cut.start()]
        noun = _DESC_NOUN_RX.search(phrase)
        compound = compound_parties(phrase[: noun.end()]) if noun else []
        if not compound and not _WITH_RX.search(phrase):
            n0 = m_start + (noun.start() if noun else 0)
            named = _name_word_reference(text[:n0], text[n0: m_start + len(phrase)], gazetteer, years)
            if named:
                refs.append(Reference(named[0], named[1], m_start + len(phrase), "description"))
            continue
        if not compound and not years and not find_dates(phrase):
            continue  # "conclude an armistice with Finland": without a date, which one is unknown
        if noun and noun.group(0).lower().endswith("s") and not compound:
            continue  # "the treaties between the Soviet Union, Estonia, Latvia and Lithuania": several
        if noun and noun.group(0).lower().startswith("agreement") and not compound and not kinds_in(phrase[: noun.start()]):
            continue  # "in agreement with", "an agreement with us": no treaty named
        if not compound and "between" not in phrase:
            # "a pact with Britain and France" in a book on Soviet policy: the Soviet Union is the
            # other party; a treaty without it is not meant
            named = parties_in(phrase)
            if not named or named == ["Soviet Union"]:
                continue
            tid = resolve_description(phrase, gazetteer, years=years)
            own = {"Soviet Union", "Russian Empire"}
            if tid and (own & set(named) or own & set(_by_id(gazetteer)[tid].parties)):
                refs.append(Reference(tid, m_start, m_start + len(phrase), "description"))
            continue
        tid = resolve_description(phrase, gazetteer, years=years)
        if tid:
            refs.append(Reference(tid, m_start, m_start + len(phrase), "description"))
    return sorted(refs, key=lambda r: r.start)


_WITH_RX = re.compile(r"\b(?:with|between)\s")
_WORD_BEFORE_RX = re.compile(r"(?<![\w-])([A-Z][a-z]{3,})\s+$")


def _name_word_reference(before: str, phrase: str, gazetteer: tuple[Treaty, ...],
                         years: tuple[int, ...]) -> tuple[str, int] | None:
    """``the Moscow protocol`` in a sentence of 1941: a place word before a lowercase treaty noun
    (a form several treaties share, so no alias) resolved by the treaty names holding that word
    and the years of the sentence; only when exactly one fits."""
    pre = _WORD_BEFORE_RX.search(before)
    noun = _DESC_NOUN_RX.match(phrase)
    if not pre or not noun or not years or noun.group(0)[0].isupper():
        return None
    word = pre.group(1)
    if word in STATE_ADJ or word in _NAME_TO_STATE or word in _GENERIC_WORDS:
        return None
    cands = [t for t in gazetteer if not t.proposed and t.date_signed and word in _name_words(t)
             and t.date_signed.year in years]
    return (cands[0].id, pre.start(1)) if len(cands) == 1 else None


# ---------------------------------------------------------------------------------------------
# Chronology entries


@dataclass
class Evidence:
    treaty_id: str
    event: str
    date: dt.date | None
    date_text: str | None
    paragraph_id: str
    source_id: str | None
    rank: int  # 0 chronology, 1 running text
    parties: tuple[str, ...] = ()
    place: str | None = None
    date_end: dt.date | None = None


@dataclass
class NewTreaty:
    """A treaty the gazetteer lacks, found in a chronology entry recording its signing."""

    id: str
    name: str
    treaty_type: str | None
    parties: tuple[str, ...]


_PLACE_RX = re.compile(r"\b(?:signed|concluded|initialled)\s+(?:[a-z]+\s+){0,3}?in\s+([A-Z][\w-]+(?:\s+\([A-Z][\w-]+\))?)")


def place_in(text: str) -> str | None:
    """``signed in Riga``, ``is signed in Yuriev (Tartu)`` → the place (the bracketed modern
    name when given); state names are not places."""
    m = _PLACE_RX.search(text)
    if not m:
        return None
    place = m.group(1)
    inner = re.search(r"\(([^)]+)\)", place)
    place = inner.group(1) if inner else place.split()[0]
    return None if place in _NAME_TO_STATE or place in STATE_ADJ else place


def _main_verb(text: str) -> tuple[str, re.Match] | None:
    found = [(m.start(), ev, m) for ev, rx in _MAIN_VERBS for m in [rx.search(text)] if m]
    if not found:
        return None
    found.sort(key=lambda x: x[0])
    return found[0][1], found[0][2]


# Until when a state dated by the Julian calendar (last Julian day + 1, Gregorian): an Old Style /
# New Style pair printed for a treaty none of whose parties used the Julian calendar then
# converts a date that was New Style already (a treaty signed in Paris by Britain and France).
JULIAN_UNTIL = {
    "Soviet Union": dt.date(1918, 2, 14), "Russian Empire": dt.date(1918, 2, 14), "Russia": dt.date(1918, 2, 14),
    "Ukraine": dt.date(1918, 3, 1), "Belarus": dt.date(1918, 2, 14), "Estonia": dt.date(1918, 2, 14),
    "Latvia": dt.date(1918, 2, 14), "Lithuania": dt.date(1915, 1, 1), "Finland": dt.date(1867, 1, 1),
    "Georgia": dt.date(1918, 5, 1), "Armenia": dt.date(1918, 5, 1), "Azerbaijan": dt.date(1918, 5, 1),
    "Bulgaria": dt.date(1916, 4, 14), "Romania": dt.date(1919, 4, 14), "Yugoslavia": dt.date(1919, 1, 28),
    "Greece": dt.date(1923, 3, 1), "Turkey": dt.date(1917, 3, 1), "Montenegro": dt.date(1919, 1, 28),
}


def calendar_date(date: dt.date | None, old_style: dt.date | None, parties) -> dt.date | None:
    """The signing date of a treaty the text dates ``old_style (date)``: ``date`` (New Style)
    when a party still used the Julian calendar, else the first, printed date, which was
    New Style already (``23 December 1917 (5 January 1918)`` for an Anglo-French convention
    → 1917-12-23). Without parties the text's reading stands."""
    if date is None or old_style is None or not parties:
        return date
    julian = any(date < JULIAN_UNTIL.get(p, dt.date.min) for p in parties)
    return date if julian else old_style


def chronology_evidence(event_row: dict, gazetteer: tuple[Treaty, ...]) -> tuple[list[Evidence], list[NewTreaty]]:
    """The treaty events one chronology entry states, sentence by sentence, and the new treaties
    of entries recording the signing of one the gazetteer lacks."""
    text = event_row.get("text") or ""
    if event_row.get("date_start") is None:
        return [], []
    out: list[Evidence] = []
    new: list[NewTreaty] = []
    for s0, s1 in split_sentences(text):
        found, nt = _chronology_sentence(text[s0:s1], event_row, gazetteer)
        out += found
        new += [nt] if nt else []
    return out, new


_NOT_A_TREATY = re.compile(r"\b(?:draft|drafts|proposal|proposals|project|negotiations?|talks|conference)\b", re.I)


def _chronology_sentence(text: str, row: dict, gazetteer: tuple[Treaty, ...]) -> tuple[list[Evidence], NewTreaty | None]:
    alias_hits = match_aliases(text, gazetteer)
    if not _TREATY_NOUN_RX.search(text) and not alias_hits:
        return [], None
    mv = _main_verb(text)
    if mv is None:
        return [], None
    event, m = mv
    subject, obj = text[: m.start()], text[m.end():]
    date, date_end = row["date_start"], row.get("date_end")
    pid, sid, date_text = row["paragraph_id"], row.get("source_id"), row.get("date_text")
    out: list[Evidence] = []

    # secondary: "protocol prolonging 1929 Berlin Treaty is signed"
    pm = _PROLONGING.search(subject)
    if pm:
        in_target = [h for h in alias_hits if pm.end() <= h[0] < len(subject)]
        if in_target:
            tid = in_target[0][2]
        else:
            comp = compound_parties(subject[: pm.start()])
            prefix = subject[comp[0][0]: comp[0][1]] + " " if comp else ""
            tid = resolve_description(prefix + subject[pm.end():], gazetteer)
        if tid:
            out.append(Evidence(tid, "prolonged", date, date_text, pid, sid, 0))
        subject = subject[: pm.start()]

    subj_aliases = [h for h in alias_hits if h[1] <= len(subject)]
    obj_aliases = [h for h in alias_hits if h[0] >= m.end()]
    subject_has_noun = bool(_TREATY_NOUN_RX.search(subject))
    if subj_aliases:
        phrase, hits = subject, subj_aliases
    elif subject_has_noun:
        if _NOT_A_TREATY.search(subject):
            return out, None
        phrase, hits = (subject if compound_parties(subject) else subject + " " + obj), []
    else:
        phrase, hits = obj, obj_aliases
        # "Soviet government denounces treaty ... with Turkey": the subject's state is a party
        if re.search(r"\bSoviet\b|\bUSSR\b|\bRSFSR\b", subject) and not compound_parties(obj):
            phrase = "Soviet " + phrase
        if _NOT_A_TREATY.search(obj.split(" with ")[0][:40]):
            return out, None

    parties = tuple(parties_in(text if not subj_aliases else subject + " " + _between_clause(obj)))
    if event == "signed" and re.search(r"\bSoviet Russia\b|\bUSSR\b|\bRSFSR\b", subject) and "Soviet Union" not in parties:
        parties = ("Soviet Union", *parties)
    place = place_in(text) if event == "signed" else None
    tid = None
    if hits:
        tid = hits[0][2]
    elif event == "signed" and _PLURAL_NOUN.search(subject):
        # "general and trade treaties are signed between USSR and Great Britain": every treaty
        # between these parties signed that day
        for t in _signed_on(parties, date, _window(date, date_end), gazetteer):
            out.append(Evidence(t.id, event, t.date_signed if date_end else date, date_text, pid, sid, 0, parties, place, date_end))
        if out:
            return out, None
    elif _TREATY_NOUN_RX.search(phrase):
        if event == "signed":
            tid = resolve_description(phrase, gazetteer, on_date=date, date_window=_window(date, date_end))
        else:
            tid = resolve_description(phrase, gazetteer)
    new = None
    if tid is None and event == "signed" and subject_has_noun and len(parties) >= 2:
        new = _new_treaty(subject, parties, date)
        tid = new.id if new else None
    if tid:
        t = next((g for g in gazetteer if g.id == tid), None)
        ev_date = calendar_date(date, row.get("date_old_style"), set(parties) | set(t.parties if t else ()))
        if date_end and t and t.date_signed and date <= t.date_signed <= date_end and event == "signed":
            ev_date = t.date_signed  # a range entry ("29-30 September ... is signed") that agrees
        out.append(Evidence(tid, event, ev_date, date_text, pid, sid, 0, parties if event == "signed" else (), place, date_end))
    return out, new


_PLURAL_NOUN = re.compile(r"\b(?:treaties|agreements|pacts|conventions|protocols)\b", re.I)


def _signed_on(parties: tuple[str, ...], date: dt.date, window: int, gazetteer: tuple[Treaty, ...]) -> list[Treaty]:
    if len(parties) < 2:
        return []
    return [t for t in gazetteer if not t.proposed and t.date_signed and set(parties) <= set(t.parties)
            and abs((t.date_signed - date).days) <= window]


def _window(date: dt.date, date_end: dt.date | None) -> int:
    return max(2, (date_end - date).days if date_end else 0)


def _between_clause(text: str) -> str:
    m = re.search(r"\bbetween\s.*", text)
    return m.group(0) if m else ""


def _new_treaty(subject: str, parties: tuple[str, ...], date: dt.date) -> NewTreaty | None:
    m = re.search(rf"((?:[A-Za-z-]+\s+){{0,3}}{_TREATY_NOUN}\b(?:\s+(?:of|on)\s+[a-z ,-]+)?)", subject, re.I)
    if not m:
        return None
    phrase = re.sub(r"^(?:a|an|the|secret|provisional|preliminary)\s+", "", m.group(1).strip(), flags=re.I)
    phrase = re.sub(r"\s+(?:is|are)$", "", phrase)
    name = f"{phrase[:1].upper()}{phrase[1:]} ({date.year}): {', '.join(parties)}"
    kinds = kinds_in(phrase)
    ttype = next((k for k in kinds if k not in ("protocol", "convention")), kinds[0] if kinds else "other")
    return NewTreaty("treaty:" + slug(f"{phrase} {'-'.join(parties)} {date.isoformat()}"), name, ttype, parties)


# ---------------------------------------------------------------------------------------------
# Running text

# Active verbs standing right before the treaty they act on ("Germany revoked the Locarno
# agreements", "signed a humiliating Alexandropol Treaty", "the signing in Ankara on ... of").
_ACTIVE_BEFORE = [
    ("signed", re.compile(r"\b(?:signed|concluded|signing|conclusion)\b")),
    ("ratified", re.compile(r"\b(?:ratified|ratifies|ratification)\b")),
    ("prolonged", re.compile(r"\b(?:prolonged|prolonging|prolongs|extended|extending|renewed)\b")),
    ("denounced", re.compile(r"\b(?:denounced|denounces|revoked|revokes|repudiated|repudiates|renounced|renounces)\b")),
    ("annulled", re.compile(r"\b(?:annulled|annuls|annulling|abrogated|abrogates)\b")),
]
# what may stand between such a verb and its treaty: articles, adjectives, "with the Japanese
# government what became known as", "in Ankara on October 19, 1939 of" — no clause break
_BEFORE_GAP = re.compile(r"[^;:.()\"“”]{0,70}")
_NOT_STATED = re.compile(r"\b(?:would|could|should|might|may|will|shall|to|not|never|proposed|demand\w*|accus\w*|"
                         r"threat\w*|insist\w*|refus\w*|calling for|call for|if)\s+(?:\w+\s+){0,2}$", re.I)
_NUMBER_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20}
_RELATIVE_AFTER_RX = re.compile(r"\s+(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+(days?|weeks?)\s+later\b")


def _verbs_for(sent: str, ref: Reference) -> list[tuple[str, re.Match]]:
    """Event verbs of one treaty reference: finite forms after it (``was signed``,
    ``came into force``), else ``signed``/``concluded`` after it, plus an active verb right
    before it (``revoked the Locarno agreements``) — never a verb in a modal, infinitive,
    negated or reported frame (``would annul``, ``accused ... of violating``)."""
    verbs = [(ev, m) for ev, rx in _MAIN_VERBS for m in rx.finditer(sent) if m.start() >= ref.end]
    if not verbs:
        verbs = [("signed", m) for m in _SIGNED_PAST.finditer(sent) if m.start() >= ref.end]
    before = sent[: ref.start]
    for ev, rx in _ACTIVE_BEFORE:
        for m in rx.finditer(before):
            gap = before[m.end():]
            if _BEFORE_GAP.fullmatch(gap) and not _TREATY_NOUN_RX.search(gap) and not _ANY_VERB.search(gap):
                verbs.append((ev, m))
    return [(ev, m) for ev, m in sorted(verbs, key=lambda x: x[1].start()) if not _NOT_STATED.search(sent[: m.start()])]


def _relative_date(sent: str, vm: re.Match, base: ParsedDate | None) -> tuple[dt.date, str] | None:
    """``ratified two days later`` → the base date (the sentence's one ``on <date>``) plus two days."""
    rm = _RELATIVE_AFTER_RX.match(sent, vm.end())
    if not rm or base is None:
        return None
    n = int(rm.group(1)) if rm.group(1).isdigit() else _NUMBER_WORDS[rm.group(1)]
    days = n * (7 if rm.group(2).startswith("week") else 1)
    return base.date + dt.timedelta(days=days), rm.group(0).strip()


def text_evidence(paragraph: dict, gazetteer: tuple[Treaty, ...], alias_hits: list[tuple[int, int, str]]) -> list[Evidence]:
    """Treaty events stated in one running-text paragraph: a sentence with one treaty reference,
    an event verb (after it, or an active verb right before it), and the date of that verb
    (``on <date>`` near the verb, a sentence-initial ``On <date>`` governing the first verb, or
    ``two days later`` counted from the sentence's date). A date right after the treaty phrase
    (``the treaty of March 16, 1921``) identifies the treaty; it is not the date of a violation
    or denunciation (see ``identifier_evidence``)."""
    text = paragraph.get("text") or ""
    out: list[Evidence] = []
    if not alias_hits and not _has_noun(text):
        return out
    for s0, s1, sent, noun, years in _sentences(text):
        if noun < 0 and not any(s0 <= h[0] < s1 for h in alias_hits):
            continue
        if not _EVENT_WORD.search(sent):
            continue
        hits = [(a - s0, b - s0, t) for a, b, t in alias_hits if s0 <= a and b <= s1]
        out += _prolonging(sent, paragraph, gazetteer)
        refs = references_in(sent, gazetteer, hits, years=years)
        if not refs:
            refs = _sentence_party_reference(sent, gazetteer)
        if len({r.treaty_id for r in refs}) != 1:
            continue
        ref = refs[0]
        # the sentence's first treaty noun must belong to the reference: "A treaty ... on the
        # pattern of the Soviet-Turkish treaty was signed" is about another treaty — unless an
        # active verb acts on the reference itself
        verbs = _verbs_for(sent, ref)
        if noun >= 0 and not any(r.start <= noun < r.end for r in refs):
            verbs = [(ev, m) for ev, m in verbs if m.end() <= ref.start]
        if not verbs:
            continue
        dates = [d for d in dates_in(sent) if d.precision == "day" and not _identifies(sent, d, refs)]
        on_dates = [d for d in dates if re.search(r"\b[Oo]n\s+$", sent[: d.start])]
        base = on_dates[0] if len({d.date for d in on_dates}) == 1 else None
        kinds_seen = {ev for ev, _ in verbs}
        for event in [k for k in dict.fromkeys(ev for ev, _ in verbs)]:
            vm = next(m for ev, m in verbs if ev == event)
            rel = _relative_date(sent, vm, base)
            if rel:
                date, date_text = rel
            else:
                verb_dates = [d for d in on_dates if _governs(d, vm, verbs, ref, len(kinds_seen) == 1)]
                if len({d.date for d in verb_dates}) != 1:
                    continue
                date, date_text = verb_dates[0].date, verb_dates[0].text
                t = _by_id(gazetteer).get(ref.treaty_id)
                date = calendar_date(date, verb_dates[0].old_style, set(parties_in(sent)) | set(t.parties if t else ()))
            if event == "signed" and ref.how != "alias":
                phrase = sent[ref.start: ref.end]
                if resolve_description(phrase, gazetteer, on_date=date, years=years) != ref.treaty_id and \
                        not _agrees(ref.treaty_id, date, gazetteer):
                    continue  # signed on a date that is not this treaty's: another agreement
            out.append(Evidence(ref.treaty_id, event, date, date_text, paragraph["paragraph_id"], paragraph.get("source_id"), 1,
                                place=place_in(sent) if event == "signed" else None))
    return out


_NOMINAL = re.compile(r"signing|conclusion|ratification|prolonging|extending|annulling")


def _governs(d: ParsedDate, vm: re.Match, verbs: list[tuple[str, re.Match]], ref: Reference, one_kind: bool) -> bool:
    """Whether the ``on <date>`` ``d`` is the date of the verb ``vm``: it follows the verb closely,
    or it opens the sentence (or stands just before the verb's subject) with no other event verb
    between them."""
    if 0 <= d.start - vm.end() <= 60:
        return True
    if _NOMINAL.fullmatch(vm.group(0)):
        return False  # "On <date>, following the signing of ...": the date is another verb's
    if d.end <= vm.start() and not any(d.end < m.start() < vm.start() for _, m in verbs):
        return d.start < 5 or (vm.start() - d.end <= 40 and (one_kind or d.end <= ref.start))
    return False


def _agrees(tid: str, date: dt.date, gazetteer: tuple[Treaty, ...], window: int = 2) -> bool:
    t = _by_id(gazetteer).get(tid)
    return bool(t and t.date_signed and abs((t.date_signed - date).days) <= window)


_PROLONG_TARGET = re.compile(r"\b(?:protocol|agreement)\b(?P<with>\s+with\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)?"
                             r"\s+(?:that\s+|which\s+)?(?:prolonged|prolonging|extended|extending)\s+"
                             r"(?P<target>the\s+(?:\d{4}\s+)?[A-Z]?[\w-]*\s*(?:treaty|pact|convention|agreement)(?:\s+on\s+[a-z-]+)?"
                             r"|the\s+(?:\d{4}\s+)?[A-Z][\w-]+\s+[A-Z]?[\w-]*\s*(?:treaty|pact|convention|agreement)(?:\s+on\s+[a-z-]+)?)")


def _prolonging(sent: str, paragraph: dict, gazetteer: tuple[Treaty, ...]) -> list[Evidence]:
    """``On December 17, 1929, it signed a protocol with Turkey prolonging the 1925 treaty``: the
    treaty prolonged, dated by the signing of the protocol (the sentence's one ``on <date>``
    before it). The protocol's partner is the treaty's partner."""
    m = _PROLONG_TARGET.search(sent)
    if not m or not re.search(r"\b(?:sign\w*|conclu\w*)\b", sent[: m.start()]):
        return []
    on_dates = [d for d in dates_in(sent) if d.precision == "day" and re.search(r"\b[Oo]n\s+$", sent[: d.start])]
    before = [d for d in on_dates if d.end <= m.start()][-1:]  # the nearest: "on <date>, it signed a protocol"
    if not before:
        return []
    target = m.group("target")
    partner = (m.group("with") or "").strip()
    phrase = f"{target} {partner}".strip()
    if not compound_parties(phrase) and not partner:
        phrase = target
    if partner:
        phrase = "Soviet " + phrase if "Soviet" not in phrase else phrase
    tid = resolve_description(phrase, gazetteer)
    if tid is None and partner:
        tid = resolve_description(f"{target} between Soviet Union and {partner.split(None, 1)[1]}", gazetteer)
    t = _by_id(gazetteer).get(tid) if tid else None
    if not t or not t.date_signed or t.date_signed >= before[0].date:
        return []
    return [Evidence(tid, "prolonged", before[0].date, before[0].text, paragraph["paragraph_id"], paragraph.get("source_id"), 1)]


_KIND_NOUN_RX = re.compile(r"\bthe\s+((?:[a-z-]+\s+){1,3}(?:treaty|pact|agreement|convention))\b")


def _sentence_party_reference(sent: str, gazetteer: tuple[Treaty, ...]) -> list[Reference]:
    """``the Soviet government told the government of Finland that it had denounced the
    non-aggression treaty``: a treaty noun with a kind word but no parties of its own, resolved
    with the states the sentence names (the Soviet Union when the Soviet side acts). Only when
    exactly one treaty fits."""
    m = _KIND_NOUN_RX.search(sent)
    if not m or not kinds_in(m.group(1)) or compound_parties(m.group(1)):
        return []
    states = list(dict.fromkeys(s for _, _, s in state_names(sent)))
    for _, _, ps in compound_parties(sent):
        states += [p for p in ps if p not in states]
    if re.search(r"\bSoviet (?:government|Union)\b|\bUSSR\b", sent) and "Soviet Union" not in states:
        states.insert(0, "Soviet Union")
    if len(states) != 2:
        return []
    tid = resolve_description(f"{m.group(1)} between {states[0]} and {states[1]}", gazetteer)
    return [Reference(tid, m.start(1), m.end(1), "description")] if tid else []


# \bof\s+(?:\d|[A-Z]), written to start with the literal "of": a 4x faster scan
_OF_NAME_OR_NUMBER = re.compile(r"of(?<=\bof)\s+(?:\d|[A-Z])")


def identifier_evidence(paragraph: dict, gazetteer: tuple[Treaty, ...], alias_hits: list[tuple[int, int, str]]) -> list[Evidence]:
    """``the German-Polish non-aggression pact of January 26, 1934``, ``Protocol of 17 June
    1925``: a treaty reference followed by ``of <full date>`` states the date the treaty was
    signed (event ``signed``, rank 2: after chronology and running-text statements). A stated
    date more than 20 days from the reference date is a slip of the text (``the Anglo-Soviet
    agreement of April 16, 1921``) and is not taken."""
    text = paragraph.get("text") or ""
    out: list[Evidence] = []
    if " of " not in text or (not alias_hits and not _has_noun(text)):
        return out
    for s0, s1, sent, noun, years in _sentences(text):
        if not _OF_NAME_OR_NUMBER.search(sent):
            continue
        hits = [(a - s0, b - s0, t) for a, b, t in alias_hits if s0 <= a and b <= s1]
        if noun < 0 and not hits:
            continue  # no treaty noun, no name: no reference (the nouns of descriptions are treaty nouns)
        refs = references_in(sent, gazetteer, hits, years=years) + (_dated_nouns(sent, gazetteer) if noun >= 0 else [])
        if not refs:
            continue
        dates = [d for d in dates_in(sent) if d.precision == "day"]
        for r in refs:
            for d in dates:
                inside = r.start <= d.start and d.end <= r.end + 1 and re.search(r"\bof\s+$", sent[: d.start])
                right_after = r.end <= d.start <= r.end + 12 and _identifies(sent, d, [r])
                if (inside or right_after) and _agrees(r.treaty_id, d.date, gazetteer, 20):
                    out.append(Evidence(r.treaty_id, "signed", d.date, d.text, paragraph["paragraph_id"],
                                        paragraph.get("source_id"), 2))
                    break
    return out


_DATED_NOUN_RX = re.compile(r"\b(Treaty|Pact|Agreement|Convention|Protocol|Armistice|treaty|pact|agreement|convention|protocol|armistice)\s+of\s+")


def _dated_nouns(sent: str, gazetteer: tuple[Treaty, ...]) -> list[Reference]:
    """``Protocol of 17 June 1925 on the prohibition of ... gases``: a bare treaty noun with a full
    date, resolved to the one treaty of that kind signed that very day."""
    out = []
    for m in _DATED_NOUN_RX.finditer(sent):
        ds = [d for d in dates_in(sent[m.end():]) if d.start == 0 and d.precision == "day"]
        if not ds:
            continue
        noun = m.group(1).lower()
        cands = [t for t in gazetteer if t.date_signed == ds[0].date
                 and (t.treaty_type == noun or noun in t.name.lower() or (noun in ("treaty", "pact", "agreement") and t.treaty_type
                                                                           not in ("protocol", "convention", "armistice")))]
        if len(cands) == 1:
            out.append(Reference(cands[0].id, m.start(), m.end(), "description"))
    return out


_NAME_SHAPED = re.compile(
    rf"(?:(?<![\w-])(?:[A-Z][a-z]+|US)(?:-(?:[A-Z][a-z]+|US))+(?:\s+[a-z-]+){{0,3}}?|[A-Z][a-z]{{3,}})\s+{_TREATY_NOUN}"
    rf"(?:\s+{_TREATY_NOUN})?\b")


@lru_cache(maxsize=64)
def _has_noun(text: str) -> bool:
    """Whether a paragraph has a treaty noun (source_evidence and the functions it calls ask)."""
    return bool(_TREATY_NOUN_RX.search(text))


class _Sentence(NamedTuple):
    start: int
    end: int
    text: str
    noun: int  # where its first treaty noun starts; -1: none
    years: tuple[int, ...]  # the years it states


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[_Sentence, ...]:
    """The sentences of a paragraph (``split_sentences``) with their first treaty noun and years:
    name_references, identifier_evidence and text_evidence all read them."""
    out = []
    for s0, s1 in split_sentences(text):
        sent = text[s0:s1]
        noun = _TREATY_NOUN_RX.search(sent)
        years = tuple(int(y) for y in _YEAR_RX.findall(sent)) if "18" in sent or "19" in sent else ()
        out.append(_Sentence(s0, s1, sent, noun.start() if noun else -1, years))
    return tuple(out)


def name_references(paragraph: dict, gazetteer: tuple[Treaty, ...], alias_hits: list[tuple[int, int, str]],
                    year: int | None = None) -> list[tuple[int, int, str]]:
    """Treaty names the gazetteer cannot list because several treaties share them (ENTITY-RULES:
    ``Anglo-Soviet agreement``, ``Moscow protocol`` are names), resolved from their context by
    ``references_in`` to exactly one treaty: (start, end, treaty_id) of the name alone — a
    state compound with up to three lowercase words and a treaty noun (``Soviet-American trade
    agreement`` of ``... agreement of 1937``), or a place word and a lowercase treaty noun.
    Descriptions without such a name (``the treaty with China of 1896``, ``the treaty of
    August 23``) are not mentions. ``year``: the year of a chronology entry, for its sentences
    that state none."""
    text = paragraph.get("text") or ""
    out: list[tuple[int, int, str]] = []
    if not _has_noun(text):
        return out
    for s0, s1, sent, noun, years in _sentences(text):
        if noun < 0:
            continue
        hits = [(a - s0, b - s0, t) for a, b, t in alias_hits if s0 <= a and b <= s1]
        years = years or ((year,) if year else ())
        for r in references_in(sent, gazetteer, hits, years=years):
            if r.how != "description":
                continue
            m = _NAME_SHAPED.search(sent, r.start, r.end)
            if m and (m.start() == r.start or not sent[r.start:m.start()].strip(" '’s") or
                      re.fullmatch(r"(?:the|a|an|\d{4})\s+", sent[r.start:m.start()])):
                out.append((s0 + m.start(), s0 + m.end(), r.treaty_id))
    return out


def entry_names(entry: dict, text: str, gazetteer: tuple[Treaty, ...]) -> list[tuple[int, int, str]]:
    """Treaty names (state compound + treaty noun) in a chronology entry, linked to the treaty
    the entry's event was linked to (``chronology_evidence``: dated, so ``Soviet-German
    agreement is signed on extension of ...`` of 5 November 1922 is the supplementary
    agreement, not the Treaty of Rapallo): the one treaty of that sentence whose parties
    include the compound's."""
    out: list[tuple[int, int, str]] = []
    by_id = _by_id(gazetteer)
    hits = match_aliases(text, gazetteer)
    for s0, s1 in split_sentences(text):
        sent = text[s0:s1]
        found, nt = _chronology_sentence(sent, entry, gazetteer)
        nts = [nt] if nt else []
        linked = {ev.treaty_id for ev in found if ev.event != "prolonged"} or {ev.treaty_id for ev in found}
        for m in _NAME_SHAPED.finditer(sent):
            comp = compound_parties(m.group(0))
            if not comp or any(a < s0 + m.end() and s0 + m.start() < b for a, b, _ in hits):
                continue
            fits = [tid for tid in linked if set(comp[0][2]) <= set(by_id[tid].parties if tid in by_id else
                                                                   next((n.parties for n in nts if n.id == tid), ()))]
            if len(fits) == 1:
                out.append((s0 + m.start(), s0 + m.end(), fits[0]))
    return out


def _identifies(sent: str, d: ParsedDate, refs: list[Reference]) -> bool:
    """A date standing right after a treaty reference, introduced by ``of``."""
    for r in refs:
        gap = sent[r.end: d.start]
        if 0 <= len(gap) <= 12 and re.fullmatch(r"[^.;]*\bof\s+", gap):
            return True
    before = sent[max(0, d.start - 40): d.start]
    return bool(re.search(rf"{_TREATY_NOUN}\s+of\s+$", before, re.I))


# ---------------------------------------------------------------------------------------------
# Tables


@dataclass
class SourceEvidence:
    """What one source says about treaties (``source_evidence``): all a corpus-wide
    ``treaty_tables`` needs of it, so that it can be cached per source."""

    evidence: list[Evidence]  # its chronology entries' (by paragraph_id), then its running text's
    new: list[NewTreaty]  # treaties the gazetteer lacks, recorded signed by its chronology (first of each id)
    pattern: list[dict]  # entity_mentions rows (method pattern), in paragraph order


def _merge_hits(own: list[tuple[int, int, str]], given: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The paragraph's own gazetteer names, plus the given mentions that overlap none of them."""
    merged = {(s, e): t for s, e, t in own}
    for s, e, t in given:
        if not any(a < e and s < b for a, b in merged):
            merged[(s, e)] = t
    return sorted((s, e, t) for (s, e), t in merged.items())


def source_evidence(paragraphs: list[dict], events: list[dict], mentions: list[dict],
                    gazetteer: tuple[Treaty, ...] | None = None) -> SourceEvidence:
    """The treaty evidence of one source's ``paragraphs`` and ``events`` (chronology entries
    first, then the running text: see the module docstring), the treaties its chronology adds
    and its pattern mentions: the names only resolvable from context (``the Soviet-American
    trade agreement of 1937``), none where one of ``mentions`` (the gazetteer's ``treaty:``
    mentions of the source) already covers the place. Nothing here depends on another source."""
    gaz = gazetteer or load_gazetteer()
    known = _by_id(gaz)
    given: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for m in mentions:
        if str(m.get("entity_id", "")).startswith("treaty:") and m.get("char_start") is not None:
            given[m["paragraph_id"]].append((m["char_start"], m["char_end"], m["entity_id"]))

    evidence: list[Evidence] = []
    new: dict[str, NewTreaty] = {}
    chron_paras = set()
    for ev in sorted((e for e in events if e.get("kind") == "chronology"), key=lambda e: (e.get("source_id") or "", e.get("paragraph_id") or "")):
        chron_paras.add(ev["paragraph_id"])
        found, nts = chronology_evidence(ev, gaz)
        evidence += found
        for nt in nts:
            new.setdefault(nt.id, nt)
    entries = {e["paragraph_id"]: e for e in events if e.get("kind") == "chronology" and e.get("date_start") is not None}

    pattern: list[dict] = []
    for p in paragraphs:
        pid, text = p["paragraph_id"], p.get("text") or ""
        has_noun = _has_noun(text)
        own = match_aliases(text, gaz)
        if has_noun:
            found = entry_names(entries[pid], text, gaz) if pid in entries else name_references(p, gaz, own)
            for s, e, tid in found:
                if any(a < e and s < b for a, b, _ in given.get(pid, ())):
                    continue
                pattern.append({"entity_id": tid, "paragraph_id": pid, "doc_id": p.get("doc_id"),
                                "source_id": p.get("source_id"), "char_start": s, "char_end": e,
                                "surface": text[s:e], "method": "pattern"})
        if p.get("kind") == "table_row":
            continue  # contents rows repeat the headings
        hits = _merge_hits(own, [h for h in given.get(pid, ()) if h[2] in known])
        if not has_noun and not hits:
            continue  # neither a treaty noun nor a treaty name: no evidence
        evidence += identifier_evidence(p, gaz, hits)
        if pid in chron_paras or p.get("kind") in ("heading", "chronology_entry"):
            continue
        evidence += text_evidence(p, gaz, hits)
    return SourceEvidence(evidence, list(new.values()), pattern)


def treaty_tables(parts: list[SourceEvidence], n_mentions: dict[str, int],
                  gazetteer: tuple[Treaty, ...] | None = None,
                  provenance: dict | None = None) -> tuple[list[dict], list[dict]]:
    """(treaties rows, treaty_events rows) from the evidence of every source, ``parts`` in
    source_id order (the first source wins a tie), and the number of mentions of each treaty
    (gazetteer and pattern mentions). Contract columns, sorted by treaty_id. When a dict is
    given as ``provenance`` it receives, per treaty_id, where date_signed, parties and
    place_signed came from (``text`` evidence or the ``gazetteer``; None when empty).

    A row exists for every treaty with a mention or a treaty event; a treaty only described
    (never named, no event) has no evidence to show and no row."""
    gaz = gazetteer or load_gazetteer()
    known = _by_id(gaz)
    new: dict[str, NewTreaty] = {}
    by_treaty: dict[str, list[Evidence]] = defaultdict(list)  # in the order of parts, then within each
    for part in parts:
        for nt in part.new:
            new.setdefault(nt.id, nt)
        for e in part.evidence:
            by_treaty[e.treaty_id].append(e)

    # treaty_events rows (deduplicated: one per treaty, event, date and paragraph)
    seen = set()
    ev_rows = []
    for evidence in by_treaty.values():
        for e in evidence:
            key = (e.treaty_id, e.event, e.date, e.paragraph_id)
            if key in seen:
                continue
            seen.add(key)
            ev_rows.append({"treaty_id": e.treaty_id, "event": e.event, "date": e.date, "date_text": e.date_text,
                            "paragraph_id": e.paragraph_id, "source_id": e.source_id})
    ev_rows.sort(key=lambda r: (r["treaty_id"], r["date"] or dt.date.min, r["event"], r["paragraph_id"]))

    rows = []
    for tid in sorted({t for t, n in n_mentions.items() if n} | set(by_treaty)):
        t = known.get(tid)
        nt = new.get(tid)
        if t is None and nt is None:
            continue  # a mention of a treaty neither in the gazetteer nor found here
        # chronology first (rank 0), then running text; ties: the first source, the first place
        signed = sorted((e for e in by_treaty.get(tid, ()) if e.event == "signed"),
                        key=lambda e: (e.rank, e.date or dt.date.max))
        date_signed, parties, place = (t.date_signed, list(t.parties), t.place_signed) if t else (None, list(nt.parties), None)
        parties = parties or None  # unknown: null, never []
        src = {"date_signed": "gazetteer", "parties": "gazetteer" if t else "text", "place_signed": "gazetteer"}
        if signed:
            src["date_signed"] = "text"
            best = signed[0]
            ev_date = best.date
            if t and t.date_signed and best.date_end and best.date <= t.date_signed <= best.date_end:
                ev_date = t.date_signed  # a range entry ("29-30 September ... is signed") agrees
            date_signed = ev_date
            with_parties = [e for e in signed if len(e.parties) >= 2]
            # the text's parties, unless they are only part of the reference's (the chronology's
            # "between RSFSR and Poland" for Riga, signed by Soviet Ukraine too): then the
            # reference list completes them, and says so in reference_fields
            if with_parties and not (t and set(with_parties[0].parties) < set(t.parties)):
                parties = list(with_parties[0].parties)
                src["parties"] = "text"
            with_place = [e for e in signed if e.place and e.date == date_signed]
            if with_place:
                place = with_place[0].place
                src["place_signed"] = "text"
        if provenance is not None:
            provenance[tid] = {k: (v if (date_signed, parties, place)[i] else None) for i, (k, v) in enumerate(src.items())}
        ttype = t.treaty_type if t else nt.treaty_type
        rows.append({
            "treaty_id": tid,
            "name": t.name if t else nt.name,
            "treaty_type": ttype if ttype in TREATY_TYPES else None,
            "parties": parties,
            "date_signed": date_signed,
            "place_signed": place,
            "n_mentions": int(n_mentions.get(tid, 0)),
        })
    return rows, ev_rows


def build_treaty_tables(paragraphs: list[dict], events: list[dict], mentions: list[dict],
                        gazetteer: tuple[Treaty, ...] | None = None,
                        provenance: dict | None = None,
                        mentions_out: list | None = None) -> tuple[list[dict], list[dict]]:
    """``treaty_tables`` over ``source_evidence`` of each source (rows of one source share its
    source_id). ``mentions`` are the gazetteer's treaty mentions; the pattern mentions found
    are counted in ``n_mentions`` and appended to ``mentions_out`` (a list) for
    ``entity_mentions`` — only when ``mentions_out`` is given: a caller that does not write
    them gets no row (and no count) built on them."""
    gaz = gazetteer or load_gazetteer()
    treaty_mentions = [m for m in mentions if str(m.get("entity_id", "")).startswith("treaty:")]
    source_of = {p["paragraph_id"]: p.get("source_id") for p in paragraphs}
    paras, evs, ments = defaultdict(list), defaultdict(list), defaultdict(list)
    for p in paragraphs:
        paras[p.get("source_id") or ""].append(p)
    for e in events:
        evs[e.get("source_id") or ""].append(e)
    for m in treaty_mentions:
        if m["paragraph_id"] in source_of:
            ments[source_of[m["paragraph_id"]] or ""].append(m)
    parts = [source_evidence(paras[sid], evs[sid], ments[sid], gaz) for sid in sorted(set(paras) | set(evs))]
    n_mentions = Counter(m["entity_id"] for m in treaty_mentions)
    if mentions_out is not None:
        for part in parts:
            mentions_out.extend(part.pattern)
            n_mentions.update(m["entity_id"] for m in part.pattern)
    return treaty_tables(parts, n_mentions, gaz, provenance)


def treaty_entities(treaty_rows: list[dict], mentions: list[dict], gazetteer: tuple[Treaty, ...] | None = None) -> list[dict]:
    """``entities`` rows (type ``treaty``) for every treaties row, so that each treaty_id is an
    entity_id even when the treaty is only described or dated in the text, never named."""
    known = {t.id: t for t in (gazetteer or load_gazetteer())}
    docs: dict[str, set] = defaultdict(set)
    for m in mentions:
        if str(m.get("entity_id", "")).startswith("treaty:"):
            docs[m["entity_id"]].add(m.get("doc_id"))
    out = []
    for r in treaty_rows:
        t = known.get(r["treaty_id"])
        aliases = [a for a in (t.aliases if t else ()) if a != r["name"]]
        out.append({"entity_id": r["treaty_id"], "type": "treaty", "name": r["name"], "aliases": aliases,
                    "n_mentions": r["n_mentions"], "n_documents": len(docs.get(r["treaty_id"], ()))})
    return out
