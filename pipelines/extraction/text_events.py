"""Dated events stated in running text (``events`` rows of kind ``text``).

Precision first: a sentence becomes an event only when its date is unambiguous and is the
date of what the sentence tells — a full date (day, month and year) governed by the temporal
``on`` (``On May 10, 1920, the dockers refused ...``, ``... was signed in Moscow on February 28,
1921``), a range ``from <date> to <date>``, or a sentence-initial ``In <Month> <Year>``. Not
events: dates of publications (``Pravda, November 28, 1958``), identifiers (``the treaty of
March 16, 1921``), bare years, day-and-month without a year, sentences with two competing
``on <date>``, questions, and quoted matter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.parsing.dates import ParsedDate, find_dates, may_hold_date

__all__ = ["TextEvent", "dates_in", "find_text_events", "merge_style_pairs", "split_sentences"]


@dataclass(frozen=True)
class TextEvent:
    date_start: dt.date
    date_end: dt.date | None  # last day of a range; None for a single date
    date_precision: str  # day / month
    date_text: str  # the date as written
    text: str  # the sentence, clean
    char_start: int  # span of the sentence in the paragraph text
    char_end: int
    date_old_style: dt.date | None = None  # the Julian date where the text gives Old and New Style


# Words ending with a full stop that do not end a sentence.
_ABBREV = {
    "mr", "mrs", "dr", "st", "no", "nos", "vol", "vols", "p", "pp", "cf", "ed", "eds", "gen", "col",
    "lt", "capt", "prof", "sen", "rev", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "ibid", "op", "cit", "art", "arts", "ch", "fig", "m", "messrs",
    "viz", "etc", "e.g", "i.e", "sr", "jr", "co", "inc", "ltd",
}
_SENT_END = re.compile(r"[.!?]['\"”’)]*\s+(?=['\"“‘(]?[A-Z0-9])")
# Unspaced initials (``V.M. Molotov``, ``M.I. Kalinin``): two or three capitals with dots, not a
# state abbreviation, followed by a capitalised word that is not a common sentence opener.
_INITIALS = re.compile(r"(?:[A-Z]\.){1,2}[A-Z]")
_NOT_INITIALS = {"U.S", "U.K", "U.S.A", "S.S.R", "R.S.F", "U.N"}
_OPENERS = {
    "The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "A", "An", "He", "She", "They",
    "We", "I", "You", "But", "And", "Or", "However", "After", "Before", "When", "As", "By", "For", "From",
    "Then", "There", "Thus", "His", "Her", "Their", "Our", "Such", "Since", "Soon", "With", "Of", "To", "Not",
    "No", "So", "Yet", "While", "What", "Which", "Who", "If", "Meanwhile", "Later", "Moreover", "All",
    "Both", "One", "Two", "Three", "Here", "Now", "Even", "Only", "Each", "Under", "During", "Although",
}


_NEXT_NAME = re.compile(r"\s+([A-Z][a-z'’-]+)")


def _initials_before_name(text: str, stop: int, word: str) -> bool:
    """``V.M.`` before ``Molotov``: unspaced initials of a person, not a sentence end."""
    if not _INITIALS.fullmatch(word) or word in _NOT_INITIALS:
        return False
    nxt = _NEXT_NAME.match(text, stop)
    return bool(nxt) and nxt.group(1) not in _OPENERS


def _word_before_stop(text: str, start: int, stop: int) -> str:
    """The run of word characters and dots before the full stop at ``stop - 1``, not reaching
    back before ``start`` (what ``([\\w.]+)\\.$`` captures in ``text[start:stop]``; "" if none)."""
    k = stop - 1
    while k > start and (text[k - 1].isalnum() or text[k - 1] in "._"):  # \w is alnum or _
        k -= 1
    return text[k : stop - 1]


@lru_cache(maxsize=4096)
def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans (start, end) in ``text``. A full stop after an initial (``V. I. Lenin``,
    unspaced ``V.M. Molotov``) or a listed abbreviation (``Vol.``, ``Mr.``, ``pp.``) does not end
    a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        stop = m.start() + 1
        word = _word_before_stop(text, start, stop) if text[m.start()] == "." else ""
        if word:
            w = word.lower()
            if w in _ABBREV or (len(w) == 1 and w.isalpha()) or _initials_before_name(text, stop, word):
                continue
        end = m.end() - len(m.group(0)) + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return tuple(spans)


_ON = re.compile(r"(?:^|[\s,(])(?:[Oo]n|[Oo]n the night of|[Oo]n the morning of|[Oo]n the evening of)\s+$")
_FROM = re.compile(r"(?:^|[\s,(])[Ff]rom\s+$")
_TO = re.compile(r"^\s*(?:to|till|until|through)\s+")
_IN_MONTH_START = re.compile(r"^\s*In\s+$")


def _governed_by(sentence: str, d: ParsedDate, rx: re.Pattern) -> bool:
    return bool(rx.search(sentence[: d.start]))


def _quoted(sentence: str, pos: int) -> bool:
    """Whether ``pos`` lies inside a double-quoted passage of the sentence."""
    before = sentence[:pos]
    straight = before.count('"') % 2 == 1
    curly = before.count("“") > before.count("”")
    return straight or curly


def _julian_offset(d: dt.date) -> int:
    """Days the Gregorian calendar ran ahead of the Julian on the Julian date ``d``."""
    c = d.year // 100 - (1 if d.month <= 2 and d.year % 100 == 0 else 0)
    return c - c // 4 - 2


def merge_style_pairs(text: str, dates: list[ParsedDate]) -> list[ParsedDate]:
    """``December 29, 1917 (January 11, 1918)``: two full dates, the second in brackets and
    exactly the Julian-Gregorian gap later, are one date — the bracketed New Style one (the
    first becomes its ``old_style``)."""
    out: list[ParsedDate] = []
    i = 0
    while i < len(dates):
        a = dates[i]
        b = dates[i + 1] if i + 1 < len(dates) else None
        if (b is not None and a.precision == b.precision == "day" and a.old_style is None and b.old_style is None
                and re.fullmatch(r"\s*\(\s*", text[a.end:b.start]) and re.match(r"\s*\)", text[b.end:])
                and (b.date - a.date).days == _julian_offset(a.date)):
            close = b.end + re.match(r"\s*\)", text[b.end:]).end()
            out.append(ParsedDate(b.date, "day", a.date, text[a.start:close], a.start, close))
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def dates_in(text: str) -> list[ParsedDate]:
    """``find_dates`` with Old/New Style pairs of full dates merged (``merge_style_pairs``)."""
    return merge_style_pairs(text, find_dates(text))


def find_text_events(paragraph_text: str) -> list[TextEvent]:
    """The unambiguously dated events stated in one paragraph (see the module docstring)."""
    out: list[TextEvent] = []
    if not may_hold_date(paragraph_text):
        return out  # no date in any sentence: no event
    for s_start, s_end in split_sentences(paragraph_text):
        sentence = paragraph_text[s_start:s_end].strip()
        if not sentence or sentence.endswith("?"):
            continue
        dates = [d for d in dates_in(sentence) if not _quoted(sentence, d.start)]
        if not dates or len(sentence.split()) < 4:
            continue  # (no date: no event)
        event = _event_of(sentence, dates)
        if event is None:
            continue
        (d0, d1, precision, date_text, old) = event
        lead = len(paragraph_text[s_start:s_end]) - len(paragraph_text[s_start:s_end].lstrip())
        out.append(TextEvent(d0, d1, precision, date_text, sentence, s_start + lead, s_start + lead + len(sentence), old))
    return out


def _event_of(sentence: str, dates: list[ParsedDate]) -> tuple[dt.date, dt.date | None, str, str, dt.date | None] | None:
    # a range: from <date> to <date>
    for a, b in zip(dates, dates[1:], strict=False):
        if (a.precision == b.precision == "day" and _governed_by(sentence, a, _FROM)
                and _TO.match(sentence[a.end:b.start]) and b.date > a.date):
            others = [d for d in dates if d is not a and d is not b and _governed_by(sentence, d, _ON)]
            if others:
                return None
            return a.date, b.date, "day", sentence[a.start:b.end], a.old_style
    on_dates = [d for d in dates if d.precision == "day" and _governed_by(sentence, d, _ON)]
    if len({d.date for d in on_dates}) == 1:
        d = on_dates[0]
        return d.date, None, "day", d.text, d.old_style
    if on_dates:
        return None  # two events in one sentence: ambiguous
    if (dates and dates[0].precision == "month" and dates[0].start <= 4 and _IN_MONTH_START.match(sentence[: dates[0].start])
            and len(dates) == 1):  # "In September 1942 and in April 1944 ...": two times
        d = dates[0]
        return d.date, None, "month", d.text, d.old_style
    return None
