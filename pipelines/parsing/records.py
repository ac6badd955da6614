"""What a format parser returns: plain records with raw character spans.

A format parser (``pipelines/parsing/formats/<format>.py``) is a pure function
``parse(text: str) -> ParsedSource``: ``text`` is the decoded raw file, and every record
carries the ``char_start``/``char_end`` span (0-based, end-exclusive) of the raw text it
came from. ``pipelines/parsing/assemble.py`` turns these into contract rows: it assigns IDs
and ``seq``, derives line numbers, depths, word counts and page ranges, and records every
non-whitespace character no record covers as ``discarded_text`` (reason ``other``), so
nothing is lost silently.

References between records are list indexes: ``Para.doc`` is an index into
``ParsedSource.docs``, ``Note.para`` into ``ParsedSource.paras``, and so on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Doc:
    kind: str  # schemas.tables.DocKind
    char_start: int
    char_end: int
    parent: int | None = None  # index into ParsedSource.docs; None for the root (docs[0])
    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    date_precision: str | None = None  # day / month / year
    date_old_style: dt.date | None = None
    date_text: str | None = None
    place: str | None = None
    provenance: str | None = None
    page_start: int | None = None  # None: derived from the paragraphs' pages
    page_end: int | None = None


@dataclass
class Para:
    doc: int  # index into ParsedSource.docs: the deepest document containing it
    kind: str  # schemas.tables.ParagraphKind
    text: str  # clean text (see pipelines.parsing.text.clean)
    char_start: int
    char_end: int
    page: int | None = None
    page_estimated: bool | None = None  # None with a page: treated as estimated


@dataclass
class Work:
    """A cited work; every field optional (see schemas.tables.CitedWork)."""

    author: str | None = None
    title: str | None = None
    periodical: str | None = None
    issue: str | None = None
    volume: str | None = None
    pages: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    date: dt.date | None = None


@dataclass
class Note:
    doc: int
    kind: str  # footnote / endnote / source_note / cross_reference
    text: str  # clean text of the note
    char_start: int  # span of the note's own text in the raw file
    char_end: int
    para: int | None = None  # paragraph holding the marker
    marker: str | None = None
    anchor_char: int | None = None  # offset of the marker in that paragraph's clean text
    refers_to: int | None = None  # index into ParsedSource.notes ("See Note 13")
    cited_works: list[Work] = field(default_factory=list)


@dataclass
class Event:
    para: int
    kind: str  # chronology / text
    text: str
    date_start: dt.date | None = None
    date_end: dt.date | None = None
    date_precision: str | None = None
    date_text: str | None = None
    date_old_style: dt.date | None = None  # the Julian date where the text gives one


@dataclass
class Discard:
    char_start: int
    char_end: int
    reason: str  # page_number / running_header / ocr_noise / boilerplate / other


@dataclass
class ParsedSource:
    format: str
    title: str | None = None
    docs: list[Doc] = field(default_factory=list)
    paras: list[Para] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    discards: list[Discard] = field(default_factory=list)

    def add_doc(self, doc: Doc) -> int:
        self.docs.append(doc)
        return len(self.docs) - 1

    def add_para(self, para: Para) -> int:
        self.paras.append(para)
        return len(self.paras) - 1

    def add_note(self, note: Note) -> int:
        self.notes.append(note)
        return len(self.notes) - 1
