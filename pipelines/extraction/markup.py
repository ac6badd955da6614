"""Entity mentions the encoders marked up: TEI ``persName``/``placeName``/``orgName`` (method
``markup``). Pure functions: the names (``tei.Name``, with their spans in a paragraph's clean
text) and the gazetteer's mentions of the same source in, rows out.

- Every name inside a paragraph is a mention, its span the element's text less what
  ENTITY-RULES.md keeps out of a span: titles and ranks (``Col. George Emerson`` → ``George
  Emerson``), a lowercase article, a possessive. A name that is only a title (``Ataman``) is none.
- Its type is the element's: ``persName`` → person, ``placeName`` → place (a state when the
  gazetteer knows it as one), ``orgName`` → organisation.
- Its entity, in order: the name of the volume's own list entry it points to (``@corresp="#p_FDR1"``
  → ``Francis, David R.`` → ``David R. Francis``; a bare surname matching one list entry counts
  too) when that name is a gazetteer alias; the gazetteer's own mention of the name (it resolved
  the surname from context; for a person, a mention inside the name) or the element's text as a
  gazetteer alias, if a person's names agree (surname, first initial: ``J. Edgar Hoover`` is not
  ``Herbert Hoover``); else a new entity named by the list (``First Last``) or by the text.
  A text the gazetteer gives to several entities and no list entry decides stays unlinked.
- Markup mentions win: a gazetteer mention overlapping a markup mention in the same paragraph
  is dropped (no double counting).
"""

from __future__ import annotations

import re
from collections import ChainMap, defaultdict
from typing import Protocol

from pipelines.extraction.entities import Entity, Gazetteer, entity_rows, normalize, slugify

METHOD = "markup"
TYPE_OF = {"persname": "person", "placename": "place", "orgname": "organisation"}
ACCEPTS = {"person": {"person"}, "place": {"place", "state"}, "organisation": {"organisation"}}
TITLES = frozenset(
    "Mr Mrs Miss M Messrs Herr Sir Lord Lady Dame Dr Professor Prof Rev Hon Comrade Citizen General Gen "
    "Colonel Col Lieut Lt Major Maj Brig Brigadier Captain Capt Commander Admiral Adm Rear Vice Marshal "
    "Field Ataman Hetman Baron Baroness Count Countess Viscount Earl Marquess Marquis Duke Grand Prince "
    "Princess King Queen Emperor Empress Tsar Kaiser Emir Shah President Premier Chancellor Ambassador".split()
)
PARTICLES = frozenset({"von", "van", "de", "du", "der", "den", "da", "di", "la", "le"})
_POSSESSIVE = re.compile(r"['’]s$")
_INITIAL = re.compile(r"^[A-Z][a-z]?\.$")


class MarkedName(Protocol):  # pipelines.parsing.formats.tei.Name
    element: str
    char_start: int
    char_end: int
    surface: str
    ref: str | None
    listed: str | None


def _is_title(word: str) -> bool:
    return word.rstrip(".") in TITLES


def _untitled(words: list[str]) -> list[str]:
    """Words less the titles in front (``Brig. Gen. Charles C. M.`` → ``Charles C. M.``; an
    ``of`` right after a title goes too: ``Earl of``)."""
    i = 0
    while i < len(words) and (_is_title(words[i]) or (i and words[i] == "of" and _is_title(words[i - 1]))):
        i += 1
    return words[i:]


