"""Plain-text treaties, pacts, protocols and agreements.

``parse(text) -> ParsedSource`` (format ``treaty_text``). The layout: a title (one or more
short lines), a preamble naming the parties, numbered articles (``Article 1``, ``ARTICLE I``,
``Art. 3.``, ``Article One``; the heading alone on its line or followed by the article's text),
a closing clause (``In witness whereof ...``), the place and date of signing (``Done at Moscow,
August 23, 1939.``) and the signatures; sometimes further instruments follow (``SECRET
ADDITIONAL PROTOCOL``) with articles or numbered points of their own.

Records (the contract's root is a ``page``):

- each instrument is a document under the root, of kind ``instrument_kind`` (``decree`` for a
  decree, ``statement`` for a declaration or communiqué, else ``other``), with its title, and
  the date and place of signing from its signing line (``signing_place_date``);
- each article is a ``section`` document titled ``Article N`` (``article_heading``);
- the preamble and article texts are ``text`` paragraphs (blank-line blocks, wrapping undone);
  a paragraph wholly in square brackets is an editor's remark (``editorial``);
- the closing clause (``In witness whereof``) or the signing line (``Done at ...``, or a bare
  ``Moscow, March 4, 1936.``) and everything after it in the instrument (names, ``For the Government of
  ...:``) are ``signature`` paragraphs;
- separator rules → ``boilerplate``; a lone number between blank lines → ``page_number``.

Treaty texts saved as Markdown or web text (``markup_lines``): YAML front matter, lines that
are only an HTML tag or comment (``<meta ...>``, ``<!--more-->``) or an image, Markdown heading
marks (``### Article 1``) and code backticks around a line are ``boilerplate``; a ``#`` heading
naming an instrument (``### Secret Additional Protocol.``) opens that instrument even before the
first one is signed. Article headings are read in the languages such texts come in
(``Article``, ``Artikel``, ``Articolo``, ``Artículo``, ``Статья``...). After a signature, an
``Article 1`` heading or a long text block (a preamble) opens the next instrument (the next
language version, say). A Project Gutenberg licence frame is ``boilerplate``. Signing dates in
words are read (``the twenty-seventh day of August in the year one thousand nine hundred and
twenty-eight``).
"""

from __future__ import annotations

import datetime as dt
import re

from pipelines.parsing.dates import MONTHS, ParsedDate, find_dates
from pipelines.parsing.formats.html import is_bracketed_remark
from pipelines.parsing.formats.markdown import front_matter_end
from pipelines.parsing.formats.plain import (
    is_rule_line,
    licence_frame,
    looks_like_heading,
    vocabulary_if_needed,
)
from pipelines.parsing.layout import page_number
from pipelines.parsing.records import Discard, Doc, Para, ParsedSource
from pipelines.parsing.text import Line, clean, line_blocks, reflow, split_lines

FORMAT = "treaty_text"

