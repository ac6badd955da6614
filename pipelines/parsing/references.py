"""Note text → the works it cites (author, title, periodical, volume, pages, publisher, year...).

Pure functions, no knowledge of any one file. The rules, in order of application:

1. ``prepare``: normalise characters, drop a leading footnote marker, repair OCR damage that
   has one reading only (``W orks``/``ZVorks`` → ``Works``, ``PP'`` → ``pp.``, ``498‘501`` →
   ``498-501``, ``Collected <garbled>, Vol.`` → ``Collected Works, Vol.``).
2. ``split_segments``: one segment per cited work candidate — split at top-level ``;`` and at
   sentence ends, never inside ``*emphasis*``, quotes or brackets.
3. In each segment, *anchors* open a work: ``Ibid.`` / ``op. cit.`` (resolved against the
   works cited before), an archive name, an emphasised (``*Title*``) or quoted title, the words
   ``Collected Works``, a periodical written ``Name No. 12``, a known periodical name. Text
   before an anchor may give the author; the text after it, up to the next anchor, gives the
   publication facts (``Vol.``, ``No.``, pages, publisher, place, year, date).
4. Without any anchor (clean text, emphasis already removed) a *heuristic title* is accepted
   only when the segment is wholly bibliographic: ``[Author,] Title, <facts...>`` with a volume
   or pages or place+year among the facts.
5. A segment with facts only (``Vol. VIII, pp. 128, 168``; ``MacMillan, UK, 1979 - pp. 42-46``)
   continues the previous work of the same note.

6. Publication statements (``Published on February 23, 1920 in the Daily Express No. 6198``,
   ``Published in full in 1959 in Lenin Miscellany XXXVI``): the date or year before the
   name is the publication's. ``... in the book|pamphlet <Title>. <Subtitle>. New York,
   p. 204.`` names a book whose title runs over the following sentences (``_book_statement``);
   ``Published by X`` after it is its publisher.
7. Authors: initials spaced (``E.H. Carr`` → ``E. H. Carr``); ``Lenin``, ``N. Lenin`` →
   ``V. I. Lenin``; ``Collected Works`` / ``Selected Works`` with no other name before them and
   ``Lenin Miscellany`` (title ``Lenin Miscellany``, the number as ``volume``) → ``V. I. Lenin``.
8. ``cite_notes`` first marks notes that are wholly an internal cross-reference (``See Note
   13``, ``see below, pp. 480-483``, ``See Chapter V``) as kind ``cross_reference``, with
   ``refers_to`` when a note number of the same scope is named.

Precision first: a field that cannot be read with confidence stays ``None``.
Dates (all Gregorian): ``dates.find_dates``; a pair written New Style first (``November 10
(October 28), 1917``) is recognised by the Julian day being the later one. A single date
printed by a Russian paper (``RUSSIAN_PERIODICALS``) on or before 31 January 1918 is Old
Style and converted. A date opening or closing a range (``March 29-April 4, 1940``, ``from
March to June 21, 1941``, ``between October 1941 and June 30, 1942``) gives no date; its year
only when the range lies in one year. Pages: ``pages`` keeps the printed string;
``page_start``/``page_end`` are its first range (``369-70, 714`` → 369, 370), see
``expand_pages``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from pipelines.parsing.dates import JULIAN_LAST, MONTH, find_dates, julian_to_gregorian
from pipelines.parsing.records import Note, Work
from pipelines.parsing.text import emphasis_text, normalize_chars

MONTH_WORD = r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

# --- vocabularies -------------------------------------------------------------------------

PERIODICALS = (
    "Pravda", "Izvestia", "Izvestiya", "Kommunist", "Krasnaya Zvezda", "Trud", "Zvezda",
    "Mezhdunarodnaya zhizn", "International Affairs", "Voprosy istorii", "Novy Mir",
    "Problemy Dalnego Vostoka", "Narody Azii i Afriki", "Bolshevik", "Ekonomicheskaya Zhizn",
    "Rabochy i Soldat", "Sotsial-Demokrat", "Soviet Russia", "Liberator", "The Times",
    "The New York Times", "New York Times", "The Manchester Guardian", "Manchester Guardian",
    "Daily Herald", "The Daily Herald", "Daily Express", "Daily Worker", "Daily Telegraph",
    "The Daily Telegraph", "Daily Mail", "The Observer", "Westminster Gazette",
    "The Baltimore Sun", "Chicago Daily News", "New York Evening Journal", "The World",
    "Foreign Affairs", "Foreign Policy Report", "The Nation", "L'Humanité", "Le Temps",
    "Le Matin", "Vossische Zeitung", "Berliner Tageblatt", "Frankfurter Zeitung",
    "Völkischer Beobachter", "China Weekly Review", "The Worker's Weekly", "Workers' Weekly",
)
_PERIODICAL_KEYS = {p.lower() for p in PERIODICALS}

# Russian/Soviet papers: a single date they print on or before 31 January 1918 is Old Style
RUSSIAN_PERIODICALS = (
    "Pravda", "Izvestia", "Izvestiya", "Rabochy i Soldat", "Rabochaya i Krestyanskaya",
    "Sotsial-Demokrat", "Zvezda", "Bolshevik", "Ekonomicheskaya Zhizn", "Novaya Zhizn",
    "Dyelo Naroda", "Delo Naroda", "Rech", "Den", "Soldatskaya Pravda", "Derevenskaya Bednota",
    "Petrogradskaya Pravda", "Rabochy Put", "Rabochaya Gazeta", "Volya Naroda",
    "Gazeta Vremennogo", "Birzhevye Vedomosti", "Russkoye Slovo", "Russkiye Vedomosti",
    "Novoye Vremya", "Proletary", "Iskra", "Vperyod", "Znamya Truda", "Nash Put", "Soldat",
    "Kommunist", "Trud", "Krasnaya Gazeta", "Sovetskaya Rossiya", "Krasnaya Zvezda",
)
_RUSSIAN_PREFIX = re.compile(
    r"^(?:the\s+)?(?:" + "|".join(re.escape(p) for p in sorted(RUSSIAN_PERIODICALS, key=len, reverse=True))
    + r")\b", re.I)


def is_russian_periodical(name: str | None) -> bool:
    """``Izvestia``, ``Izvestia of the Central Executive Committee``, ``Pravda`` ... (see list)."""
    return bool(name and _RUSSIAN_PREFIX.match(name.strip()))


def new_style(periodical: str | None, d, paired: bool):
    """A single date printed by a Russian paper on or before 31 January 1918 is Julian: →
    Gregorian. A date printed with its pair (``November 10 (October 28), 1917``) is kept."""
    if d is not None and not paired and d <= JULIAN_LAST and is_russian_periodical(periodical):
        return julian_to_gregorian(d)
    return d

PLACES = (
    "Moscow", "Leningrad", "Petrograd", "Moscow-Leningrad", "London", "New York", "Paris",
    "Berlin", "Washington", "Boston", "Prague", "Riga", "Stuttgart", "Vienna", "Warsaw",
    "Tokyo", "Peking", "Beijing", "Geneva", "Rome", "Oxford", "Cambridge", "Chicago", "Kiev",
    "Tiflis", "Tbilisi", "Baku", "Tashkent", "Minsk", "Princeton", "Stanford", "Berne", "Bern",
    "Brussels", "Munich", "München", "Leipzig", "Hamburg", "Frankfurt", "Coblenz", "Bonn",
    "Budapest", "Sofia", "Bucharest", "Belgrade", "Ankara", "Istanbul", "Constantinople",
    "Tehran", "Teheran", "Kabul", "Delhi", "New Delhi", "Calcutta", "Bombay", "Edinburgh",
    "Glasgow", "Toronto", "Philadelphia", "Madrid", "Milan", "Stockholm", "Helsinki", "Oslo",
    "Copenhagen", "Amsterdam", "The Hague", "Ulan Bator", "Shanghai", "Manchester",
    "Lausanne", "Zurich", "Basel", "Harmondsworth", "Garden City", "Kharkov", "Odessa",
    "Tallinn", "Vilnius", "Kaunas", "Helsingfors", "UK", "USA", "U.S.A.", "M.",
)
_PLACE_KEYS = {p.lower() for p in PLACES}
_PLACE_ABBREV = {"m.": "Moscow"}

_PUBLISHER_WORD = re.compile(
    r"\b(?:Publishers?|Publishing|Press|Verlag|Co\.|Company|Inc\.?|Ltd\.?|& Sons|and Sons|"
    r"Macmillan|MacMillan|Harcourt|Houghton|Gollancz|Penguin|Allen (?:&|and) Unwin|Knopf|"
    r"Doubleday|Scribner|Longmans|Methuen|Cassell|Hutchinson|Heinemann|Politizdat|"
    r"Gospolitizdat|Progress|NKID|Izdatelstvo|Éditions|Librairie|Editions|Printing Office|Random House|"
    r"Hachette|Gallimard|Praeger|Harper|Little,? Brown|Norton|Putnam|Dutton|Viking)\b"
)
_ARCHIVE = re.compile(
    r"^(?:\*)?((?:[A-Z][\w'’.-]*\s+){0,8}?(?:Archives?|Record Office|Bundesarchiv[\w ]*)"
    r"(?:\s+of(?:\s+(?:the\s+)?[A-Z][\w'’()-]*(?:\.\w+)*(?:\s+(?:of|for|under|the|and)\b)?)+)?"
    r"|CPA IML|CSAOR|CSHA(?: of the [A-Z][\w ]+?SSR)?|HDA)\*?(?=[\s.,(;]|$)"
)

# --- OCR repair ---------------------------------------------------------------------------

_LEAD_MARK = re.compile(r"^\s*(?:[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[\d+\]|\*+(?=\s))\s*")
_OCR_FIXES = [  # (cheap guard substring, pattern, replacement)
    ("ZV", re.compile(r"\bZV(?=[a-z])"), "W"),  # ZVorks → Works
    ("W ", re.compile(r"\bW (?=[a-z]{2})"), "W"),  # W orks → Works, W ritten → Written
    ("Collected", re.compile(r"\bCollected\s+(?!Works\b)[^\s,*]{3,9}?[,.;]?\s+(?=Vol\b)"), "Collected Works, "),
    ("P", re.compile(r"\bP[Pp][‘’'*.,]?\s*(?=[\d^*])"), "pp. "),  # PP‘ 368-69 → pp. 368-69
    ("‘", re.compile(r"(?<=\d)\s*‘\s*(?=\d)"), "-"),  # 498‘501 → 498-501
    ("’", re.compile(r"(?<=\d)\s*’\s*(?=\d)"), "-"),
]


# an endnote's closing "p. 30" after a full stop is the page the note refers to, not a citation
_BACK_REF = re.compile(r"(?<![Ii]bid\.)(?<![Ii]bid\.\*)(?<!cit\.)(?<!cit\.\*)(?<=[.!?\"”)])\s+pp?\.\s*\d+[-\d]*\s*$")


_CUE_SEMICOLON = re.compile(r"^(Source|See|Cf)\s*;\s*")


def prepare(text: str) -> str:
    """Normalise a note's text and repair unambiguous OCR damage (see module doc)."""
    s = normalize_chars(text)
    s = " ".join(_LEAD_MARK.sub("", s).split())
    s = _CUE_SEMICOLON.sub(r"\1: ", s)  # "Source; ..." → "Source: ..."
    for guard, rx, rep in _OCR_FIXES:
        if guard in s:
            s = rx.sub(rep, s)
    if s[-1:].isdigit():
        s = _BACK_REF.sub("", s)
    return s.strip()