def listed_name(text: str) -> tuple[str, list[str]]:
    """A list entry's name in common order, and the names given in brackets:
    ``Francis, David R.`` → ``David R. Francis``; ``Goto, Shimpei, Baron`` → ``Shimpei Goto``;
    ``Mirbach, Wilhelm, Count von`` → ``Wilhelm von Mirbach``; ``Emerson, Col. George H.`` →
    ``George H. Emerson``; ``Lenin, N. (Vladimir Ulyanov)`` → (``N. Lenin``, [``Vladimir Ulyanov``])."""
    brackets = [" ".join(b.split()) for b in re.findall(r"\(([^)]*)\)", text)]
    bare = " ".join(re.sub(r"\([^)]*\)", " ", text).split())
    parts = [p.strip() for p in bare.split(",") if p.strip()]
    if len(parts) < 2:
        return " ".join(_untitled(bare.split())) or bare, brackets
    surname, given, rest = parts[0], parts[1], parts[2:]
    particles = [w for r in rest for w in r.split() if w in PARTICLES]
    return " ".join([*_untitled(given.split()), *particles, surname]), brackets


def trim_span(text: str, start: int, end: int, etype: str) -> tuple[int, int]:
    """The name only (ENTITY-RULES.md): no leading titles (persons), no lowercase article, no
    possessive ``'s``. Returns (start, start) when nothing but titles is left."""
    s = text[start:end]
    lead = 0
    if s.startswith("the "):
        lead = 4
    elif etype == "person":
        for m in re.finditer(r"\S+\s*", s):
            if not _is_title(m.group().strip()):
                break
            lead = m.end()
        else:
            return start, start
    tail = len(s)
    m = _POSSESSIVE.search(s)
    if m and m.start() > lead:
        tail = m.start()
    return start + lead, start + tail


def _without_middle_initials(name: str) -> str:
    words = name.split()
    return " ".join([words[0], *(w for w in words[1:-1] if not _INITIAL.match(w)), words[-1]]) if len(words) > 2 else name


class MarkupLinker:
    """Resolves the names of one source against the gazetteer and the source's own lists."""

    def __init__(self, gaz: Gazetteer, names: list[MarkedName]):
        self.gaz = gaz
        self.new: dict[str, Entity] = {}
        self.forms_of: dict[str, set[str]] = defaultdict(set)  # entity_id → its alias forms
        for forms in gaz.forms.values():
            for f in forms:
                for eid in f.entity_ids:
                    self.forms_of[eid].add(f.form)
        # the source's list entries by surname: a bare surname matching one of them is that person
        self.by_surname: dict[str, set[str]] = defaultdict(set)
        for n in names:
            if n.element == "persname" and n.listed and not n.ref:
                full, _ = listed_name(n.listed)
                self.by_surname[full.split()[-1]].add(full)

    def lookup(self, form: str, etype: str) -> list[str]:
        """Entities of a compatible type that have ``form`` as an alias (or as canonical name)."""
        ids = [e for f in self.gaz.forms.get(normalize(form), []) for e in f.entity_ids]
        ids.append(f"{etype}:{slugify(form)}")
        return list(dict.fromkeys(e for e in ids if e in self.gaz.entities and self.gaz.entities[e].type in ACCEPTS[etype]))

    def agrees(self, name: str, brackets: list[str], eid: str) -> bool:
        """Whether a gazetteer entity can be the listed person: its names hold the surname, and
        the first given name's initial where both give one (``George V. Chicherin`` ~ ``Georgy
        Chicherin``; ``Shimpei Goto`` ~ ``Goto Shinpei``, surname first)."""
        forms = [f.split() for f in self.forms_of.get(eid, set()) | {self.gaz.entities[eid].name}]
        words = name.split()
        surname = words[-1].casefold()
        if surname not in {w.casefold() for f in forms for w in f}:
            return False
        given = {w[0] for w in [words[0] if len(words) > 1 else "", *(b.split()[0] for b in brackets if b)] if w}
        initials = {w[0] for f in forms if len(f) > 1 for w in f if w.casefold() != surname}
        return not given or not initials or bool(given & initials)

    def resolve(self, etype: str, surface: str, listed: str | None, inside: list[str]) -> str | None:
        name, brackets = listed_name(listed) if listed else (None, [])
        if name is None and etype == "person" and len(surface.split()) == 1:
            owners = self.by_surname.get(surface, set())
            name = next(iter(owners)) if len(owners) == 1 else None
        if name:
            for form in dict.fromkeys([name, _without_middle_initials(name), *brackets]):
                ids = self.lookup(form, etype)
                if len(ids) == 1:
                    return ids[0]

        def fits(ids: list[str]) -> list[str]:  # a person's names must agree (J. Edgar Hoover is not Herbert)
            return [e for e in ids if etype != "person" or self.agrees(name or surface, brackets, e)]

        for ids in (list(dict.fromkeys(e for e in inside if self.gaz.entities[e].type in ACCEPTS[etype])),
                    self.lookup(surface, etype)):
            ids = fits(ids)
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1 and name is None:
                return None  # the gazetteer's ambiguity, undecided: unlinked
        canonical = name or surface
        eid = f"{etype}:{slugify(canonical)}"
        if eid not in self.gaz.entities:
            self.new.setdefault(eid, Entity(eid, etype, canonical))
        return eid