# "Article" in the languages treaty texts of the period come in (also in ``detect.ARTICLE_HEADING``)
ARTICLE_WORD = r"ARTICLE|Article|ART\.|Art\.|ARTIKEL|Artikel|Articolo|Artículo|Artigo|Artykuł|СТАТЬЯ|Статья|Článek"
ARTICLE = re.compile(
    rf"^[ \t]*(?:#{{1,6}}[ \t]*)?((?:{ARTICLE_WORD})[ \t]+(?:\d{{1,3}}|[IVXLC]{{1,7}}|[A-Z][a-z]+(?:-[a-z]+)?)\b\.?)[ \t]*[.:—–-]?[ \t]*"
)
# the signing formula, "<verb> ... <preposition> <Place>", in English, French, German, Russian, Dutch
_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_PLACE = rf"([{_UPPER}][\w'’.-]*(?:[ \t]+[{_UPPER}][\w'’.-]*){{0,2}})"
_SIGNED_AT = (
    r"(?:(?:Done|DONE|Signed|SIGNED|Made|Executed|Drawn up|Given)\b{gap}\b(?:at|in)"
    r"|(?:Fait|FAIT)\b{gap}(?<!\w)(?:à|a|À|A)"
    r"|(?:Geschehen|GESCHEHEN|Gegeben|Unterzeichnet)\b{gap}\b(?:zu|in)"
    r"|(?:Совершено|СОВЕРШЕНО|Подписано|ПОДПИСАНО|Составлено)(?!\w){gap}(?<!\w)(?:в|во)"
    r"|(?:Gedaan|GEDAAN|Getekend|Geteekend)\b{gap}\b(?:te|in))"
)
SIGNING = re.compile(
    r"^\W*" + _SIGNED_AT.format(gap=r"[^.\n]{0,60}?") + r"[ \t]+(?:the[ \t]+city[ \t]+of[ \t]+)?" + _PLACE,
)
SIGNING_ANYWHERE = re.compile(
    r"(?<!\w)" + _SIGNED_AT.format(gap=r"(?:[ \t\n]+in[ \t\n]+(?:duplicate|triplicate|\w+[ \t\n]+copies))?[^.]{0,30}?")
    + r"[ \t\n]+(?:the[ \t\n]+city[ \t\n]+of[ \t\n]+)?" + _PLACE,
)
WITNESS = re.compile(
    r"^\W*(?:IN (?:WITNESS|FAITH) WHEREOF|In (?:witness|faith) whereof|EN FOI DE QUOI|En foi de quoi"
    r"|ZU URKUND DESSEN|Zu Urkund dessen|В УДОСТОВЕРЕНИЕ ЧЕГО|В удостоверение чего|TER OORKONDE WAARVAN"
    r"|Ter oorkonde waarvan)",
    re.M,
)
# month names of signing dates in French, German, Russian (genitive) and Dutch
FOREIGN_MONTHS = {
    m: i + 1
    for names in (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "januar februar märz april mai juni juli august september oktober november dezember",
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "januari februari maart april mei juni juli augustus september oktober november december",
    )
    for i, m in enumerate(names.split())
}
_FOREIGN_DATE = re.compile(r"(?<!\d)(\d{1,2})(?:er|\.)?[ \t\n]+([^\W\d_]+)[ \t\n]+(\d{4})(?!\d)")
_ORDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_INSTRUMENT = re.compile(
    r"\b(?:treaty|pact|protocol|agreement|convention|declaration|communiqu[ée]|decree|accord|"
    r"armistice|memorandum|exchange of notes|annex)\b",
    re.I,
)


def article_heading(line: str) -> tuple[str, int] | None:
    """``Article 1.`` / ``ARTICLE IV`` / ``Article One`` → (heading as printed, length of the
    heading part of the line); None when the line does not open an article."""
    m = ARTICLE.match(line)
    if not m:
        return None
    word = m.group(1).split()[-1].rstrip(".").lower()
    if word.isalpha() and not re.fullmatch(r"[ivxlc]+", word) and word not in _ORDINALS:
        return None  # "Article Ten" yes, "Article Whereas" no
    return m.group(1), m.end()


def signing_place_date(text: str) -> tuple[str | None, object | None]:
    """``Done in duplicate at Moscow, August 23, 1939`` → (``Moscow``, the ParsedDate)."""
    m = SIGNING_ANYWHERE.search(text)
    place = m.group(1).rstrip(".,") if m else None
    if place and place.lower() in ("the", "duplicate", "two"):
        place = None
    rest = text[m.start():] if m else text
    d = day_of_month_date(rest) or foreign_date(rest)
    if d is not None:
        return place, d
    dates = find_dates(rest)
    return place, (dates[0] if dates else None)


_DAY_OF = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+day\s+of\s+([A-Z][a-z]+),?\s+(?:in\s+the\s+year\s+)?(\d{4})")