# --- splitting ----------------------------------------------------------------------------

# (``*``, ``**``, ``***``, ``_`` or ``__`` as \*\*?\*?|__? rather than \*{1,3}|_{1,2}: the same matches, and
# a pattern whose every branch opens with a literal character is searched for much faster)
_EMPH = re.compile(r"(\*\*?\*?|__?)(?=\S)(.+?)(?<=\S)\1")
_GROUP = re.compile(r"\*{1,3}(?=\S).+?(?<=\S)\*{1,3}|“[^”\"]*[”\"]|\"[^\"]*\"|\([^()]*\)|\[[^\[\]]*\]")
_ABBREV = {
    "vol", "vols", "no", "nos", "p", "pp", "dr", "mr", "mrs", "st", "co", "inc", "ltd", "cit",
    "op", "ed", "eds", "trans", "cf", "etc", "bd", "f", "d", "l", "col", "cab", "s", "ch",
    "chap", "art", "ibid", "comp", "i.e", "e.g", "jr", "sr", "n.s", "o.s",
}
# a full stop (after a word: see split_sentences), then the next sentence's start
_STOP = re.compile(r"\.\*?\s+(?=[*“\"(]?[A-Z0-9])")
_INITIALS = re.compile(r"^(?:[A-Z]\.)*[A-Z]$|^[A-Z][a-z]?$")


_GROUP_CHARS = frozenset("*“\"([")  # every _GROUP match starts with one of these


def _protected(s: str) -> list[tuple[int, int]]:
    if _GROUP_CHARS.isdisjoint(s):
        return []
    return [(m.start(), m.end()) for m in _GROUP.finditer(s)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in spans)


def split_top(s: str, sep: str) -> list[str]:
    """Split ``s`` at ``sep`` outside emphasis, quotes and brackets."""
    spans = _protected(s)
    out, last = [], 0
    i = s.find(sep)
    while i >= 0:
        if not _inside(i, spans):
            out.append(s[last:i])
            last = i + 1
        i = s.find(sep, i + 1)
    out.append(s[last:])
    return [p.strip() for p in out]


def split_sentences(s: str) -> list[str]:
    """Split at ``. `` + capital, not after initials or abbreviations, not inside groups."""
    spans = _protected(s)
    out, last = [], 0
    # what ([\w.)]+)\.\*?\s+(?=...) finds, searched from the full stop, the token (group 1)
    # then read back from it (a regular expression opening with the token tries it at every
    # character): the run of word characters (\w: alphanumeric or "_"), dots and ")" before it
    for m in _STOP.finditer(s):
        dot = k = m.start()
        while k > 0 and (s[k - 1].isalnum() or s[k - 1] in "_.)"):
            k -= 1
        if k == dot:
            continue  # no token before the stop: no match there
        tok = s[k:dot]
        word = tok.split(".")[-1] if "." in tok else tok
        if _inside(dot, spans) or _INITIALS.match(word) or word.lower() in _ABBREV:
            continue
        if tok.lower().rstrip(".") in _ABBREV or tok.lower() in _ABBREV:
            continue
        cut = dot + 1 + (1 if s[dot + 1 : dot + 2] == "*" else 0)
        out.append(s[last:cut].strip())
        last = cut
    out.append(s[last:].strip())
    return [p for p in out if p]


def split_segments(s: str) -> list[list[str]]:
    """``;``-separated chunks, each a list of sentences."""
    return [split_sentences(chunk) for chunk in split_top(s, ";") if chunk]


# --- facts --------------------------------------------------------------------------------

_YEAR_RX = r"(?:1[5-9]\d\d|20\d\d)"
_PAGE_ITEM = r"\d+[a-z]?(?:\s*[-–—]\s*\d+[a-z]?)?"
_PAGES = re.compile(
    rf"(?<![\w.])(?:pp?\.|pages?|S\.)\s*(?P<bad>[\^*$#])?(?P<list>{_PAGE_ITEM}(?:\s*,\s*(?!{_YEAR_RX}\b){_PAGE_ITEM})*)"
)
_VOLUME = re.compile(r"\b(?:Volume|Vols?\.?|Bd\.)\s*(?P<v>[0-9A-Za-z]{1,5})\b\.?")
_ISSUE = re.compile(r"\bNos?\.\s*(?P<n>\d+(?:\s*[-–]\s*\d+)?)")
_YEAR = re.compile(rf"^(?:[A-Z]\.\s*)?({_YEAR_RX})\.?$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_IGNORABLE = re.compile(
    r"^(?:\(.*\)|in Russian|Part [IVXLC\d]+|Book \d+|Issue [IVXLC\d]+|[\w]+ Series|"
    r"(?:\w+ )?(?:Russian )?Edition|Verbatim (?:Record|Report)|Minutes|Notes|Note \d+|"
    r"[\w]+ Band|\w+\. Heft|Heft \d+|Col\. \d+|\d{4}\s*-\s*\d{2,4}|and others|ed\.|eds\.|"
    r"(?:Arranged|Edited|Compiled|Translated|Introduced|Selected) by .*|Series [A-Z\d]+(?: \(.*\))?|"
    r"Bd\. [IVXLC\d]+|in \d+ volumes|(?:\w+ )*[Ee]d(?:ition)?|supplemented|revised|enlarged|Jr)\.?$",
    re.I,
)


