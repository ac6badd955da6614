"""A book's table of contents printed as Markdown tables, and finding its entries' headings.

``| CHAPTER I. The First Steps | 30 |`` rows → ``ContentsEntry`` (title, page, kind); rows
split over two lines or two tables (``| ... of the International | |`` then
``| Situation (1929-1932) | 256 |``) are merged. ``heading_key`` reduces a title to letters and
digits so that a heading printed in capitals, in bold over several lines, with curly
quotes, stray hyphens (``Ag- gression``) or without its chapter label still matches its entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pipelines.parsing.text import clean, strip_markdown

CONTENTS_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*)?(?:table of )?contents(?:\*\*)?\s*:?\s*$", re.I)
TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_SEP_CELL = re.compile(r"^:?-{1,}:?$")
_LEADERS = re.compile(r"\s*(?:\.\s*){2,}$")
_PAGE = re.compile(r"^\d{1,4}$")
CHAPTER_LABEL = re.compile(
    r"^\W*(?:chapter|part|book)\s+(?:[ivxlcdm]+|\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b\.?",
    re.I,
)
_SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")


@dataclass
class ContentsRow:
    """One printed row (possibly merged from pieces): its cells and raw spans."""

    cells: list[str]
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class ContentsEntry:
    title: str  # cleaned, dot leaders and stray leading dashes removed
    page: int | None
    kind: str  # chapter / section / introduction / chronology / notes / other
    row: int  # index of its ContentsRow


def split_row(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_separator_row(cells: list[str]) -> bool:
    """``|--|----|`` (alignment row) or an empty header ``| | |``: layout, not content."""
    return all(not c or _SEP_CELL.match(c.replace(" ", "")) for c in cells)


def clean_title(s: str) -> str:
    s = clean(strip_markdown(s))
    s = _LEADERS.sub("", s)
    s = re.sub(r"^[-–—\s]+", "", s)  # "-CHAPTER XIII" (a stray dash from the conversion)
    s = re.sub(r"\b([A-Za-z]+)- ([a-z]+)\b", r"\1\2", s)  # "Ag- gression"
    return s.strip()


def entry_kind(title: str) -> str:
    t = title.lower().strip()
    if CHAPTER_LABEL.match(t):
        return "chapter"
    if re.match(r"(introduction|preface|foreword|from the publishers|editor)", t):
        return "introduction"
    if t.startswith("chronolog"):
        return "chronology"
    if re.match(r"(notes|endnotes|references)\b", t):
        return "notes"
    if re.match(r"(index|bibliography|appendix|appendices|afterword|conclusion|epilogue|glossary)", t):
        return "other"
    return "section"


def parse_rows(lines: list[tuple[str, int, int]]) -> tuple[list[ContentsRow], list[tuple[int, int]]]:
    """Table lines (text, start, end) → content rows and the spans of layout rows.

    A row whose last cell holds no page number is continued by the next content row."""
    rows: list[ContentsRow] = []
    layout: list[tuple[int, int]] = []
    pending: ContentsRow | None = None
    for text, start, end in lines:
        cells = split_row(text)
        if is_separator_row(cells):
            layout.append((start, end))
            continue
        page_cell = cells[-1] if len(cells) > 1 else ""
        if pending is not None and CHAPTER_LABEL.match(cells[0]):
            rows.append(pending)  # a title row without a page, not a split row
            pending = None
        if pending is not None:
            merged = [pending.cells[0] + " " + cells[0], *cells[1:]]
            row = ContentsRow(merged, pending.spans + [(start, end)])
            pending = None
        else:
            row = ContentsRow(cells, [(start, end)])
        if not _PAGE.match(clean(page_cell)) and len(row.cells) > 1 and not clean(page_cell):
            pending = row
            continue
        rows.append(row)
    if pending is not None:
        rows.append(pending)
    return rows, layout


def entries_from_rows(rows: list[ContentsRow]) -> list[ContentsEntry]:
    out = []
    for i, row in enumerate(rows):
        title = clean_title(row.cells[0])
        if not title:
            continue
        page_txt = clean(row.cells[-1]) if len(row.cells) > 1 else ""
        page = int(page_txt) if _PAGE.match(page_txt) else None
        out.append(ContentsEntry(title, page, entry_kind(title), i))
    return out


_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_ALNUM_ASCII = bytes(c for c in range(128) if not chr(c).isalnum())  # what _NOT_ALNUM removes from ASCII


def heading_key(s: str) -> str:
    """Letters and digits only, lower case, chapter label and footnote marks removed."""
    s = strip_markdown(s.replace("#", " "))
    if not s.isascii():  # (superscripts are not ASCII)
        s = _SUPERSCRIPTS.sub("", s)
    s = CHAPTER_LABEL.sub("", s.strip()).lower()
    if s.isascii():  # (removed much faster from the bytes)
        return s.encode("ascii").translate(None, _NOT_ALNUM_ASCII).decode("ascii")
    return _NOT_ALNUM.sub("", s)


def strip_parenthetical(title: str) -> str:
    """``Title (1921-1923)`` → ``Title``."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", title)


def key_match(k: str, entry: str, entry_short: str) -> str:
    """How a heading key ``k`` matches an entry key: ``full``, ``prefix`` (the heading's start,
    it may continue in the next block), or ``''``."""
    if not k:
        return ""
    if k in (entry, entry_short):
        return "full"
    if len(k) >= 6 and entry.startswith(k):
        return "prefix"
    longest = max(len(entry), len(k))
    if longest >= 12 and abs(len(entry_short) - len(k)) <= 0.15 * longest:
        for target in (entry, entry_short):
            sm = SequenceMatcher(None, k, target, autojunk=False)
            if sm.real_quick_ratio() >= 0.9 and sm.quick_ratio() >= 0.9 and sm.ratio() >= 0.9:
                return "full"
    return ""