_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
_NUM_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_WORDS = rf"(?:{_NUM_WORD}|hundred|thousand|and)(?:[ \t\n-]+(?:{_NUM_WORD}|hundred|thousand|and))*"
_DAY_OF_WORDS = re.compile(
    rf"\b({_WORDS})[ \t\n]+day[ \t\n]+of[ \t\n]+([A-Z][a-z]+),?[ \t\n]+(?:in[ \t\n]+the[ \t\n]+year[ \t\n]+)?(\d{{4}}|{_WORDS})",
    re.I,
)


def number_in_words(s: str) -> int | None:
    """``twenty-seventh`` → 27; ``one thousand nine hundred and twenty-eight`` → 1928;
    ``nineteen hundred and twenty five`` → 1925; None when a word is not a number."""
    total, cur = 0, 0
    for w in re.split(r"[\s-]+", s.lower().strip()):
        if w == "and" or not w:
            continue
        if w == "hundred":
            cur = (cur or 1) * 100
        elif w == "thousand":
            total += (cur or 1) * 1000
            cur = 0
        elif w in _UNITS:
            cur += _UNITS[w]
        else:
            return None
    return total + cur


def foreign_date(text: str):
    """``le 27 août 1928`` / ``am 28. September 1939`` / ``23 августа 1939 года`` /
    ``27 Augustus 1928`` → a day-precision ParsedDate (None if absent)."""
    for m in _FOREIGN_DATE.finditer(text):
        month = FOREIGN_MONTHS.get(m.group(2).lower())
        if month is None:
            continue
        try:
            day = dt.date(int(m.group(3)), month, int(m.group(1)))
        except ValueError:
            continue
        return ParsedDate(day, "day", None, m.group(0), m.start(), m.end())
    return None


def day_of_month_date(text: str):
    """``the 16th day of March, 1921`` / ``the twenty-seventh day of August in the year one
    thousand nine hundred and twenty-eight`` → a day-precision ParsedDate (None if absent)."""
    m = _DAY_OF.search(text)
    if m:
        day, month, year = m.group(1), m.group(2), m.group(3)
    else:
        m = _DAY_OF_WORDS.search(text)
        if not m or m.group(2).lower() not in MONTHS:
            return None
        day, year = number_in_words(m.group(1)), (m.group(3) if m.group(3).isdigit() else number_in_words(m.group(3)))
        if not day or not year or not 0 < day <= 31 or not 1000 <= int(year) <= 2100:
            return None
        month = m.group(2)
    got = find_dates(f"{month} {day}, {year}")
    if not got:
        return None
    return ParsedDate(got[0].date, got[0].precision, got[0].old_style, m.group(0), m.start(), m.end())


_PAGE_MARK = re.compile(r"^[ \t]*[-–—\[(]*[ \t]*(\d{1,4})[ \t]*[-–—\])]*[ \t]*$")
_PLACE_DATE = re.compile(r"^\W*([A-Z][\w'’.-]*(?:[ \t]+[A-Z][\w'’.-]*){0,2}),[ \t]+(?:the[ \t]+)?\d{0,2}\s*[A-Z][a-z]+\.?[ \t]+\d")


def lone_page_number(line: str) -> int | None:
    """A line that is only a page number (``12``, ``- 2 -``, ``[14]``)."""
    n = page_number(line)
    if n is not None:
        return n
    m = _PAGE_MARK.match(line)
    return int(m.group(1)) if m and 0 < int(m.group(1)) < 2000 else None


def is_place_date_line(s: str) -> bool:
    """``Moscow, March 4, 1936.`` / ``Berlin, the 28th September 1939``: a signing line without
    ``Done at``."""
    t = s.strip()
    return len(t) <= 80 and bool(_PLACE_DATE.match(t)) and bool(find_dates(t))


def instrument_kind(title: str) -> str:
    t = title.lower()
    if "decree" in t:
        return "decree"
    if re.search(r"declaration|communiqu|statement", t):
        return "statement"
    return "other"