def _page_item(item: str) -> tuple[int, int] | None:
    """One printed item: ``249-53`` → (249, 253); ``1108-09`` → (1108, 1109); ``365`` → (365, 365)."""
    nums = _RX1.findall(item)
    if not nums:
        return None
    a = b = int(nums[0])
    if len(nums) > 1:
        head, tail = nums[0], nums[1]
        if len(tail) < len(head):
            b = int(head[: len(head) - len(tail)] + tail)
            if b < a:
                b += 10 ** len(tail)
        else:
            b = int(tail)
        if b < a:
            return None
    return a, b


def expand_pages(printed: str) -> tuple[int | None, int | None]:
    """The first range printed: ``249-53`` → (249, 253); ``1108-09`` → (1108, 1109);
    ``533b-534a`` → (533, 534); ``299-01`` → (299, 301).

    A list of several ranges (``369-70, 714``) gives its FIRST range only (369, 370), never
    the min-max span (369-714 would claim pages that are not cited); items that continue it
    without a gap are merged (``394, 395`` → (394, 395)). The printed list stays in ``pages``."""
    start = end = None
    for item in _RX0.split(printed):
        rng = _page_item(item)
        if rng is None:
            return (None, None) if start is None else (start, end)
        if start is None:
            start, end = rng
        elif rng[0] == end + 1:
            end = rng[1]
        else:
            break
    return start, end


def read_volume(token: str) -> str | None:
    """``27`` → "27"; ``IV`` → "IV"; ``3O`` → "30"; ``S3`` (3, 5 or 8?) → None."""
    if token.isdigit() or _ROMAN.match(token):
        return token
    if any(c.isdigit() for c in token) and _RX2.fullmatch(token):
        return _RX3.sub("0", token)
    return None


@dataclasses.dataclass
class Facts:
    volume: str | None = None
    volume_seen: bool = False
    issue: str | None = None
    pages: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    date: object | None = None
    date_precision: str | None = None
    date_paired: bool = False  # the date was printed with its Old Style pair
    unknown: list[str] = dataclasses.field(default_factory=list)
    n_years: int = 0

    def any_bib(self) -> bool:
        return bool(self.volume_seen or self.pages or self.issue or self.publisher
                    or (self.place and self.year))

    def empty(self) -> bool:
        return not (self.volume_seen or self.pages or self.issue or self.publisher or self.place
                    or self.year or self.date)


def _dates(s: str, with_ranges: bool = False) -> list:
    """``find_dates`` without the ends of ranges (``March 29-April 4, 1940``) unless asked."""
    if not _MAYBE_DATE.search(s):
        return []
    out = []
    for pd in find_dates(s):
        in_range = (pd.start > 0 and s[pd.start - 1] in "-–—") or (
            pd.end < len(s) and s[pd.end] in "-–—") or _in_word_range(s, pd.start)
        if with_ranges or not in_range:
            out.append((pd, in_range) if with_ranges else pd)
    return out


