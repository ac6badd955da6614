"""Dates as the corpus writes them → (New Style date, Old Style date, precision).

Russia used the Julian calendar until 31 January 1918 (Julian), the next day being
14 February 1918 (Gregorian). Texts of the period give Old Style dates, often with the New
Style in brackets: ``October 26 (November 8), 1917``, ``November 9 (22), 1917``,
``25 October (7 November) 1917``, ``2(15) November``. The New Style date always goes in the
date column; the Julian one in ``*_old_style``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from convertdate import julian

MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"),
            ("May",), ("June", "Jun"), ("July", "Jul"), ("August", "Aug"),
            ("September", "Sep", "Sept"), ("October", "Oct"), ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for m in names
}
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"

JULIAN_LAST = dt.date(1918, 1, 31)  # last Julian day in Russia (Julian reckoning)


def julian_to_gregorian(d: dt.date) -> dt.date:
    """Convert a Julian calendar date to the Gregorian (proleptic) date."""
    y, m, day = julian.to_gregorian(d.year, d.month, d.day)
    return dt.date(y, m, day)


def safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def julian_safe(y: int, m: int, d: int) -> dt.date | None:
    """A Julian (y, m, d) as a Gregorian date; also valid for Julian-only days (Feb 29, 1900)."""
    try:
        gy, gm, gd = julian.to_gregorian(y, m, d)
        return dt.date(gy, gm, gd)
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True)
class ParsedDate:
    date: dt.date  # New Style (Gregorian); first day for month/year precision
    precision: str  # day / month / year
    old_style: dt.date | None = None  # the Julian date as written, if given
    text: str = ""
    start: int = 0  # span of the date in the input string
    end: int = 0


def _pair(old_d, old_m, new_d, new_m, year, text, start, end, year_new=None) -> ParsedDate | None:
    """An Old Style (Julian) day/month with its New Style day/month."""
    new_y = year_new or year
    old_y = year
    if year_new is None and new_m < old_m:  # December 23 (January 5), 1918 style ambiguity
        old_y = year - 1 if new_m == 1 and old_m == 12 else year
    new = safe_date(new_y, new_m, new_d)
    if new is None:
        return None
    old = _julian_as_date(old_y, old_m, old_d)
    return ParsedDate(new, "day", old, text, start, end)


def _julian_as_date(y: int, m: int, d: int) -> dt.date | None:
    return safe_date(y, m, d)


_YEAR = r"(1[6-9]\d\d|20\d\d)"
_PATTERNS = [
    # October 26 (November 8), 1917
    ("md_md_y", re.compile(rf"\b({MONTH})\s+(\d{{1,2}})\s*\(\s*({MONTH})\s+(\d{{1,2}})\s*\)\s*,?\s*{_YEAR}\b")),
    # November 9 (22), 1917
    ("md_d_y", re.compile(rf"\b({MONTH})\s+(\d{{1,2}})\s*\(\s*(\d{{1,2}})\s*\)\s*,?\s*{_YEAR}\b")),
    # 25 October (7 November) 1917 / 23 December 1917 (5 January 1918)
    ("dm_dm_y", re.compile(rf"\b(\d{{1,2}})\s+({MONTH})\s*(?:{_YEAR}\s*)?\(\s*(\d{{1,2}})\s+({MONTH})\s*(?:{_YEAR})?\s*\)\s*,?\s*(?:{_YEAR})?")),
    # 2(15) November 1917
    ("d_d_m_y", re.compile(rf"\b(\d{{1,2}})\s*\(\s*(\d{{1,2}})\s*\)\s*({MONTH})\s*,?\s*(?:{_YEAR})?")),
    # April 24, 1922 / April 24 1922
    ("md_y", re.compile(rf"\b({MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*{_YEAR}\b")),
    # 24 April 1922 / 24th April, 1922
    ("dm_y", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})\s*,?\s*{_YEAR}\b")),
    # March 1919
    ("m_y", re.compile(rf"\b({MONTH})\s*,?\s+{_YEAR}\b")),
]


def _month(s: str) -> int:
    return MONTHS[s.rstrip(".").lower()]


def _from_match(kind: str, m: re.Match, default_year: int | None) -> ParsedDate | None:
    g = m.groups()
    text, s, e = m.group(0).strip(), m.start(), m.start() + len(m.group(0).rstrip(" ,"))
    if kind == "md_md_y":
        return _pair(int(g[1]), _month(g[0]), int(g[3]), _month(g[2]), int(g[4]), text, s, e)
    if kind == "md_d_y":
        old_d, new_d, mon = int(g[1]), int(g[2]), _month(g[0])
        new_m = mon if new_d > old_d else mon % 12 + 1
        year = int(g[3])
        return _pair(old_d, mon, new_d, new_m, year, text, s, e,
                     year_new=year + 1 if new_m < mon else None)
    if kind == "dm_dm_y":
        old_d, old_m, y1, new_d, new_m, y2, y3 = int(g[0]), _month(g[1]), g[2], int(g[3]), _month(g[4]), g[5], g[6]
        year = int(y1 or y3 or y2 or 0) or default_year
        if year is None:
            return None
        year_new = int(y2) if y2 else (year + 1 if (new_m < old_m) else None)
        return _pair(old_d, old_m, new_d, new_m, year, text, s, e, year_new=year_new)
    if kind == "d_d_m_y":
        old_d, new_d, mon = int(g[0]), int(g[1]), _month(g[2])
        year = int(g[3]) if g[3] else default_year
        if year is None:
            return None
        new_m = mon if new_d > old_d else mon % 12 + 1
        # the month written is the Old Style one when new day < old day
        if new_d < old_d:
            return _pair(old_d, mon, new_d, new_m, year, text, s, e,
                         year_new=year + 1 if new_m < mon else None)
        return _pair(old_d, mon, new_d, mon, year, text, s, e)
    if kind == "md_y":
        d = safe_date(int(g[2]), _month(g[0]), int(g[1]))
        return ParsedDate(d, "day", None, text, s, e) if d else None
    if kind == "dm_y":
        d = safe_date(int(g[2]), _month(g[1]), int(g[0]))
        return ParsedDate(d, "day", None, text, s, e) if d else None
    if kind == "m_y":
        return ParsedDate(dt.date(int(g[1]), _month(g[0]), 1), "month", None, text, s, e)
    return None


_DIGIT = re.compile(r"\d")
# the first three letters of every name in MONTH (no two of them can overlap)
_MONTH_START = re.compile(r"Jan|Feb|Ma[ry]|Apr|Ju[nl]|Aug|Sep|Oct|Nov|Dec")
# the forms of _PATTERNS that open with the month name; the others open with a day number
_OPEN_WITH_MONTH = {"md_md_y", "md_d_y", "md_y", "m_y"}


def _finditer_from(rx: re.Pattern, s: str, starts: list[int]) -> list[re.Match]:
    """``rx.finditer(s)`` for a pattern whose matches can only start at the positions ``starts``
    (ascending): the pattern is tried at those positions only, leftmost first, without
    overlaps."""
    out = []
    pos = 0
    for p in starts:
        if p >= pos:
            m = rx.match(s, p)
            if m:
                out.append(m)
                pos = m.end()
    return out


def may_hold_date(s: str) -> bool:
    """False when ``find_dates`` finds nothing in ``s`` nor in any part of it: every form has a
    month name and a day or a year."""
    return bool(_DIGIT.search(s)) and bool(_MONTH_START.search(s))


def find_dates(s: str, default_year: int | None = None) -> list[ParsedDate]:
    """Every date in ``s``, leftmost first, longest form preferred at each place."""
    if not _DIGIT.search(s):  # fast path (see may_hold_date)
        return []
    month_starts = [m.start() for m in _MONTH_START.finditer(s)]
    if not month_starts:
        return []
    # a form opening with a day starts at a digit with no word character (\w) before it, and
    # has a month name after it (so before the last month name's start)
    day_starts = []
    for m in _DIGIT.finditer(s, 0, month_starts[-1]):
        p = m.start()
        if not p or not (s[p - 1].isalnum() or s[p - 1] == "_"):
            day_starts.append(p)
    found: list[ParsedDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in _finditer_from(rx, s, month_starts if kind in _OPEN_WITH_MONTH else day_starts):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            pd = _from_match(kind, m, default_year)
            if pd is not None:
                found.append(pd)
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda p: p.start)


def parse_date(s: str, default_year: int | None = None) -> ParsedDate | None:
    """The first date in ``s`` (see ``find_dates``), or a bare year (precision ``year``)."""
    dates = find_dates(s, default_year)
    if dates:
        return dates[0]
    m = re.search(rf"\b{_YEAR}\b", s)
    if m:
        return ParsedDate(dt.date(int(m.group(1)), 1, 1), "year", None, m.group(0), m.start(), m.end())
    return None


def old_style_to_new(d: dt.date) -> dt.date:
    """A Russian date given only in Old Style (before 14 Feb 1918 NS) → New Style."""
    if d <= JULIAN_LAST:
        return julian_to_gregorian(d)
    return d


# --- date spans as chronologies write them (added for the markdown_book chronology) ------


@dataclass(frozen=True)
class DateSpan:
    """A date or range as a chronology prints it, resolved to New Style."""

    start: dt.date
    end: dt.date | None  # last day of a range (or of several listed days); None for one date
    precision: str  # day / month
    old_style: dt.date | None = None  # the Julian start date where the text gives one


_SPAN_POINT = re.compile(
    rf"""^\s*
    (?P<days>\d{{1,2}}(?:\s*\(\s*\d{{1,2}}\s*\))?(?:\s*(?:,|\band\b|&)\s*\d{{1,2}}(?:\s*\(\s*\d{{1,2}}\s*\))?)*)?
    \s*(?P<month>{MONTH})?
    \s*,?\s*(?P<year>{_YEAR})?
    (?:\s*\(\s*(?P<nday>\d{{1,2}})\s+(?P<nmonth>{MONTH})\s*,?\s*(?P<nyear>{_YEAR})?\s*\))?
    \s*$""",
    re.X | re.I,
)
_SPAN_DAY = re.compile(r"(\d{1,2})(?:\s*\(\s*(\d{1,2})\s*\))?")
_SPACES = re.compile(r"\s+")
_SPAN_DASH = re.compile(r"\s*[-–]\s*")


def _span_point(s: str) -> dict | None:
    m = _SPAN_POINT.match(s)
    if not m or not (m.group("days") or m.group("month")):
        return None
    days = [(int(a), int(b) if b else None) for a, b in _SPAN_DAY.findall(m.group("days") or "")]
    return {
        "days": days,
        "month": _month(m.group("month")) if m.group("month") else None,
        "year": int(m.group("year")) if m.group("year") else None,
        "new": (int(m.group("nday")), _month(m.group("nmonth")), int(m.group("nyear")) if m.group("nyear") else None)
        if m.group("nday")
        else None,
    }


def _next_month(y: int, m: int) -> tuple[int, int]:
    return (y + 1, 1) if m == 12 else (y, m + 1)


def _resolve_day(od: int, nd: int | None, month: int, year: int, new, old_style: bool):
    """One written day → (New Style date, Julian date or None)."""
    if new is not None:  # 25 October (7 November)
        nday, nmonth, nyear = new
        ny = nyear or (year + 1 if nmonth < month else year)
        return safe_date(ny, nmonth, nday), safe_date(year, month, od)
    if nd is not None:  # 2(15) November: Old Style day, New Style day in brackets
        ny, nm = (year, month) if nd >= od else _next_month(year, month)
        return safe_date(ny, nm, nd), safe_date(year, month, od)
    d = safe_date(year, month, od)
    if d is not None and old_style and d <= JULIAN_LAST:
        jd = julian_safe(year, month, od)
        return jd, d
    return d, None


def _last_day(y: int, m: int) -> dt.date:
    ny, nm = _next_month(y, m)
    return dt.date(ny, nm, 1) - dt.timedelta(days=1)


def parse_date_span(s: str, default_year: int | None = None, old_style: bool = False) -> DateSpan | None:
    """A chronology date → ``DateSpan`` (New Style), or None when ``s`` is not one.

    Forms: ``18 February``, ``6-8 March``, ``14 and 16 June``, ``2(15) November``,
    ``25 October (7 November)``, ``23 December 1917 (5 January 1918)``, ``10 April-19 May``,
    ``9(22) December-3 March 1918``, ``26 August 1921-16 April 1922``, ``March``,
    ``July-December``. ``default_year``: the year heading the entry stands under.
    ``old_style``: a date with no bracketed New Style on or before 31 January 1918 is Julian
    (converted); a bracketed New Style is always taken as given."""
    s = s.replace("*", " ").strip().rstrip(".,:;")
    s = _SPACES.sub(" ", s)
    parts = _SPAN_DASH.split(s)
    if len(parts) > 2 or not s:
        return None
    points = [_span_point(p) for p in parts]
    if any(p is None for p in points):
        return None
    right = points[-1]
    left = points[0]
    if right["month"] is None:
        return None
    if left["month"] is None:
        if len(points) == 1:
            return None
        left = {**left, "month": right["month"]}
    ryear = right["year"] or default_year
    lyear = left["year"] or default_year
    if ryear is None and lyear is not None:
        ryear = lyear
    if lyear is None and ryear is not None:
        lyear = ryear - 1 if left["month"] > right["month"] else ryear
    if lyear is None or ryear is None:
        return None
    if len(points) == 2 and right["year"] and not left["year"] and default_year is None and left["month"] > right["month"]:
        lyear = ryear - 1
    # both sides without days: month precision
    if not left["days"] and not right["days"]:
        start = dt.date(lyear, left["month"], 1)
        end = _last_day(ryear, right["month"]) if len(points) == 2 else None
        return DateSpan(start, end, "month")
    if not left["days"] or not right["days"]:
        return None
    od, nd = left["days"][0]
    start, start_os = _resolve_day(od, nd, left["month"], lyear, left["new"], old_style)
    if start is None:
        return None
    end = None
    if len(points) == 2 or len(right["days"]) > 1:
        od2, nd2 = right["days"][-1]
        end, _ = _resolve_day(od2, nd2, right["month"], ryear, right["new"], old_style)
        if end is None or end < start:
            return None
    return DateSpan(start, end, "day", start_os)
