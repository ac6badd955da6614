"""A wiki page (MediaWiki text dump) holding one writing, with metadata lines and footnotes.

The layout: the page title; wiki chrome (``From Marxists-en``, ``Jump to navigation Jump to
search``, trailing ``Retrieved from ...``/``Categories:``); metadata lines
(``Author(s) Lenin``, ``Written 24 April 1922``, ``First published in ...``, ``Source: ...``);
the writing, one paragraph per line, with ``[1]`` footnote markers; the numbered notes at the end
(``  1. text``, continuation lines indented deeper).

Records: a root document (kind ``page``, the page title, its title line a heading paragraph);
one child document for the writing (kind from its title words, ``letter`` for ``Letter to ...``)
with author from ``Author(s)``, date from ``Written``/``Delivered``/``Date`` (else from the title),
provenance from ``First published``/``Source``; metadata lines are ``editorial`` paragraphs of
the writing, except ``Source:`` which is a ``source_note`` citation; each ``[n]`` marker with a
numbered note becomes a ``footnote`` citation anchored in its paragraph.
"""

from __future__ import annotations

import re

from pipelines.parsing.authors import canonical_author
from pipelines.parsing.dates import find_dates, parse_date
from pipelines.parsing.formats.plain import strip_controls
from pipelines.parsing.formats.web_collection import (
    doc_kind,
    heading_place,
    is_web_boilerplate,
)
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import MARK, Line, clean, split_lines, take_marks

_META = re.compile(
    r"""^(?P<key>Author\(s\)|Authors?|Written|Delivered|Date|First\s+[Pp]ublished|Published|Source|
    Translated|Translation|Transcri(?:bed|ption)(?:/Markup)?|Markup|HTML\s+Markup|Proofread|
    Public\s+Domain|Copyleft|Online\s+Version|Editor)(?!\w)\s*:?\s*(?P<value>.*)$""",
    re.X,
)
_NOTE_ITEM = re.compile(r"^(?P<indent>\s*)(?:\^\s*|↑\s*)?(?P<num>\d{1,3})[.)]\s+(?P<text>\S.*)$")
_NOTES_HEADING = re.compile(r"^\s*(?:Notes|Footnotes|References|Endnotes)\s*:?\s*$", re.I)
_MARKER = re.compile(r"\[(\d{1,3})\]")


def meta_line(s: str) -> tuple[str, str] | None:
    """``Author(s) Lenin`` → (``author(s)``, ``Lenin``): a metadata line's key and value."""
    m = _META.match(clean(s))
    if not m or not m.group("value").strip() and m.group("key") not in ("Public Domain", "Copyleft"):
        return None
    return m.group("key").lower(), m.group("value").strip()


def notes_section(lines: list[Line]) -> int:
    """Index (into ``lines``, non-blank lines) where the trailing numbered notes start: the
    last run of ``n. text`` items beginning at ``1``, each possibly followed by indented
    continuation lines, running to the end (trailing wiki chrome aside), and recognisable as
    notes (indented as the wiki renders them, under a ``Notes`` heading, or with a ``[1]``
    marker above); ``len(lines)`` if there is none."""
    end = len(lines)
    while end and is_web_boilerplate(lines[end - 1].text):
        end -= 1
    i, start = end - 1, end
    while i >= 0:
        m = _NOTE_ITEM.match(lines[i].text)
        if m and m.group("num") == "1":
            start = i
        elif not m and not lines[i].text.startswith((" ", "\t")):
            break
        i -= 1
    if start == end:
        return len(lines)
    items = [_NOTE_ITEM.match(ln.text) for ln in lines[start:end]]
    indented = any(m and m.group("indent") for m in items)
    heading = start > 0 and bool(_NOTES_HEADING.match(lines[start - 1].text))
    marked = any("[1]" in ln.text for ln in lines[:start])
    if not (indented or heading or marked):
        return len(lines)
    return start - 1 if heading else start