def is_instrument_heading(block: list[Line]) -> bool:
    """A short heading block naming an instrument (``SECRET ADDITIONAL PROTOCOL``)."""
    if len(block) > 4:
        return False
    t = " ".join(ln.text.strip() for ln in block)
    return len(t) <= 200 and bool(_INSTRUMENT.search(t)) and not t.rstrip().endswith((".", ",", ";", ":")) and (
        t.isupper() or all(looks_like_heading(ln.text) for ln in block)
    )


_MARKUP_LINE = re.compile(r"^[ \t]*(?:<!--.*-->|</?[A-Za-z][^<>]*>|!\[[^\]]*\]\([^)]*\))[ \t]*$")
_HEADING_MARKS = re.compile(r"^([ \t]*)(#{1,6})[ \t]*(?=\S)")
_TRAILING_MARKS = re.compile(r"[ \t]+#+[ \t]*$")
_CODE_LINE = re.compile(r"^([ \t]*)(`+)([^`].*?)(`+)[ \t]*$")


def markup_lines(text: str, lines: list[Line], out: ParsedSource) -> tuple[list[Line], set[int]]:
    """The lines with web markup taken out (see module doc): markup-only lines become blank,
    heading marks and backticks become spaces (offsets unchanged); what was taken out is
    ``boilerplate``. Returns the lines and the numbers of the lines that were ``#`` headings."""
    skip: set[int] = set()
    fm = front_matter_end(lines)
    if fm:
        out.discards.append(Discard(lines[0].span()[0], lines[fm - 1].span()[1], "boilerplate"))
        for ln in lines[1 : fm - 1]:
            m = re.match(r"^title:\s*(.+)$", ln.text.strip())
            if m:
                out.title = clean(m.group(1).strip("'\""))
        skip.update(ln.number for ln in lines[:fm])
    frame = licence_frame(text)
    if frame is not None:
        body_start, body_end, meta = frame
        outside = [ln for ln in lines if not ln.blank and (ln.end <= body_start or ln.start >= body_end)]
        for blk in line_blocks(outside):
            out.discards.append(Discard(blk[0].span()[0], blk[-1].span()[1], "boilerplate"))
        skip.update(ln.number for ln in outside)
        out.title = out.title or meta.get("title")
    result: list[Line] = []
    headed: set[int] = set()
    for ln in lines:
        t = ln.text
        if ln.number in skip or _MARKUP_LINE.match(t):
            if ln.number not in skip and t.strip():
                out.discards.append(Discard(*ln.span(), "boilerplate"))
            result.append(Line(ln.number, ln.start, ln.end, " " * len(t)))
            continue
        cuts: list[tuple[int, int]] = []
        m = _HEADING_MARKS.match(t)
        if m:
            headed.add(ln.number)
            cuts.append((m.start(2), m.end(2)))
            m2 = _TRAILING_MARKS.search(t)
            if m2 and m2.start() > m.end():
                cuts.append((m2.start(), m2.end()))
        m = _CODE_LINE.match(t)
        if m:
            cuts += [(m.start(2), m.end(2)), (m.start(4), m.end(4))]
        for a, b in cuts:
            t = t[:a] + " " * (b - a) + t[b:]
            out.discards.append(Discard(ln.start + a, ln.start + b, "boilerplate"))
        result.append(ln if t == ln.text else Line(ln.number, ln.start, ln.end, t))
    return result, headed


LONG_PREAMBLE = 200  # a text block this long after a signature opens the next instrument


def _opens_next_instrument(block: list[Line]) -> bool:
    """After a signature: a first article (``Article 1``, ``Artikel I``) or a long text
    block (the next instrument's preamble), not names or signing lines."""
    ah = article_heading(block[0].text)
    if ah is not None:
        return ah[0].split()[-1].rstrip(".").lower() in ("1", "i", "one")
    joined = " ".join(ln.text.strip() for ln in block)
    return len(joined) > LONG_PREAMBLE and not SIGNING.match(joined) and not WITNESS.match(joined)