def markup_mentions(paragraph: dict, names: list[MarkedName], gaz_mentions: list[dict], linker: MarkupLinker
                    ) -> tuple[list[dict], list[tuple[int, int]]]:
    """One paragraph's markup mentions, and the element spans that became mentions. A name
    inside another marked name is left to the outer one (longest match)."""
    text = paragraph["text"]
    out, spans = [], []
    for n in sorted(names, key=lambda n: (n.char_start, -n.char_end)):
        if spans and n.char_start < spans[-1][1] or text[n.char_start:n.char_end] != n.surface:
            continue
        etype = TYPE_OF[n.element]
        a, b = trim_span(text, n.char_start, n.char_end, etype)
        if b <= a:
            continue  # only a title
        # the gazetteer's mentions of the name: inside a person's name (its surname), else the
        # whole name (the Gulf of Finland is not Finland)
        inside = [m["entity_id"] for m in gaz_mentions if (a, b) == (m["char_start"], m["char_end"])
                  or etype == "person" and a <= m["char_start"] and m["char_end"] <= b]
        eid = linker.resolve(etype, text[a:b], n.listed, inside)
        if eid is None:
            continue
        spans.append((n.char_start, n.char_end))
        out.append({
            "entity_id": eid,
            "paragraph_id": paragraph["paragraph_id"],
            "doc_id": paragraph["doc_id"],
            "source_id": paragraph["source_id"],
            "char_start": a,
            "char_end": b,
            "surface": text[a:b],
            "method": METHOD,
        })
    return out, spans


def add_markup_mentions(paragraphs: list[dict], mentions: list[dict], names: list[tuple[str, MarkedName]],
                        gaz: Gazetteer) -> tuple[list[dict], list[dict]]:
    """(entities rows, entity_mentions rows) of one source: its gazetteer ``mentions`` with the
    markup ``names`` (paragraph_id, name) added and the gazetteer mentions they overlap dropped."""
    by_para: dict[str, list[MarkedName]] = defaultdict(list)
    for pid, n in names:
        by_para[pid].append(n)
    gaz_by_para: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        gaz_by_para[m["paragraph_id"]].append(m)
    linker = MarkupLinker(gaz, [n for _, n in names])
    marked, drop = [], set()
    for p in sorted(paragraphs, key=lambda r: r["paragraph_id"]):
        if p["paragraph_id"] not in by_para:
            continue
        found, spans = markup_mentions(p, by_para[p["paragraph_id"]], gaz_by_para[p["paragraph_id"]], linker)
        marked += found
        for m in gaz_by_para[p["paragraph_id"]]:
            if any(m["char_start"] < e and s < m["char_end"] for s, e in spans):
                drop.add(id(m))
    out = [m for m in mentions if id(m) not in drop] + marked
    out.sort(key=lambda r: (r["entity_id"], r["paragraph_id"], r["char_start"]))
    return entity_rows(out, ChainMap(linker.new, gaz.entities)), out