def parse_notes(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    """The numbered notes: (number, the note's lines) — an item line and the lines indented
    under it, up to the next item."""
    notes: list[tuple[str, list[Line]]] = []
    for ln in lines:
        m = _NOTE_ITEM.match(ln.text)
        if m and (not notes or len(m.group("indent")) <= len(_NOTE_ITEM.match(notes[-1][1][0].text).group("indent"))):
            notes.append((m.group("num"), [ln]))
        elif notes:
            notes[-1][1].append(ln)
    return notes


def _note_text(raw_lines: list[str]) -> str:
    first = _NOTE_ITEM.match(raw_lines[0])
    pieces = [first.group("text") if first else raw_lines[0]] + raw_lines[1:]
    return clean(strip_controls(" ".join(clean(p) for p in pieces)))


def paragraph_kind(s: str) -> str:
    """``editorial`` for a date line, ``quote`` for a paragraph opening with a quotation mark,
    else ``text``."""
    t = clean(s)
    dates = find_dates(t)
    if dates and dates[0].start == 0 and dates[0].end >= len(t.rstrip(". ")) - 1:
        return "editorial"
    if t.startswith(("“", '"', "«", "„")):
        return "quote"
    return "text"


def parse(text: str) -> ParsedSource:
    lines = [ln for ln in split_lines(text) if not ln.blank]
    out = ParsedSource(format="wiki_page")
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))
    if not lines:
        return out
    notes_at = notes_section(lines)
    tail = len(lines)
    while tail > notes_at and is_web_boilerplate(lines[tail - 1].text):
        tail -= 1
    body, note_lines = lines[:notes_at], lines[notes_at:tail]
    title_line = next((ln for ln in body if not is_web_boilerplate(ln.text)), None)
    title = clean(title_line.text) if title_line else None
    out.title = title
    out.docs[root].title = title
    child = Doc(kind=doc_kind(title or "", "article"), char_start=0, char_end=len(text), parent=root, title=title)
    writing = out.add_doc(child)
    notes = {num: ls for num, ls in parse_notes([ln for ln in note_lines if not _NOTES_HEADING.match(ln.text)])}

    provenance: list[str] = []
    written = None
    marker_paras: list[tuple[int, str, int]] = []  # (para, number, anchor)
    first_body = None
    for ln in body:
        s, e = ln.span()
        raw = text[s:e]
        if is_web_boilerplate(raw):
            out.discards.append(Discard(s, e, "boilerplate"))
            continue
        if ln is title_line:
            out.add_para(Para(doc=root, kind="heading", text=title, char_start=s, char_end=e))
            continue
        first_body = s if first_body is None else first_body
        meta = meta_line(raw)
        if meta:
            key, value = meta
            if key == "source":
                body_text = clean(strip_controls(raw))
                out.add_note(Note(doc=writing, kind="source_note", text=body_text, char_start=s, char_end=e))
                provenance.append(body_text)
                continue
            out.add_para(Para(doc=writing, kind="editorial", text=clean(strip_controls(raw)), char_start=s, char_end=e))
            if key.startswith("author"):
                child.author = canonical_author(value)
            elif key in ("written", "delivered", "date"):
                written = written or value
                child.place = child.place or heading_place(value)
            elif key.startswith(("first", "published")):
                provenance.append(clean(raw))
            continue
        # the writing: one paragraph per line, [n] markers with a note become anchors
        numbers: list[str] = []

        def mark(m: re.Match) -> str:
            if m.group(1) in notes:
                numbers.append(m.group(1))  # noqa: B023 - used at once
                return MARK
            return m.group(0)

        marked = _MARKER.sub(mark, raw)
        clean_text, anchors = take_marks(clean(strip_controls(marked)))
        idx = out.add_para(Para(doc=writing, kind=paragraph_kind(clean_text), text=clean_text, char_start=s, char_end=e))
        marker_paras.extend((idx, n, a) for n, a in zip(numbers, anchors))

    # the date: Written/Delivered line, else the title, else a date line of the writing
    for candidate in (written, title):
        d = parse_date(candidate) if candidate else None
        if d is not None:
            child.date, child.date_precision, child.date_old_style, child.date_text = d.date, d.precision, d.old_style, d.text
            break
    child.provenance = " ".join(provenance) or None
    child.char_start = first_body if first_body is not None else 0

    linked: set[str] = set()
    for para, num, anchor in marker_paras:
        ls = notes[num]
        a, b = ls[0].span()[0], ls[-1].span()[1]
        out.add_note(Note(doc=writing, kind="footnote", text=_note_text([x.text for x in ls]), char_start=a, char_end=b,
                          para=para, marker=num, anchor_char=anchor))
        linked.add(num)
    for ln in note_lines:
        if _NOTES_HEADING.match(ln.text):
            s, e = ln.span()
            out.add_para(Para(doc=writing, kind="heading", text=clean(ln.text), char_start=s, char_end=e))
    for num, ls in notes.items():
        if num not in linked:  # a note whose marker is not in the text
            a, b = ls[0].span()[0], ls[-1].span()[1]
            out.add_note(Note(doc=writing, kind="footnote", text=_note_text([x.text for x in ls]), char_start=a, char_end=b,
                              marker=num))
    for ln in lines[tail:]:
        if True:
            s, e = ln.span()
            out.discards.append(Discard(s, e, "boilerplate"))
    return out