def parse(text: str) -> ParsedSource:
    out = ParsedSource(format=FORMAT)
    lines, headed = markup_lines(text, split_lines(text), out)
    vocab = vocabulary_if_needed(text)
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))
    blocks = line_blocks(lines)
    state = {"inst": None, "article": None, "signed": False, "page": None}

    def cur_doc() -> int:
        return state["article"] if state["article"] is not None else (state["inst"] if state["inst"] is not None else root)

    def extend(end: int) -> None:
        for k in ("inst", "article"):
            if state[k] is not None:
                out.docs[state[k]].char_end = max(out.docs[state[k]].char_end, end)

    def add(kind: str, pieces: list[str], a: int, b: int) -> None:
        body = reflow(pieces, vocab)
        if body:
            out.add_para(Para(doc=cur_doc(), kind=kind, text=body, char_start=a, char_end=b, page=state["page"]))
            extend(b)

    def open_instrument(title: str, a: int) -> None:
        state["inst"] = out.add_doc(Doc(kind=instrument_kind(title), char_start=a, char_end=a, parent=root, title=title))
        state["article"], state["signed"] = None, False

    for block in blocks:
        # rules and page numbers
        keep = []
        for ln in block:
            if is_rule_line(ln.text):
                out.discards.append(Discard(*ln.span(), "boilerplate"))
            else:
                keep.append(ln)
        block = keep
        if not block:
            continue
        if len(block) == 1 and lone_page_number(block[0].text) is not None:
            out.discards.append(Discard(*block[0].span(), "page_number"))
            state["page"] = lone_page_number(block[0].text) + 1
            continue
        a, b = block[0].span()[0], block[-1].span()[1]
        title_block = (state["inst"] is None and not out.paras and all(looks_like_heading(ln.text) or ln.text.isupper() for ln in block) and len(block) <= 4)
        named = len(block) == 1 and block[0].number in headed and bool(_INSTRUMENT.search(block[0].text))
        named = named and article_heading(block[0].text) is None
        if title_block or named or ((state["signed"] or state["inst"] is None) and is_instrument_heading(block)):
            title = clean(" ".join(ln.text for ln in block)).rstrip(".")
            open_instrument(title, a)
            add("heading", [ln.text for ln in block], a, b)
            if out.title is None:
                out.title = title
            continue
        if state["inst"] is None or (state["signed"] and _opens_next_instrument(block)):
            open_instrument(out.title or "", a)
        # article headings may stand at any line of a block (no blank line before them)
        pieces: list[Line] = []
        for ln in block:
            ah = article_heading(ln.text)
            if ah and not state["signed"]:
                if pieces:
                    add_block(add, pieces, state)
                    pieces = []
                heading, cut = ah
                s = ln.start + (len(ln.text) - len(ln.text.lstrip()))
                head_end = ln.start + ln.text.index(heading) + len(heading)
                state["article"] = out.add_doc(
                    Doc(kind="section", char_start=s, char_end=ln.span()[1], parent=state["inst"], title=clean(heading).rstrip("."))
                )
                add("heading", [heading], s, head_end)
                rest = ln.text[cut:]
                if rest.strip():
                    pieces.append(Line(ln.number, ln.start + cut, ln.end, rest))
            else:
                pieces.append(ln)
        if pieces:
            add_block(add, pieces, state)
    if not out.title and out.paras:
        out.title = out.paras[0].text
    out.docs[root].title = out.title
    for d in out.docs[1:]:
        if d.kind != "section" and not d.title:
            d.title = out.title
    _signing_metadata(out, text)
    return out