_MAYBE_DATE = re.compile(MONTH_WORD)
MONTHS_LOWER = {m.lower() for m in (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec").split()}
_RANGE_OPEN = re.compile(r"\b(?:[Ff]rom|[Bb]etween|[Ss]ince)\s+(?:the\s+)?$")
_RANGE_CLOSE = re.compile(r"\b(?:to|till|until|through|and)\s+(?:the\s+)?$")
_RANGE_WORD = re.compile(r"\b(?:[Ff]rom|[Bb]etween)\b")


def _in_word_range(s: str, start: int) -> bool:
    """A date that opens or closes a range written in words: ``from March to June 21, 1941``,
    ``Between October 1941 and June 30, 1942``, ``from May 2, 1921``."""
    before = s[max(0, start - 80): start]
    if _RANGE_OPEN.search(before):
        return True
    return bool(_RANGE_CLOSE.search(before) and _RANGE_WORD.search(before))


def _date_of(pd) -> tuple[object, str]:
    d = pd.date
    if pd.old_style is not None and pd.old_style > d:
        d = pd.old_style  # written New Style first: "November 10 (October 28), 1917"
    return d, pd.precision


def _is_place(part: str) -> str | None:
    p = part.strip().rstrip(".") if part.strip() != "M." else "M."
    key = p.lower()
    if key in _PLACE_KEYS:
        return _PLACE_ABBREV.get(key, p)
    pieces = _RX4.split(p)
    if len(pieces) > 1 and all(x.lower() in _PLACE_KEYS for x in pieces):
        return p
    return None


def _strip_part(p: str) -> str:
    p = p.strip(" ")
    if _RX5.search(p):
        return p
    return p.strip(" .")


def _may_have_pages(s: str) -> bool:
    """False when ``_PAGES`` cannot match ``s`` (it needs ``p.``, ``page`` or ``S.``)."""
    return "p." in s or "page" in s or "S." in s


def _may_have_volume(s: str) -> bool:
    """False when ``_VOLUME`` cannot match ``s`` (it needs ``Vol`` or ``Bd.``)."""
    return "Vol" in s or "Bd." in s


def read_facts(region: str) -> Facts:
    """Publication facts in ``region`` (the text after a title, up to the next anchor)."""
    f = Facts()
    s = region
    # (each pattern is tried only where the text holds the words it needs)
    # pages
    if _may_have_pages(s):
        for m in _PAGES.finditer(s):
            if f.pages is None and m.group("bad") is None:
                f.pages = _RX6.sub("-", m.group("list")).strip()
                f.page_start, f.page_end = expand_pages(f.pages)
            elif f.pages is None:
                f.pages = None  # OCR noise before the digits: leave unread
        s = _PAGES.sub(",", s)
    # volume
    if _may_have_volume(s):
        for m in _VOLUME.finditer(s):
            if not f.volume_seen:
                f.volume_seen = True
                f.volume = read_volume(m.group("v"))
        s = _VOLUME.sub(",", s)
    if "No" in s:  # _ISSUE
        m = _ISSUE.search(s)
        if m:
            f.issue = _RX7.sub("", m.group("n"))
        s = _ISSUE.sub(",", s)
    # dates (day precision only; a month date gives the year)
    dates = []
    range_years: set[int] = set()
    for pd, in_range in _dates(s, with_ranges=True):
        dates.append(pd)
        d, prec = _date_of(pd)
        if in_range:
            range_years.add(d.year)  # "July-August 1942": the year only
        elif prec == "day" and f.date is None:
            f.date, f.date_precision = d, prec
            f.date_paired = pd.old_style is not None
            f.year = f.year or d.year
        elif prec == "month" and f.year is None:
            f.year = d.year
    if len(range_years) == 1 and f.year is None:
        f.year = range_years.pop()  # a range across years ("October 1941 and June 30, 1942") gives none
    for pd in reversed(dates):
        s = s[: pd.start] + "," + s[pd.end :]
    s = _RX8.sub(",", s)
    # the rest, part by part
    parts = [_strip_part(p) for p in _RX9.split(s)]
    parts = [p for p in parts if p and p not in {"and", "see also", "and in"}]
    pub_run: list[str] = []
    years: list[int] = []
    for p in parts:
        ym = _YEAR.match(p)
        if ym:
            years.append(int(ym.group(1)))
            if p[0].isalpha() and p[0] != ym.group(1)[0]:  # "M. 1920"
                pl = _is_place(p.split()[0])
                if pl and f.place is None:
                    f.place = pl
            continue
        pl = _is_place(p)
        if pl:
            f.place = f.place or pl
            continue
        if _IGNORABLE.match(p):
            continue
        if _PUBLISHER_WORD.search(p) and len(p.split()) <= 10:
            pub_run.append(p)
            f.publisher = ", ".join(pub_run)
            continue
        if pub_run and f.publisher and p[:1].isupper() and len(p.split()) <= 3 and not f.place:
            pub_run.append(p)  # "Harcourt, Brace and Howe"
            f.publisher = ", ".join(pub_run)
            continue
        pub_run = []
        f.unknown.append(p)
    f.n_years = len(years)
    if years and f.date is None:
        f.year = years[-1]
    elif years and f.year is None:
        f.year = years[-1]
    return f


# --- authors ------------------------------------------------------------------------------

_NAME_WORD = r"[A-Z][\w'’-]*(?:-[A-Z]?[\w'’]+)?"
_INIT_NAME = rf"(?:(?:[A-Z][a-z]?\.\s?)+(?:(?:de|von|van|der|du|la)\s)?{_NAME_WORD})"
_FULL_NAME = rf"(?:{_NAME_WORD}\s(?:[A-Z]\.\s)?(?:{_NAME_WORD}\s)?(?:(?:de|von|van|du|la)\s)?{_NAME_WORD})"
_NAME_LIST = rf"(?:{_INIT_NAME}|{_FULL_NAME})(?:(?:,\s|\sand\s)(?:{_INIT_NAME}|{_FULL_NAME}))*"
_AUTHOR_TAIL = re.compile(rf"(?:^|[\s,:])({_INIT_NAME}(?:(?:,\s|\sand\s){_INIT_NAME})*)(?:'s|’s)?(?:\s+(?:book|article|pamphlet))?[,:\s-]*$")
_AUTHOR_WHOLE = re.compile(rf"^({_NAME_LIST})(?:'s|’s)?[,:\s-]*$")
_NOT_NAME_WORDS = {
    "the", "soviet", "foreign", "policy", "documents", "collected", "works", "papers",
    "relations", "history", "archives", "congress", "conference", "report", "annual",
    "selected", "materials", "miscellany", "reminiscences", "ibid", "see", "source",
    "published", "written", "printed", "print", "first", "quoted", "pravda", "izvestia",
    "international", "russian", "american", "british", "german", "state", "central",
    "party", "communist", "treaty", "letter", "speech", "ten", "years", "trade", "peace",
}
_CUE = re.compile(
    r"^(?:(?:For (?:more|greater detail|further)[^,:]*?,?\s*)?(?:see(?: also)?|cf\.)(?:\s+the\s+(?:journal|newspaper|magazine|book))?:?\s*"
    r"|(?:As\s+)?[Qq]uoted (?:in|from):?\s*|Source[:;]\s*|Print(?:\.|ed)? (?:according to|from)\s+(?:the\s+)?(?:brochure|book|pamphlet|text|newspaper)?\s*"
    r"|(?:First\s+)?[Pp]ublished (?:in full\s+)?(?:(?:in|on)\s+\d{4}\s+)?(?:in|on)\s+(?:the\s+)?(?:newspaper|magazine|journal|book|pamphlet)?\s*"
    r"|In:\s*)",
    re.I,
)


def read_author(pre: str, whole_only: bool = False) -> str | None:
    name = _read_author(pre, whole_only)
    return _RX10.sub("", name) if name else None


def _read_author(pre: str, whole_only: bool = False) -> str | None:
    """The author written before a title: ``V. I. Lenin, `` / ``see I. Gorokhov and L. Zamyatin, ``;
    a name without initials (``Jawaharlal Nehru``) only when it is all there is."""
    pre = _CUE.sub("", pre.strip()).strip()
    if not pre:
        return None
    m = _AUTHOR_WHOLE.match(pre)
    if m:
        name = m.group(1)
        if not any(w.lower().strip(".") in _NOT_NAME_WORDS for w in name.split()):
            return name
    if whole_only:
        return None
    m = _AUTHOR_TAIL.search(pre)
    if m and not _RX11.search(pre[: m.start(1)]):  # not "Zeldia K. Coates"
        name = m.group(1)
        if not any(w.lower().strip(".") in _NOT_NAME_WORDS for w in name.split()[-1:]):
            return name
    return None


def _surname(author: str | None) -> str | None:
    if not author:
        return None
    return _RX7.split(author.split(",")[0].split(" and ")[0].strip())[-1].lower()


# --- anchors ------------------------------------------------------------------------------

_IBID = re.compile(r"^(?:see(?: also)?:?\s+)?\*?Ibid(?:em)?\.?\*?(?=[\s,.;]|$)", re.I)
_OPCIT = re.compile(r"^(?P<pre>.*?),?\s*\*?op\.?\s*cit\.?\*?(?=[\s,.;]|$)", re.I)
_CW = re.compile(r"(?:(?P<author>(?:V\.\s?I\.\s?)?Lenin)(?:'s|’s)?,?\s+)?(?<![*\w])(?P<title>Collected\s+Works|Selected\s+Works)\b")
_SERIES = re.compile(
    r"(?<![*\w])Lenin\s+Miscellany\s+(?:(?P<vol>[IVXLC]+)\b|(?P<bad>[^\s,.;]{1,4}?[IVXLC]{2,})(?=[\s,.;]|$))")
_PERIODICAL_NO = re.compile(
    r"(?P<name>(?:The\s+)?[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|i|and|of|de|la|des|du))*?)\s+No\.\s*\d"
)
_ANY_PERIODICAL = re.compile("|".join(re.escape(p) for p in PERIODICALS))  # every _PERIODICAL_AT match holds one
_QUOTED = re.compile(r"“([^”\"]{3,200})[”\"]|\"([^\"]{3,200})\"")
_PERIODICAL_AT = re.compile(
    r"(?<![\w*])(" + "|".join(sorted((re.escape(p) for p in PERIODICALS), key=len, reverse=True)) + r")(?![\w*])(?=\*?\s*(?:[,.;:(]|No\.|for\b|of\b|$))"
)


_PERIODICAL_CUE = re.compile(r"(?:^|\s)(?:in|see|in the|the (?:newspaper|journal|magazine|paper)|newspaper|journal|magazine)$", re.I)


@dataclasses.dataclass
class Anchor:
    start: int
    end: int
    kind: str  # title / quoted / cw / series / periodical
    title: str | None = None
    periodical: str | None = None
    author: str | None = None


def _strip_emph(s: str) -> str:
    if "*" not in s and "_" not in s:  # _EMPH needs one of them
        return s
    prev = None
    while prev != s:
        prev, s = s, _EMPH.sub(emphasis_text, s)
    return s


def _clean_title(t: str) -> str:
    t = _strip_emph(t).strip(" ,.;:")
    m = _RX12.search(t)
    if m:  # "Collection of Documents (hereafter: The Moscow Conference)" → its short title
        t = m.group(1)
    return _RX7.sub(" ", t).strip()


def _is_periodical_name(name: str) -> bool:
    return name.lower().strip(" .") in _PERIODICAL_KEYS


def find_anchors(s: str) -> list[Anchor]:
    """Titles and other work-openers in a segment (see module doc), in text order."""
    anchors: list[Anchor] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in taken)

    for m in _EMPH.finditer(s) if "*" in s or "_" in s else ():
        inner = m.group(2)
        if _PAGES.search(inner) or _VOLUME.search(inner):
            continue  # emphasis over the facts too: not a clean title
        name = _clean_title(inner)
        if not name or _RX13.fullmatch(name):
            continue
        series = _SERIES.fullmatch(name)
        if series:  # *Lenin Miscellany XXXVI*
            anchors.append(Anchor(m.start(), m.end(), "series", title="Lenin Miscellany",
                                  periodical=series.group("vol") or series.group("bad")))
            taken.append((m.start(), m.end()))
            continue
        anchors.append(Anchor(m.start(), m.end(), "title", title=name))
        taken.append((m.start(), m.end()))
    for m in _CW.finditer(s) if "Works" in s else ():
        if free(m.start(), m.end()):
            anchors.append(Anchor(m.start(), m.end(), "cw", title=" ".join(m.group("title").split()),
                                  author=m.group("author")))
            taken.append((m.start(), m.end()))
    for m in _SERIES.finditer(s) if "Miscellany" in s else ():
        if free(m.start(), m.end()):
            anchors.append(Anchor(m.start(), m.end(), "series", title="Lenin Miscellany",
                                  periodical=m.group("vol") or m.group("bad")))  # the volume as printed
            taken.append((m.start(), m.end()))
    for m in _QUOTED.finditer(s) if "“" in s or '"' in s else ():
        if free(m.start(), m.end()):
            anchors.append(Anchor(m.start(), m.end(), "quoted", title=_clean_title(m.group(1) or m.group(2))))
            taken.append((m.start(), m.end()))
    for m in _PERIODICAL_NO.finditer(s) if "No." in s else ():
        name = m.group("name")
        name = _RX14.sub("", name)
        name = _RX15.sub("", name)
        words = name.split()
        while words and words[0] in {"In", "in", "and", "Published", "Printed", "See"}:
            words = words[1:]
        name = " ".join(words)
        st = m.start("name") + m.group("name").rfind(name) if name else m.start()
        if not name or not free(st, m.end("name")) or len(words) > 6:
            continue
        if name.split()[0].lower() in _NOT_NAME_WORDS - {"the", "pravda", "izvestia"}:
            continue
        before = _CUE.sub("", s[:st]).strip(" *")
        if before and not _is_periodical_name(name) and not _PERIODICAL_CUE.search(before) \
                and not _RX16.search(before):
            continue  # "... of the Central Executive Committee No. 221" inside prose
        anchors.append(Anchor(st, m.end("name"), "periodical", periodical=name))
        taken.append((st, m.end("name")))
    for m in _PERIODICAL_AT.finditer(s) if _ANY_PERIODICAL.search(s) else ():
        before = _CUE.sub("", s[: m.start()]).strip(" *")
        if before and not _PERIODICAL_CUE.search(before) and not _RX17.search(before):
            continue  # a known name inside prose ("Commissariat for Foreign Affairs")
        if free(m.start(), m.end()):
            anchors.append(Anchor(m.start(), m.end(), "periodical", periodical=m.group(1)))
            taken.append((m.start(), m.end()))
    anchors.sort(key=lambda a: a.start)
    return anchors


# --- building works -----------------------------------------------------------------------


def _apply(w: Work, f: Facts, *, periodical_like: bool = False) -> Work:
    w.volume = f.volume if f.volume_seen else w.volume
    w.issue = f.issue or w.issue
    if f.pages:
        w.pages, w.page_start, w.page_end = f.pages, f.page_start, f.page_end
    w.publisher = f.publisher or w.publisher
    w.place = f.place or w.place
    w.year = f.year or w.year
    if f.date is not None and f.date_precision == "day":
        w.date = new_style(w.periodical, f.date, f.date_paired)
        w.year = w.date.year if f.year == f.date.year else w.year
    return w


def _is_periodical(title: str, f: Facts) -> bool:
    if _is_periodical_name(title):
        return True
    if "works" in title.lower() or "documents" in title.lower():
        return False
    return bool(f.issue and not f.volume_seen and not f.publisher) or bool(
        f.date is not None and not f.volume_seen and not f.publisher and not f.place
    )


def _resolve_ibid(prev: Work | None, f: Facts) -> Work | None:
    if prev is None:
        return None
    w = dataclasses.replace(prev)
    if f.volume_seen and f.volume != prev.volume:
        w.publisher = w.place = w.year = w.date = None
        w.pages = w.page_start = w.page_end = None
    if (f.issue and f.issue != prev.issue) or (f.date is not None and f.date != prev.date):
        w.date = w.pages = w.page_start = w.page_end = None
        w.year = None
    return _apply(w, f)


def _resolve_opcit(author: str | None, history: list[Work], f: Facts) -> Work:
    key = _surname(author)
    for prev in reversed(history):
        if key and _surname(prev.author) == key and prev.title:
            w = dataclasses.replace(prev, author=author or prev.author)
            if f.volume_seen and f.volume != prev.volume:
                w.publisher = w.place = w.year = w.date = None
            w.pages = w.page_start = w.page_end = None
            return _apply(w, f)
    return _apply(Work(author=author), f)


_INIT_LIST = re.compile(rf"{_INIT_NAME}(?:\s+and\s+{_INIT_NAME})*")
_YEAR_RANGE = re.compile(r"^\(?\d{4}\s*-\s*\d{2,4}\)?\.?$")
_ENDS_DAY = re.compile(rf"\b{MONTH}\s+\d{{1,2}}(?:\s*-\s*\d{{1,2}})?$")
_BIB_TITLE = re.compile(r"^[A-Z0-9\"“'‘]")
_PROSE_START = re.compile(
    r"^(?:In|On|During|After|Before|When|This|That|These|It|He|She|They|We|The (?:company|indemnity|imperialist|internationalist|English terms|Foreign Ministers)|"
    r"What|Shortly|Under|Kemal|A province|\d+ states|French:|Bullitt)\b"
)


# precompiled helpers
_RX0 = re.compile(r"\s*,\s*")
_RX1 = re.compile(r"\d+")
_RX2 = re.compile(r"[\dOo]+")
_RX3 = re.compile(r"[Oo]")
_RX4 = re.compile(r"\s+and\s+|-")
_RX5 = re.compile(r"\b(?:Co|Inc|Ltd)\.$")
_RX6 = re.compile(r"\s*[–—]\s*")
_RX7 = re.compile(r"\s+")
_RX8 = re.compile(r"[()\[\]]")
_RX9 = re.compile(r",|\s+-\s+|\s+—\s*")
_RX10 = re.compile(r"['’]s$")
_RX11 = re.compile(r"(?:\b[A-Z][\w.]*|\band)\s*$")
_RX12 = re.compile(r"\((?:hereafter|henceforth):?\s*([^()]+)\)$")
_RX13 = re.compile(r"(?i)ibid\.?|op\.? ?cit\.?|sic|et al\.?")
_RX14 = re.compile(r"^(?:Published|Printed|Reprinted|Appeared)(?:\s+\w+)*?\s+in\s+(?:the\s+)?(?:newspaper\s+|magazine\s+|journal\s+)?")
_RX15 = re.compile(r"^(?:the\s+)?(?:newspaper|magazine|journal)\s+")
_RX16 = re.compile(r"(?:[,.;]|\b\d{4})$")
_RX17 = re.compile(r"[”\"],?$")
_RX18 = re.compile(r"\s+-\s+(?=pp?\.|\d{4})")
_RX19 = re.compile(r"\(([^()]*,[^()]*,[^()]*)\)")
_RX20 = re.compile(r"[\s,]*(?:in\s+)?(?:the\s+(?:journal|newspaper|magazine)\s+)?")
_RX21 = re.compile(r"\s*,")
_DASH_AUTHOR = re.compile(rf"^({_INIT_NAME}|{_FULL_NAME})\s+-\s+(.+)$")
_TITLE_YEAR = re.compile(rf"^(.*?\b{_YEAR_RX})\s*,\s*(.*)$")


def _heuristic(seg: str) -> Work | None:
    """``[Author,] Title, facts...`` with no emphasis: accepted only if wholly bibliographic."""
    s = _CUE.sub("", seg.strip()).strip().rstrip(".")
    if not s or _PROSE_START.match(s):
        return None
    for pd in reversed(_dates(s)):  # keep "May 31, 1959" in one comma-part
        s = s[: pd.start] + s[pd.start: pd.end].replace(",", "") + s[pd.end:]
    dash = _DASH_AUTHOR.match(split_top(s, ",")[0])
    parts = split_top(s, ",")
    author = None
    if dash:
        author = dash.group(1)
        parts = [dash.group(2)] + parts[1:]
        parts = [x for p in parts for x in _RX18.split(p)]
    elif len(parts) > 2:
        a = read_author(parts[0] + ",", whole_only=True)
        if a and not read_facts(parts[1]).any_bib() and not _is_place(parts[1]):
            n = 1
            while n + 2 < len(parts) and _INIT_LIST.fullmatch(parts[n].strip()):
                n += 1  # "M. S. Kapitsa, V. I. Ivanenko, Title, ..."
            author, parts = ", ".join(p.strip() for p in parts[:n]), parts[n:]
    # title: parts up to the first with a fact
    title_parts: list[str] = []
    i = 0
    while i < len(parts):
        if title_parts and i + 1 < len(parts) and _YEAR_RANGE.match(parts[i].strip()):
            title_parts.append(parts[i])  # "Notes and Diaries, 1917-1918, Leningrad, ..."
            i += 1
            continue
        f = read_facts(parts[i])
        if not f.empty() or _IGNORABLE.match(parts[i].strip(" .")):
            break
        title_parts.append(parts[i])
        i += 1
    if not title_parts:
        return None
    if i == len(parts):  # "E.H. Carr - Title" with the facts after the next ';'
        return Work(author=author, title=_clean_title(", ".join(title_parts))) if dash else None
    title = ", ".join(title_parts).strip()
    if not _BIB_TITLE.match(title) or len(title.split()) > 30:
        return None
    if i + 1 < len(parts) and _ENDS_DAY.search(title) and _YEAR.match(parts[i].strip()):
        title, i = f"{title}, {parts[i].strip()}", i + 1  # "Congress ... March 6-8, 1918"
    rest = ", ".join(parts[i:])
    f = read_facts(rest)
    if f.n_years > 1:  # "Meeting of ..., Moscow, 1969, Prague, 1969": the first pair is the title's
        m = _TITLE_YEAR.match(rest)
        if m:
            title = f"{title}, {m.group(1)}"
            f = read_facts(m.group(2))
    if f.date is not None and not f.unknown and len(title.split()) <= 5 and not author and \
            not (f.volume_seen or f.pages or f.publisher or f.place) and i == 1:
        return Work(periodical=_clean_title(title), date=f.date, year=f.year)  # "Name, April 8, 1927."
    if not f.any_bib() or len(f.unknown) > 1:
        if dash and f.empty():
            return Work(author=author, title=_clean_title(title))  # facts may follow after ';'
        return None
    w = Work(author=author, title=_clean_title(title))
    if _is_periodical(w.title, f):
        w.periodical, w.title = w.title, None
    return _apply(w, f)


class _Ctx:
    def __init__(self, history: list[Work], last: list[Work]):
        self.history = history  # all works cited before (for op. cit.)
        self.last = last  # works of the previous note (for Ibid.)
        self.works: list[Work] = []
        self.repairs: list[tuple[Work, str]] = []  # (work, damaged volume as printed)

    def prev_work(self) -> Work | None:
        if self.works:
            return self.works[-1]
        return self.last[-1] if self.last else None


def _segment(seg: str, ctx: _Ctx, first_in_chunk: bool, pending: list[Work]) -> None:
    s = seg.strip()
    if not s:
        return
    # Ibid.
    m = _IBID.match(s)
    if m:
        w = _resolve_ibid(ctx.prev_work(), read_facts(s[m.end():]))
        if w is not None:
            ctx.works.append(w)
        return
    # op. cit.
    m = _OPCIT.match(s)
    if m and len(m.group("pre")) < 80:
        author = read_author(m.group("pre"))
        ctx.works.append(_resolve_opcit(author, ctx.history + ctx.works, read_facts(s[m.end():])))
        return
    if _archive(s, ctx):
        return
    anchors = find_anchors(s)
    if not anchors:
        s = _strip_emph(s)
        n_before = len(ctx.works)
        f = read_facts(s)
        w = _heuristic(s)
        if w is not None:
            _publication_when(s, w, at_start=True)
            if w.title and not (w.volume or w.pages or w.year or w.publisher or w.place):
                pending.append(w)  # title only: wait for facts in the next ';' chunk
            else:
                ctx.works.append(w)
            return
        if first_in_chunk and not f.unknown and not f.empty():
            _continue_previous(ctx, f, pending)
        if len(ctx.works) == n_before:
            for m in _RX19.finditer(s):  # "(Title, New York, 1919, p. 37)"
                w = _heuristic(m.group(1))
                if w is not None and (w.pages or w.volume):
                    ctx.works.append(w)
        return
    # author before the first anchor
    pre = s[: anchors[0].start]
    cw_present = any(a.kind == "cw" for a in anchors)
    stray_pages = False
    orphans: list[tuple] = []
    first_new = len(ctx.works)
    k = 0
    while k < len(anchors):
        a = anchors[k]
        nxt = anchors[k + 1].start if k + 1 < len(anchors) else len(s)
        # a quoted article title followed by its periodical: "Title", *Kommunist*, No. 9
        if a.kind == "quoted" and k + 1 < len(anchors) and anchors[k + 1].kind in {"title", "periodical"} \
                and _RX20.fullmatch(s[a.end:anchors[k + 1].start]):
            b = anchors[k + 1]
            nxt2 = anchors[k + 2].start if k + 2 < len(anchors) else len(s)
            f = read_facts(s[b.end:nxt2])
            w = Work(author=read_author(pre) if k == 0 else None, title=a.title,
                     periodical=b.title or b.periodical)
            ctx.works.append(_apply(w, f))
            k += 2
            continue
        region = s[a.end:nxt]
        f = read_facts(region)
        author = a.author or (read_author(pre) if k == 0 else read_author(s[anchors[k - 1].end:a.start]))
        if a.kind == "cw":
            if f.empty() and not f.volume_seen:
                k += 1
                continue  # "the fourth edition of Lenin's Collected Works": mentioned, not cited
            if author is None and _no_other_author(pre if k == 0 else s[anchors[k - 1].end:a.start]):
                author = LENIN
            w = Work(author=author, title=a.title)
            if not f.pages:
                stray_pages = True  # pick up pages printed elsewhere in the segment (two-column OCR)
            if f.date is not None or f.issue:  # a newspaper's date/issue interleaved by the OCR
                orphans.append((f.date, f.issue, f.date_paired))
                f.date = f.issue = None
            if not (f.place or f.publisher):
                f.year = None  # a bare year near a source note is the writing's, not the edition's
            ctx.works.append(_apply(w, f))
        elif a.kind == "periodical":
            if f.empty() and _CUE.sub("", s[: a.start]).strip(" *"):
                k += 1
                continue  # "as they appeared in The World": named in prose, nothing cited
            w = Work(periodical=a.periodical)
            if cw_present:
                f.pages = f.page_start = f.page_end = None  # pages belong to the Collected Works
            ctx.works.append(_apply(w, f))
        elif a.kind == "series":
            if k > 0 and _CUE.sub("", s[anchors[k - 1].end:a.start]).strip(" ,.*"):
                k += 1
                continue
            printed = a.periodical or ""
            w = _apply(Work(author=LENIN, title=a.title, volume=printed if _ROMAN.match(printed) else None), f)
            if w.volume is None:
                ctx.repairs.append((w, printed))
            ctx.works.append(w)
        elif a.kind == "quoted":
            if _RX21.match(region) and f.any_bib():
                ctx.works.append(_apply(Work(author=author, title=a.title), f))
        else:
            title = a.title or ""
            if not (f.any_bib() or f.date or f.year or author or (k == 0 and not _CUE.sub("", pre).strip())):
                k += 1
                continue
            w = Work(author=author, title=title)
            if _is_periodical(title, f):
                w.periodical, w.title = title, None
            ctx.works.append(_apply(w, f))
        k += 1
    if orphans:
        papers = [w for w in ctx.works[first_new:] if w.periodical and w.date is None and w.issue is None]
        od, oi, paired = orphans[0]
        if len(orphans) == 1 and len(papers) == 1:
            papers[0].date, papers[0].issue = new_style(papers[0].periodical, od, paired), oi
            papers[0].year = papers[0].date.year if od else papers[0].year
        elif len(orphans) == 1:
            dated = [w for w in ctx.works[first_new:] if w.periodical and w.date is None]
            if len(dated) == 1 and od is not None and not oi:
                dated[0].date = new_style(dated[0].periodical, od, paired)
                dated[0].year = dated[0].date.year
    if len(ctx.works) > first_new:
        _publication_when(pre, ctx.works[first_new])
    if stray_pages:
        cws = [w for w in ctx.works[first_new:] if w.title in {"Collected Works", "Selected Works"} and not w.pages]
        allp = [m for m in _PAGES.finditer(s)]
        if len(cws) == 1 and len(allp) == 1 and allp[0].group("bad") is None:
            f = read_facts(allp[0].group(0))
            cws[0].pages, cws[0].page_start, cws[0].page_end = f.pages, f.page_start, f.page_end


def _archive(s: str, ctx: _Ctx) -> bool:
    """An archive reference: the archive is the title; the document's date is the date."""
    body = _CUE.sub("", s)
    m = _ARCHIVE.match(body)
    if not m:
        return False
    f = read_facts(body[m.end():])
    w = Work(title=_clean_title(m.group(1)), date=f.date, year=f.year)
    if f.pages:
        w.pages, w.page_start, w.page_end = f.pages, f.page_start, f.page_end
    ctx.works.append(w)
    return True


def _continue_previous(ctx: _Ctx, f: Facts, pending: list[Work]) -> None:
    """A ';' chunk with facts only continues the work before it (see module doc)."""
    if pending:
        ctx.works.append(_apply(pending.pop(), f))
        return
    if not ctx.works:
        return
    prev = ctx.works[-1]
    if f.volume_seen and prev.volume is not None and f.volume != prev.volume:
        ctx.works.append(_apply(Work(author=prev.author, title=prev.title, periodical=prev.periodical), f))
        return
    clash = any(getattr(prev, k) is not None for k in ("pages", "year", "publisher") if getattr(f, k))
    if not clash:
        _apply(prev, f)


def _parse(text: str, history: list[Work], last: list[Work]) -> list[Work]:
    ctx = _Ctx(history, last)
    s = prepare(text)
    if not s:
        return []
    pending: list[Work] = []
    for chunk_text in split_top(s, ";"):
        if not chunk_text:
            continue
        if _archive(chunk_text, ctx):  # "Archives. Letter from ..., June 3, 1918." is one reference
            continue
        sentences = _glue_titles(split_sentences(chunk_text))
        j = 0
        while j < len(sentences):
            used = _book_statement(sentences, j, ctx)
            if used:
                j += used
                continue
            _segment(sentences[j], ctx, j == 0, pending)
            j += 1
    for w, printed in ctx.repairs:
        w.volume = repair_series_volume(printed, w, ctx.history)
    for w in ctx.works:
        w.author = normalize_author(w.author)
    return ctx.works


# --- publication statements ("Published in 1921 in the book ...") -------------------------

LENIN = "V. I. Lenin"
_PUB_WHEN = re.compile(
    rf"\b[Pp]ublished(?:\s+in\s+full)?(?:\s+in\s+English)?\s+"
    rf"(?:on\s+(?P<date>{MONTH}\s+\d{{1,2}},?\s+{_YEAR_RX})|in\s+(?P<year>{_YEAR_RX}))"
    r"(?:\s+in\s+English)?(?:\s+for\s+the\s+first\s+time)?\s+in\s+(?:the\s+)?"
    r"(?:(?:newspaper|magazine|journal|book|pamphlet|collection|symposium)\s+)?\*?"
)
_PUB_BOOK = re.compile(
    rf"^(?:[A-Z][\w ]{{0,40}}?\s)?(?:[Ff]irst\s+)?[Pp]ublished(?:\s+in\s+full)?(?:\s+in\s+English)?"
    rf"(?:\s+(?:on\s+(?P<date>{MONTH}\s+\d{{1,2}},?\s+{_YEAR_RX})|in\s+(?P<year>{_YEAR_RX})))?"
    r"(?:\s+in\s+English)?(?:\s+for\s+the\s+first\s+time)?\s+in\s+(?:the\s+|a\s+)?"
    r"(?P<kind>book|pamphlet|collection|symposium)\s+(?P<rest>\S.*)$"
)
_PUBLISHED_BY = re.compile(r"^(?:Published|Issued|Printed)\s+by\s+(?:the\s+)?(?P<pub>.+?)\.?$")
_NOT_TITLE_START = re.compile(
    r"^(?:Written|Published|First|Signed|Printed|Reprinted|Delivered|Dictated|Translated|Source|See|"
    r"Ibid|Collected Works|Selected Works|Lenin Miscellany|Cf\.)\b")


def _publication_when(pre: str, w: Work, at_start: bool = False) -> None:
    """``Published on February 23, 1920 in the Daily Express No. 6198`` / ``Published in full in
    1959 in Lenin Miscellany``: the date or year before the work's name is its publication's.
    ``pre``: the text before the work's name (the statement must end it); with ``at_start``,
    the segment itself (the statement must open it)."""
    if "ublished" not in pre:
        return
    text = _strip_emph(pre)
    if at_start:
        m = _PUB_WHEN.match(text.strip())
    else:
        m = next((x for x in _PUB_WHEN.finditer(text) if not text[x.end():].strip()), None)
    if not m:
        return
    if m.group("date"):
        pd = find_dates(m.group("date"))
        if pd and w.periodical and w.date is None:
            w.date = new_style(w.periodical, pd[0].date, False)
            w.year = w.date.year
        elif pd and w.year is None:
            w.year = pd[0].date.year
    elif w.year is None:
        w.year = int(m.group("year"))


def _split_title_facts(text: str) -> tuple[str, Facts]:
    """``Title, Moscow, 1921, p. 5`` → (``Title``, facts); the title ends at the first comma part
    that is a fact or a place."""
    parts = split_top(text, ",")
    n = 0
    while n < len(parts):
        p = parts[n].strip(" .")
        if not p or _is_place(p) or not read_facts(p).empty() or _PUBLISHER_WORD.search(p):
            break
        n += 1
    title, facts = ", ".join(parts[:n]), read_facts(", ".join(parts[n:]))
    m = _TITLE_PLACE.search(title)
    if m and _is_place(m.group(1)) and facts.place is None:
        title, facts.place = title[: m.start()], _is_place(m.group(1))  # "... Papers. New York, p. 204"
    return title, facts


_TITLE_PLACE = re.compile(r"\.\s+([A-Z][\w.-]*(?:\s+[A-Z][\w-]*)?)\s*$")


def _book_statement(sentences: list[str], j: int, ctx: _Ctx) -> int:
    """``Published in 1921 in the book Title. Subtitle. New York, p. 204.`` / ``... in the
    pamphlet Title. Published by the Moscow Committee.``: the book or pamphlet named after the
    keyword, its title running over the following sentences until one that is not a title
    (a fact, a publisher statement, another source statement). Returns the sentences used."""
    m = _PUB_BOOK.match(_strip_emph(sentences[j]))
    if not m:
        return 0
    title_parts = [m.group("rest")]
    k = j + 1
    while k < len(sentences) and not _PAGES.search(title_parts[-1]) and _title_continues(sentences[k]):
        title_parts.append(sentences[k])
        k += 1
    title, f = _split_title_facts(" ".join(_strip_emph(t) for t in title_parts))
    title = _clean_title(title)
    if not title or _NOT_TITLE_START.match(title):
        return 0
    w = Work(title=title)
    _apply(w, f)
    while k < len(sentences):
        nxt = _strip_emph(sentences[k]).strip()
        pm = _PUBLISHED_BY.match(nxt)
        nf = read_facts(nxt)
        if pm and w.publisher is None:
            w.publisher = pm.group("pub").strip(" ,")
        elif not find_anchors(nxt) and not nf.unknown and not nf.empty() and not nf.volume_seen:
            _apply(w, nf)
        else:
            break
        k += 1
    if m.group("date"):
        w.year = w.year or find_dates(m.group("date"))[0].date.year
    elif m.group("year"):
        w.year = w.year or int(m.group("year"))
    ctx.works.append(w)
    return k - j


def _title_continues(sent: str) -> bool:
    s = _strip_emph(sent).strip()
    if _NOT_TITLE_START.match(s) or _PAGES.search(s) or _VOLUME.search(s) or _ISSUE.search(s):
        return False
    if _ARCHIVE.match(s) or len(s.split()) > 15:
        return False
    head = split_top(s.rstrip("."), ",")[0]
    return not _is_place(head)


_NAME_CAP = re.compile(r"\b[A-Z][a-z][\w'’-]*")
_NOT_AUTHOR_WORDS = {
    "Written", "Published", "First", "Signed", "See", "Source", "Collected", "Works", "Selected",
    "In", "And", "The", "Lenin", "English", "Russian", "Printed", "Print", "Reprinted", "Cf",
    "Vol", "Volume", "Edition", "For", "Also", "Delivered", "Dictated", "Sent",
}


def _no_other_author(pre: str) -> bool:
    """No name but Lenin's before ``Collected Works`` (``Written on March 9, 1921``; ``Lenin's``)."""
    text = _strip_emph(pre)
    for pd in reversed(find_dates(text) if _MAYBE_DATE.search(text) else []):
        text = text[: pd.start] + text[pd.end:]
    return all(w.rstrip("'’s") in _NOT_AUTHOR_WORDS or w in _NOT_AUTHOR_WORDS or w.lower() in MONTHS_LOWER
               for w in _NAME_CAP.findall(text))


def repair_series_volume(printed: str, w: Work, history: list[Work]) -> str | None:
    """An OCR-damaged series number (``jFXXVI``): repaired only when exactly one volume of the
    same series cited earlier in the source, with the same publication year, ends with the
    legible Roman tail and is longer than it (the damaged glyphs stood for something);
    otherwise None."""
    tail = re.search(r"[IVXLC]+$", printed)
    if not tail or w.year is None:
        return None
    cands = {h.volume for h in history
             if h.title == w.title and h.volume and h.year == w.year and h.volume.endswith(tail.group(0))
             and len(h.volume) > len(tail.group(0))}
    return cands.pop() if len(cands) == 1 else None


_INITIAL_GAP = re.compile(r"\b([A-Z][a-z]?\.)(?=[A-Z])")
_LENIN_NAME = re.compile(r"^(?:(?:V|N|Vl)\.\s*(?:I\.\s*)?|Vladimir\s+(?:Ilyich\s+)?)?Lenin(?:\s+\(?V\.\s*I\.\)?)?$")


def normalize_author(name: str | None) -> str | None:
    """``E.H. Carr`` → ``E. H. Carr`` (initials spaced); ``Lenin`` / ``N. Lenin`` / ``V.I. Lenin``
    → ``V. I. Lenin``."""
    if not name:
        return name
    name = " ".join(_INITIAL_GAP.sub(r"\1 ", name).split())
    return LENIN if _LENIN_NAME.match(name) else name


_FACT_HINT = re.compile(r"\b(?:pp?\.\s*\d|Vols?\.|No\.\s*\d|Ibid|op\.? cit)|\d{1,2},? \d{4}")


def _glue_titles(sentences: list[str]) -> list[str]:
    """Without emphasis, a title may contain '. ' (``The World Crisis. The Aftermath, Vol. V``):
    a short sentence with no digits is glued to a following one that starts a title."""
    out: list[str] = []
    open_title = False
    for s in sentences:
        if open_title and not _IBID.match(s):
            out[-1] = out[-1] + " " + s
        else:
            out.append(s)
        last = out[-1]
        open_title = (len(out) == 1 and "*" not in last and len(last.split()) <= 25
                      and not _PUB_BOOK.match(last)
                      and not _FACT_HINT.search(last) and not _PROSE_START.match(_CUE.sub("", last))
                      and not _ARCHIVE.match(_CUE.sub("", last)))
    return out


# --- public API ---------------------------------------------------------------------------


def parse_cited_works(text: str, previous: list[Work] | None = None) -> list[Work]:
    """The works ``text`` (one note) cites. ``previous``: works of the preceding notes of the
    same source, oldest first; ``Ibid.`` repeats the last of them (with new pages, volume...),
    ``<Author>, op. cit.`` the last one by that author."""
    prev = list(previous or [])
    return _parse(text, prev, prev[-1:])


def restore_emphasis(text: str, raw_span: str) -> str:
    """Put back the ``*emphasis*`` of the raw span into a note's clean text: each emphasised
    phrase of the raw span that occurs in ``text`` (and is not already marked) is wrapped in
    ``*``. The clean text stays the base (the layout parser may have de-interleaved or
    repaired it); the raw span only says which words were titles."""
    if "*" not in raw_span and "_" not in raw_span:
        return text
    for m in _EMPH.finditer(" ".join(normalize_chars(raw_span).split())):
        phrase = _strip_emph(m.group(2)).strip()
        if len(phrase) < 2:
            continue
        i = text.find(phrase)
        if i < 0 or text.find(phrase, i + 1) >= 0:
            continue
        if text[i - 1: i] == "*" or text[i + len(phrase): i + len(phrase) + 1] == "*":
            continue
        text = text[:i] + "*" + phrase + "*" + text[i + len(phrase):]
    return text


# --- cross-references ---------------------------------------------------------------------

_XREF_TARGET = (
    r"(?:(?:above|below|earlier|later)\s*,?\s*)?"
    r"(?:(?:[Nn]otes?\s+\d+(?:\s*(?:,|and|-|–)\s*\d+)*"
    r"|pp?\.\s*\d+(?:\s*[-–]\s*\d+)?(?:\s*(?:,|and)\s*\d+(?:\s*[-–]\s*\d+)?)*"
    r"|(?:[Cc]hapters?|[Pp]arts?|[Ss]ections?|[Dd]ocuments?|[Aa]ppendix|[Aa]ppendices)\s+"
    r"[IVXLC\d]+(?:\s*(?:,|and|-|–)\s*[IVXLC\d]+)*"
    r"|(?:the\s+)?(?:[Cc]hronology|[Ii]ntroduction|[Pp]reface|[Aa]ppendix))"
    r"(?:\s*(?:,\s*)?(?:of|in)\s+(?:the\s+present|this)\s+(?:volume|book|edition|collection))?"
    r"(?:\s*,?\s*(?:above|below))?)"
)
_CROSS_REF = re.compile(
    r"^\(?(?:(?:For\s+(?:further|more|greater)\s+(?:details?|information)(?:\s+(?:on|about|of)\s+[^;:()]{1,100}?)?"
    r"\s*,?\s*)?[Ss]ee(?:\s+also)?:?\s+)"
    rf"{_XREF_TARGET}(?:\s*(?:;|,|and)\s*(?:see\s+(?:also\s+)?)?{_XREF_TARGET})*"
    r"\s*[.)]*\s*(?:[-—–]\s*Ed\.)?$"
)


def cross_reference_target(text: str) -> int | None | bool:
    """Is the note's whole content an internal cross-reference (``See Note 13``, ``see below,
    pp. 480-483``, ``See Chapter V``)? False if not; else the note number named (or None)."""
    s = " ".join(normalize_chars(_strip_emph(text)).split())
    s = _LEAD_MARK.sub("", s).strip()
    m = _CROSS_REF.match(s)
    if not m:
        return False
    nums = re.findall(r"[Nn]otes?\s+(\d+)", s)
    return int(nums[0]) if len(nums) == 1 and not re.search(r"[Nn]otes\s", s) else None


def _marker_number(marker: str | None) -> int | None:
    if not marker:
        return None
    digits = marker.translate(_SUPERSCRIPT).strip("[]() .")
    return int(digits) if digits.isdigit() else None


_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")


def note_scopes(notes: list[Note]) -> list[int]:
    """A scope number per note: notes of one kind numbered 1, 2, 3... form a scope; a number
    that does not increase (a new chapter's notes start again at 1) opens a new scope."""
    scope_of: list[int] = []
    last: dict[str, tuple[int, int]] = {}  # kind → (scope, last number)
    next_scope = 0
    for n in notes:
        num = _marker_number(n.marker)
        cur = last.get(n.kind)
        if cur is None or (num is not None and num <= cur[1]):
            cur = (next_scope, num if num is not None else 0)
            next_scope += 1
        elif num is not None:
            cur = (cur[0], num)
        last[n.kind] = cur
        scope_of.append(cur[0])
    return scope_of


def mark_cross_references(notes: list[Note]) -> None:
    """Notes whose whole content is an internal cross-reference → kind ``cross_reference``;
    ``refers_to`` = the note of the same scope (``note_scopes``, on the kinds the layout parser
    gave) whose marker is the number named, when there is exactly one (a value the layout
    parser set is kept)."""
    found = [(i, t) for i, n in enumerate(notes) if n.kind != "cross_reference"
             and (t := cross_reference_target(n.text)) is not False]
    if not found:
        return
    scopes = note_scopes(notes)
    kinds = [n.kind for n in notes]
    for i, target in found:
        note = notes[i]
        note.kind = "cross_reference"
        note.cited_works = []
        if note.refers_to is not None or target is None:
            continue
        hits = [j for j, other in enumerate(notes)
                if j != i and scopes[j] == scopes[i] and kinds[j] == kinds[i]
                and _marker_number(other.marker) == target]
        if len(hits) == 1:
            note.refers_to = hits[0]


def cite_notes(notes: Iterable[Note], raw: str | None = None) -> None:
    """Fill ``note.cited_works`` for each note, in order. Notes that are wholly an internal
    cross-reference become kind ``cross_reference`` first (``mark_cross_references``) and cite
    nothing.

    ``Ibid.`` resolves against the works of the preceding citing note only (a note citing
    nothing in between, e.g. an archive note we cannot read, leaves it unresolved).
    ``raw``: the decoded source text; when given, the Markdown emphasis of each note's raw
    span is restored into its clean text (``restore_emphasis``): emphasis marks titles."""
    notes = notes if isinstance(notes, list) else list(notes)
    mark_cross_references(notes)
    history: list[Work] = []
    last: list[Work] = []
    for note in notes:
        if note.kind == "cross_reference":
            continue
        text = note.text
        if raw is not None and 0 <= note.char_start < note.char_end <= len(raw):
            text = restore_emphasis(text, raw[note.char_start:note.char_end])
        works = _parse(text, history, last)
        note.cited_works = works
        history.extend(works)
        last = works
