"""Printed chronologies: year headings and dated entries (``25 *October (7 November)*—...``).

Pure helpers used by the book parsers: find where entries start inside raw lines (an entry
may start a line, follow a list dash, or be embedded after the end of the previous entry's
sentence), split an entry into its date and what happened, and resolve the date with
``dates.parse_date_span``. Entries broken across lines or page breaks are re-joined by the
caller: a piece that does not start an entry continues the one before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.parsing.dates import DateSpan, parse_date_span

# a list bullet before an entry or a year: "- ", "* ", "+ ", "1. " is not one (dates start so)
LIST_PREFIX = re.compile(r"^\s*[-+•]\s+")
YEAR_HEADING = re.compile(r"^\s*(?:[-+•]\s+)?(?:\*\*|#+\s*)?(1[6-9]\d\d|20\d\d)(?:\*\*)?\s*$")
# the separator between the date and the event: em dash, en dash or a double hyphen
_SEP = re.compile(r"\s*(?:—|–|--)\s*")
_MAX_DATE = 60  # longest date part: "23 December 1917 (5 January 1918)"
# an entry embedded after the previous one's sentence end: ". August—..."
_EMBEDDED = re.compile(rf"(?<=[.!?\"”’])\s+(?=[\d*A-Z][^—–]{{0,{_MAX_DATE}}}?(?:—|–|--))")


@dataclass(frozen=True)
class Entry:
    date_text: str  # the date as written, Markdown stars removed
    text_offset: int  # where the event text starts in the piece given to split_entry
    span: DateSpan | None  # None if the date part could not be resolved


def year_heading(line: str) -> int | None:
    """``1917`` / ``- 1940`` / ``**1941**`` on a line of its own → the year."""
    m = YEAR_HEADING.match(line)
    return int(m.group(1)) if m else None


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
_SPACE_AFTER_OPEN = re.compile(r"\(\s+")
_SPACE_BEFORE_CLOSE = re.compile(r"\s+([,)])")


def split_entry(piece: str, year: int | None = None, old_style: bool = False) -> Entry | None:
    """``9(22) *December-3 March 1918*—peace negotiations`` → its date and event offset.

    ``piece`` starts at the date (no list bullet). None if the piece is not an entry: no
    dash within the first characters, or the part before it is not a date."""
    m = _SEP.search(piece, 0, _MAX_DATE + 4)
    if not m or m.start() == 0:
        return None
    date_raw = piece[: m.start()]
    if not _ASCII_LETTER.search(date_raw):
        return None
    probe = (
        parse_date_span(date_raw, year, old_style)
        or parse_date_span(date_raw, None)
        or parse_date_span(date_raw, 2000)
    )
    if probe is None:
        return None
    span = parse_date_span(date_raw, year, old_style) if year is not None else None
    date_text = _SPACES.sub(" ", date_raw.replace("*", " ")).strip()
    date_text = _SPACE_BEFORE_CLOSE.sub(r"\1", _SPACE_AFTER_OPEN.sub("(", date_text))
    return Entry(date_text, m.end(), span)


def entry_starts(line: str) -> list[int]:
    """Offsets in ``line`` where chronology entries begin (after any list bullet).

    The first is 0-based from the line start (bullet skipped); more follow where an entry is
    embedded after a sentence end (``...to China. August—Soviet government...``)."""
    starts = []
    lead = LIST_PREFIX.match(line)
    first = lead.end() if lead else len(line) - len(line.lstrip())
    search_from = first + 1
    if split_entry(line[first:]) is not None:
        starts.append(first)
        sep = _SEP.search(line, first)
        search_from = sep.end() if sep else search_from
    for m in _EMBEDDED.finditer(line, search_from):
        if split_entry(line[m.end() :]) is not None:
            starts.append(m.end())
    return starts