def add_block(add, pieces: list[Line], state: dict) -> None:
    """A text block: ``text``, or ``signature`` from the signing line on."""
    joined = " ".join(ln.text.strip() for ln in pieces)
    a, b = pieces[0].span()[0], pieces[-1].span()[1]
    if not state["signed"] and (
        SIGNING.match(joined) or WITNESS.match(joined) or (len(pieces) == 1 and is_place_date_line(joined))
    ):
        state["signed"] = True
        state["article"] = None  # the signing block belongs to the instrument, not its last article
        add("signature", [ln.text for ln in pieces], a, b)
        return
    if state["signed"] and all(len(ln.text.strip()) <= 60 for ln in pieces) and not any(
        ln.text.rstrip().endswith("-") for ln in pieces
    ):
        for ln in pieces:  # names and "For the Government of ...:" lines: one each
            add("signature", [ln.text], *ln.span())
        return
    if not state["signed"] and is_bracketed_remark(joined):
        add("editorial", [ln.text for ln in pieces], a, b)  # "[The section below was not published ...]"
        return
    if not state["signed"] and len(pieces) == 1:
        for part in preamble_parts(pieces[0]):
            add("text", [part.text], *part.span())
        return
    add("signature" if state["signed"] else "text", [ln.text for ln in pieces], a, b)


# the turn of a preamble from the recitals to what the parties did: "...policy; Have decided to
# conclude a Treaty ...", "Have agreed as follows:", "Hebben besloten", "Ont résolu", "Haben beschlossen"
_PREAMBLE_TURN = re.compile(
    r"(?<=[;:])[ \t]*(?=(?:(?:Have|HAVE|Hebben|HEBBEN|Ont|ONT|Haben|HABEN|Sont|SONT|Sind|SIND)[ \t]+"
    r"(?:agreed|resolved|decided|AGREED|RESOLVED|DECIDED|besloten|BESLOTEN|overeengekomen|résolu|RÉSOLU|décidé|"
    r"convenu|CONVENU|convenus|beschlossen|BESCHLOSSEN|vereinbart|übereingekommen)\b|Решили|РЕШИЛИ|Согласились|СОГЛАСИЛИСЬ))"
)
LONG_LINE = 500  # a one-line block this long may be a whole preamble


def preamble_parts(line: Line) -> list[Line]:
    """A long one-line preamble split where it turns from the recitals to what the parties
    did (``...;Have decided to conclude a Treaty``); any other line is left whole."""
    if len(line.text) < LONG_LINE:
        return [line]
    cuts = [m.end() for m in _PREAMBLE_TURN.finditer(line.text)]
    if not cuts:
        return [line]
    bounds = [0, *cuts, len(line.text)]
    return [
        Line(line.number, line.start + x, line.start + y, line.text[x:y])
        for x, y in zip(bounds, bounds[1:])
        if line.text[x:y].strip()
    ]


def _signing_metadata(out: ParsedSource, text: str) -> None:
    """Date and place of each instrument from its signature paragraphs (the first giving a
    place: the witness clause may precede the ``Done at`` line); an unsigned instrument takes
    those of the signing formula that closes it (the next signed instrument's)."""
    sigs: dict[int, list[str]] = {}
    for p in out.paras:
        if p.kind == "signature":
            sigs.setdefault(p.doc, []).append(p.text)
    for i, d in enumerate(out.docs):
        if d.parent != 0 or i not in sigs:
            continue
        place, date = None, None
        for s in sigs[i][:6]:
            place, date = signing_place_date(s)
            if place is None and is_place_date_line(s):
                place, date = _PLACE_DATE.match(s).group(1), find_dates(s)[0]
            if place is not None:
                break
        if place is None:
            place, date = signing_place_date(sigs[i][0])
        d.place = place
        if date is not None:
            d.date, d.date_precision, d.date_text = date.date, date.precision, date.text
            d.date_old_style = date.old_style
    # an instrument with no signing line of its own (the treaty before its protocol, signed
    # once at the end) is closed by the next signing formula: it takes that place and date
    closing = None
    for i in range(len(out.docs) - 1, 0, -1):
        d = out.docs[i]
        if d.parent != 0:
            continue
        if i in sigs:
            closing = d if d.date is not None else None
        elif closing is not None and d.date is None and d.place is None:
            d.place, d.date, d.date_precision = closing.place, closing.date, closing.date_precision
            d.date_text, d.date_old_style = closing.date_text, closing.date_old_style
