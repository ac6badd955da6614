"""A web page giving an excerpt of a book, with an editor's introduction above a rule.

The layout: the editor's introduction (a few lines, a URL among them), a rule of ``=`` (or
``-``, ``*``...) characters, the excerpt one paragraph per long line, a source line
(``Source; E.H. Carr - The Russian Revolution - ...; MacMillan, UK, 1979 - pp. 42-46.``),
then site chrome (``Comments``).

Records: a root document (kind ``page``); the introduction as a child document of kind
``note`` (its lines paragraphs, a line that ``runs_on`` joined with the next); the rule
discarded as ``boilerplate``; the excerpt as a child document of kind ``excerpt`` whose author
and title come from the source line (``source_author_title``), which is a ``source_note``
citation and the excerpt's provenance; trailing chrome discarded as ``boilerplate``.
"""

from __future__ import annotations

import re

from pipelines.parsing.authors import canonical_author
from pipelines.parsing.dates import parse_date
from pipelines.parsing.formats.plain import is_rule_line, strip_controls
from pipelines.parsing.formats.web_collection import (
    is_source_note,
    is_web_boilerplate,
    runs_on,
)
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import Line, clean, reflow, split_lines

_SOURCE_KEY = re.compile(r"^\s*sources?\s*[:;.,-]\s*", re.I)
_NAME = re.compile(r"^(?:[A-Z]\.\s?){0,3}[A-Z][A-Za-zà-ÿ'-]+(?:\s+[A-Z][A-Za-zà-ÿ'-]+){0,3}$")


def source_author_title(note: str) -> tuple[str | None, str | None]:
    """``Source; E.H. Carr - The Russian Revolution - from Lenin to Stalin 1917-1929;
    MacMillan, UK, 1979 - pp. 42-46.`` → (``E. H. Carr``, ``The Russian Revolution - from
    Lenin to Stalin 1917-1929``): the first ``;``-separated part after the key is
    ``Author - Title`` (or ``Author, Title``) when its head looks like a name, else a title."""
    t = _SOURCE_KEY.sub("", clean(note), count=1)
    first = re.split(r";|\s+\(", t, maxsplit=1)[0].strip(" .")
    for sep in (" - ", " – ", " — ", ": ", ", "):
        if sep in first:
            head, rest = first.split(sep, 1)
            if _NAME.match(head.strip()) and len(head.split()) <= 4:
                return canonical_author(head), rest.strip(" .") or None
    return None, first or None


def source_imprint(note: str) -> str:
    """The part of a source line after ``Author - Title``: publisher, place, year, pages."""
    t = _SOURCE_KEY.sub("", clean(note), count=1)
    return t.split(";", 1)[1] if ";" in t else ""


def _rule_index(lines: list[Line]) -> int | None:
    """Index (into non-blank ``lines``) of the first separator rule, if any."""
    return next((i for i, ln in enumerate(lines) if is_rule_line(ln.text)), None)


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    """One paragraph per line; a line that ``runs_on`` continues into the next."""
    groups: list[list[Line]] = []
    for ln in lines:
        if groups and runs_on(groups[-1][-1].text) and len(groups[-1]) < 20:
            groups[-1].append(ln)
        elif groups and groups[-1][-1].text.rstrip().endswith((";", ":")) and re.match(r"\s*(?:https?://|www\.)", ln.text):
            groups[-1].append(ln)  # "... see;" followed by the URL it announces
        else:
            groups.append([ln])
    return groups


def parse(text: str) -> ParsedSource:
    lines = [ln for ln in split_lines(text) if not ln.blank]
    out = ParsedSource(format="web_excerpt")
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))
    if not lines:
        return out
    rule = _rule_index(lines)
    intro, rest = (lines[:rule], lines[rule + 1:]) if rule is not None else ([], lines)

    def add_paras(doc: int, group_lines: list[Line]) -> None:
        for group in _paragraphs(group_lines):
            a, b = group[0].span()[0], group[-1].span()[1]
            body = clean(strip_controls(reflow([ln.text for ln in group])))
            if body:
                out.add_para(Para(doc=doc, kind="text", text=body, char_start=a, char_end=b))

    if intro:
        note_doc = out.add_doc(Doc(kind="note", char_start=intro[0].span()[0], char_end=intro[-1].span()[1], parent=root))
        add_paras(note_doc, [ln for ln in intro if not is_web_boilerplate(ln.text)])
        for ln in intro:
            if is_web_boilerplate(ln.text):
                out.discards.append(Discard(*ln.span(), "boilerplate"))
    if rule is not None:
        out.discards.append(Discard(*lines[rule].span(), "boilerplate"))

    # trailing chrome (after the last content line)
    end = len(rest)
    while end and is_web_boilerplate(rest[end - 1].text):
        end -= 1
    body, trailer = rest[:end], rest[end:]
    if body:
        excerpt = Doc(kind="excerpt", char_start=body[0].span()[0], char_end=body[-1].span()[1], parent=root)
        ex = out.add_doc(excerpt)
        pending: list[Line] = []
        for ln in body:
            if is_source_note(ln.text):
                add_paras(ex, pending)
                pending = []
                a, b = ln.span()
                note = clean(strip_controls(text[a:b]))
                out.add_note(Note(doc=ex, kind="source_note", text=note, char_start=a, char_end=b))
                excerpt.provenance = f"{excerpt.provenance} {note}" if excerpt.provenance else note
                author, title = source_author_title(note)
                excerpt.author = excerpt.author or author
                excerpt.title = excerpt.title or title
                imprint = source_imprint(note)
                years = re.findall(r"\b(1[89]\d\d|20\d\d)\b", imprint)
                if years and excerpt.date is None:
                    d = parse_date(years[-1])  # the publication year, from the imprint
                    excerpt.date, excerpt.date_precision, excerpt.date_text = d.date, d.precision, d.text
            elif is_web_boilerplate(ln.text):
                add_paras(ex, pending)
                pending = []
                out.discards.append(Discard(*ln.span(), "boilerplate"))
            else:
                pending.append(ln)
        add_paras(ex, pending)
        out.title = excerpt.title
    for ln in trailer:
        out.discards.append(Discard(*ln.span(), "boilerplate"))
    out.docs[root].title = out.title
    return out
