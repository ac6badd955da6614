"""OCR'd books (archive.org style): hard-wrapped lines, printed page numbers and scanner
debris on their own lines, letter-spaced headings, a collection of writings each followed by
a source note, numbered endnotes at the end with ``p. N`` back-references, ``*`` footnotes.

``parse(text) -> ParsedSource`` (format ``ocr_book``). The steps, each a named function:

1. ``classify_lines``: blank / page number / running head / OCR noise / content (see
   ``pipelines.parsing.layout``); the non-content lines become discards.
2. ``make_blocks``: runs of content lines, split further where a source note follows text
   directly, where a new title follows a source note without a blank line, and after a date
   line followed by text.
3. ``classify_block``: source note, editor's footnote, star footnote, or other.
4. ``segment``: front matter (preface), one document per writing (a writing starts after the
   previous writing's source note, or with a title-like block after a page gap), one
   document of kind ``chapter`` per chapter opening (``chapter_opening``: a ``CHAPTER III`` /
   ``PART TWO`` / ``BOOK I`` label after blank lines or page furniture, optionally with a
   title line), the notes section.
5. Per writing: heading area (title, capitals subtitle, date line), body paragraphs (text,
   sub-headings, signatures, date lines), source note, footnotes; paragraphs split by a page
   break are re-joined.
6. Endnotes parsed from the notes section, linked to their markers with a page model
   (``pipelines.parsing.page_model``). ``Para.page``: exact where printed numbers tell it
   (``printed_page_before``; ``page_runs``: the text under a running head carrying its number
   is on that page, a chapter opening starts the page the next number names), else from
   the model (``page_estimated``).

Page-by-page OCR dumps (HathiTrust full text): a ``## p. 12 (#20) ####`` marker line is a
``page_number`` discard, and so is a bare number among the first two or last four lines of a
marked page (``page_edges``); where no blank lines separate paragraphs, a line ending a
sentence and shorter than 70% of the median line ends its paragraph (``short_last_line``); an
unspaced line end is read as a word broken by the OCR only in files whose wrapped lines keep a
trailing space.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.parsing.authors import known_author
from pipelines.parsing.dates import MONTH, MONTHS, find_dates
from pipelines.parsing.layout import (
    chapter_label,
    has_signature_mark,
    is_ocr_noise,
    is_running_head,
    page_number,
    repair_caps_heading,
    repair_debris,
    repair_ocr,
    repair_spacing,
    repair_split_capitals,
    running_head_page,
    running_heads,
    strip_debris,
)
from pipelines.parsing.page_model import (
    Anchor,
    Candidate,
    PageModel,
    Signal,
    choose_markers,
    page_length,
    page_runs,
)
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import MARK, Line, Vocabulary, clean, reflow, split_lines, take_marks

FORMAT = "ocr_book"

# --- 1. lines ------------------------------------------------------------------------------


@dataclass
class LineInfo:
    kind: str  # blank / page_number / running_header / ocr_noise / content
    page: int | None = None


# a HathiTrust full-text page marker: "## p. 12 (#20) ######" (printed page, scan number)
HATHI_PAGE = re.compile(r"^## p\. ?(\S*) \(#\d+\) #+[ \t]*$")


def page_edges(lines: list[Line]) -> set[int]:
    """Indexes of the lines near the edges of the pages that page markers delimit (the first
    two and the last four content lines of each page): where a bare number is a page number
    in text without blank lines around it."""
    marks = [i for i, ln in enumerate(lines) if HATHI_PAGE.match(ln.text)]
    if not marks:
        return set()
    edges: set[int] = set()
    for a, b in zip(marks, [*marks[1:], len(lines)]):
        content = [i for i in range(a + 1, b) if not lines[i].blank]
        edges.update(content[:2] + content[-4:])
    return edges


def classify_lines(lines: list[Line]) -> list[LineInfo]:
    """Each raw line's role. Page numbers and running heads must stand alone (blank lines or
    the file's edge on both sides); OCR noise may stand anywhere. A chapter label
    (``CHAPTER 3``) printed once, and the title line right under a label, are content even
    where their text also serves as a running head (``CHAPTER 4``, ``CHAPTER 5`` look alike
    once digits are dropped; the chapter title is repeated at each page top)."""
    heads = running_heads([ln.text for ln in lines])
    label_texts = Counter(ln.text.strip() for ln in lines if chapter_label(ln.text))
    out: list[LineInfo] = []
    n = len(lines)
    prev_label = False  # the last non-blank line was a chapter label
    edges = page_edges(lines)
    for i, ln in enumerate(lines):
        if ln.blank:
            out.append(LineInfo("blank"))
            continue
        if edges:
            m = HATHI_PAGE.match(ln.text)
            if m:  # the page marker opens its page: no bottom-of-page anchor
                out.append(LineInfo("page_number"))
                continue
            if i in edges and page_number(ln.text) is not None:
                out.append(LineInfo("page_number", page_number(ln.text)))
                continue
        was_label, prev_label = prev_label, False
        if chapter_label(ln.text) and label_texts[ln.text.strip()] == 1:
            out.append(LineInfo("content"))
            prev_label = True
            continue
        if was_label and is_running_head(ln.text, heads) and running_head_page(ln.text) is None:
            out.append(LineInfo("content"))
            continue
        alone = (i == 0 or lines[i - 1].blank) and (i + 1 == n or lines[i + 1].blank)
        if not alone and (i + 1 == n or lines[i + 1].blank) and has_signature_mark(ln.text):
            alone = True
        if alone:
            p = page_number(ln.text)
            if p is not None:
                out.append(LineInfo("page_number", p))
                continue
            p = running_head_page(ln.text)
            if p is not None:
                out.append(LineInfo("running_header", p))
                continue
            if is_running_head(ln.text, heads):
                out.append(LineInfo("running_header"))
                continue
        if is_ocr_noise(ln.text):
            out.append(LineInfo("ocr_noise"))
            continue
        out.append(LineInfo("content"))
    return out


# --- 2. blocks -----------------------------------------------------------------------------

SN_START = re.compile(
    r"^\s*(?:W\s?ritten\b|First\s+published|Published\b|Short\s+newspaper\s+report|Signed:|"
    r"Collected\s+\S*\s*,?\s*Vol\.|Printed\s+(?:in|from|according)|Reproduced\b|"
    r"[A-Z][\w’'.]*(?:\s+[A-Za-z][\w’'.]*){0,4}\s+No\.\s*\d)"
)
SN_STRONG = re.compile(
    r"Collected\s+\S*\s*,?\s*Vol\.|\bVol\.\s*\S+|\b[Pp][Pp]?[.'‘*]\s*[\d^*]|W\s?ritten\s+(?:on|in)\b|"
    r"[Pp]ublished\s+(?:in|on|for|by)\b|\bNo\.\s*\d"
)
_SENT_END = re.compile(r"[.!?:;][”\"’)]?\s*$")
_INDENTED = re.compile(r"\s+\S")
_INDENTED_CAPITAL = re.compile(r"\s+[A-Z“\"]")
_OPENS_CAPITAL = re.compile(r"\s*[A-Z“\"(]")


@dataclass
class Block:
    lines: list[Line]
    gap: int = 1  # blank lines before it
    sep: bool = False  # a page number / running head / noise line stands between it and the previous block
    kind: str = "text"
    prepared: list[str] = field(default_factory=list)  # repaired line texts (markers not yet replaced)

    @property
    def start(self) -> int:
        return self.lines[0].span()[0]

    @property
    def end(self) -> int:
        return self.lines[-1].span()[1]


@lru_cache(maxsize=65536)
def is_date_line(s: str) -> bool:
    """A line that is only a date (``October 26 (November 8), 1917``, ``14. III. 1922``),
    possibly with a place before it (``Moscow, March 6, 1922``)."""
    t = clean(s).strip(" .")
    if not t or len(t) > 60:
        return False
    d = writing_date(t)
    if d is None:
        return False
    rest = (t[: d.start] + t[d.end :]).strip(" ,.;")
    return not rest or bool(re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", rest))


def _is_sn_line(s: str) -> bool:
    return bool(SN_START.match(s)) or bool(SN_STRONG.search(s))


def _opens_source_note(texts: list[str]) -> bool:
    return bool(SN_START.match(texts[0])) and any(SN_STRONG.search(t) for t in texts)


def make_blocks(lines: list[Line], info: list[LineInfo], prepared: list[str]) -> list[Block]:
    """Runs of content lines between blank/page/noise lines, split further:
    - before a source-note opening (``Written on``, ``First published``...) that follows a
      line ending a sentence;
    - before an indented capitalised line that follows a source-note line (the next title);
    - after a date line followed by an indented line (a date at the head or foot of a text
      running straight into the next paragraph)."""
    blocks: list[Block] = []
    cur: list[Line] = []
    gap, sep, pending_gap, pending_sep = 0, False, 0, False
    short = short_last_line(lines, info, prepared)

    def flush():
        nonlocal cur
        if cur:
            blocks.append(Block(cur, gap, sep))
            cur = []

    for idx, (ln, li) in enumerate(zip(lines, info)):
        if li.kind != "content":
            if cur:
                flush()
                pending_gap, pending_sep = 0, False
            if li.kind == "blank":
                pending_gap += 1
            else:
                pending_sep = True
            continue
        if cur:
            prev = cur[-1]
            ptxt, txt = prepared[prev.number - 1], prepared[ln.number - 1]
            split = False
            if SN_START.match(txt) and SN_STRONG.search(txt) and _SENT_END.search(ptxt) and not _is_sn_line(ptxt):
                split = True
            elif _INDENTED_CAPITAL.match(ln.text) and not _is_sn_line(txt) and (
                _is_sn_line(ptxt) or _opens_source_note([prepared[x.number - 1] for x in cur])
            ):
                split = True
            elif _INDENTED.match(ln.text) and is_date_line(ptxt) and not is_date_line(txt):
                split = True
            elif _ED_NOTE.search(ptxt) and _STAR_NOTE.match(prepared[cur[0].number - 1]):
                split = True  # a footnote ends with its "—Ed." line; the text goes on
            elif len(cur) == 1 and is_salutation(ptxt) and _OPENS_CAPITAL.match(txt):
                split = True  # "Comrades," / "Dear Mr. Smith:" on its own line opens the text
            elif short and len(ptxt.strip()) < short and _SENT_END.search(ptxt):
                split = True  # no blank lines between paragraphs: a short last line ends one
            else:
                last_in_block = idx + 1 == len(lines) or info[idx + 1].kind != "content"
                if last_in_block and _SENT_END.search(ptxt) and is_run_in_subheading(txt):
                    split = True  # "... economically." / "World Needs Our Goods" (then a blank)
                elif last_in_block and _MARGIN_NUMBER.match(txt) and not _SENT_END.search(ptxt):
                    split = True  # a marginal note's number printed under a line
            if split:
                flush()
                pending_gap, pending_sep = 0, False
        if not cur:
            gap, sep = pending_gap, pending_sep
            pending_gap, pending_sep = 0, False
        cur.append(ln)
    flush()
    for b in blocks:
        b.prepared = [prepared[ln.number - 1] for ln in b.lines]
    return blocks


def short_last_line(lines: list[Line], info: list[LineInfo], prepared: list[str]) -> int:
    """In text with (almost) no blank lines between paragraphs (page-by-page OCR dumps), the
    length under which a line ending a sentence is a paragraph's last line (70% of the median
    line); 0 where blank lines separate the paragraphs."""
    content = [len(prepared[ln.number - 1].strip()) for ln, li in zip(lines, info) if li.kind == "content"]
    kinds = [li.kind for li in info if li.kind != "ocr_noise"]
    # blank lines standing between two text lines (not those under a page marker)
    gaps = sum(1 for a, b, c in zip(kinds, kinds[1:], kinds[2:]) if a == "content" and b == "blank" and c in ("blank", "content"))
    if len(content) < 10 or gaps * 15 > len(content):
        return 0
    return int(0.7 * sorted(content)[len(content) // 2])


_SALUTATION = re.compile(r"^\s*(?:Dear\s+[\w.’' ]{1,30}?|[A-Z][\w.’']*(?:\s+[A-Z][\w.’']*){0,3})\s*[,:]\s*$")
_MARGIN_NUMBER = re.compile(r"^\s*\(?\d{1,2}\)\s*$")
_INITIALS_START = re.compile(r"(?:[A-Z]\.\s?)+[A-Z]")
_DIGIT = re.compile(r"\d")


def is_salutation(s: str) -> bool:
    """``Comrades,`` / ``Dear Mr. Smith:`` / ``Dear comrades,`` / ``Gentlemen:``: a short line
    of capitalised words (or ``Dear ...``) ending with a comma or colon, no digits, not a
    valediction (``Yours,``) nor a name with initials (``N. Smirnov,``)."""
    t = clean(s)
    if _INITIALS_START.match(t):
        return False  # "N. Krylenko," opens a signature
    return bool(_SALUTATION.match(t)) and not _DIGIT.search(t) and not _VALEDICTION.search(t)


def is_run_in_subheading(s: str) -> bool:
    """A short line of capitalised words without final punctuation (``World Needs Our
    Goods``): a subheading when it closes a block after a sentence end."""
    t = clean(s)
    words = t.split()
    if not 2 <= len(words) <= 8 or len(t) > 60 or re.search(r"[.,;:!?]$|\d", t):
        return False
    return all(w[0].isupper() for w in words if len(w) >= 4) and words[0][0].isupper()


# --- 3. block kinds ------------------------------------------------------------------------

FRONT_WORDS = re.compile(r"^(?:Preface|Foreword|Introduction|From the Publishers?|Publisher’s Note|Editor’s Note|Introductory Note)$", re.I)
NOTES_WORDS = re.compile(r"^(?:Notes|Endnotes|Editor’s Notes|Notes and References|Explanatory Notes)$", re.I)
_ED_NOTE = re.compile(r"[—-]\s*Ed\.?\)?\s*$")
_STAR_NOTE = re.compile(r"^\s*([*§]{1,3})\s*(?=\S)")


def block_text(b: Block) -> str:
    return clean(" ".join(b.prepared))


def is_source_note(b: Block) -> bool:
    """A source note: opens like one (``Written on``, ``Published in``, ``Pravda No. 171``,
    ``Collected Works, Vol. 26``) and cites something (a volume, pages, an issue number)."""
    return bool(SN_START.match(b.prepared[0])) and any(SN_STRONG.search(s) for s in b.prepared)


def is_editor_footnote(b: Block) -> bool:
    """A block of editor's footnote lines, each ending ``—Ed.``."""
    return all(_ED_NOTE.search(s) for s in b.prepared) and len(b.lines) <= 4


def is_star_footnote(b: Block) -> bool:
    return bool(_STAR_NOTE.match(b.prepared[0]))


def title_like(b: Block) -> bool:
    """Short lines, no sentence ending (a date line may close it), a capital start."""
    if not 1 <= len(b.lines) <= 7:
        return False
    first = clean(b.prepared[0])
    if not first or not (first[0].isupper() or first[0] in "“\""):
        return False
    for s in b.prepared:
        t = clean(s)
        if len(t) > 75:
            return False
        if _SENT_END.search(t) and not is_date_line(t) and not re.search(r"\b[A-Z]\.\)?$|\([A-Z]\.\)$", t):
            return False
    return True


def is_caps_line(s: str) -> bool:
    """A line in capitals (a stray lower-case letter from the OCR allowed)."""
    letters = re.findall(r"[^\W\d_]", s)
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


# --- dates ---------------------------------------------------------------------------------

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11, "XII": 12}
_ROMAN_DATE = re.compile(r"\b(\d{1,2})\s*\.\s*(X{0,1}I{1,3}|IV|VI{0,3}|IX|X|XI{1,2})\s*\.\s*(1[6-9]\d\d)\b")
_OR_DATE = re.compile(rf"\b({MONTH})\s+(\d{{1,2}})\s+or\s+(\d{{1,2}})\s*,?\s*(1[6-9]\d\d)\b")


@dataclass(frozen=True)
class WDate:
    date: dt.date
    precision: str
    old_style: dt.date | None
    text: str
    start: int
    end: int


@lru_cache(maxsize=65536)
def writing_date(s: str) -> WDate | None:
    """The first date in ``s``: the forms of ``pipelines.parsing.dates.find_dates``, plus
    ``14. III. 1922`` (Roman month) and ``May 15 or 16, 1922`` (month precision)."""
    found: list[WDate] = []
    for p in find_dates(s):
        found.append(WDate(p.date, p.precision, p.old_style, p.text, p.start, p.end))
    for m in _ROMAN_DATE.finditer(s):
        try:
            d = dt.date(int(m.group(3)), _ROMAN[m.group(2)], int(m.group(1)))
        except ValueError:
            continue
        found.append(WDate(d, "day", None, m.group(0), m.start(), m.end()))
    for m in _OR_DATE.finditer(s):
        d = dt.date(int(m.group(4)), MONTHS[m.group(1).rstrip(".").lower()], 1)
        found = [f for f in found if not (f.start < m.end() and m.start() < f.end)]
        found.append(WDate(d, "month", None, m.group(0), m.start(), m.end()))
    if not found:
        return None
    return min(found, key=lambda f: f.start)


# --- kinds, authors ------------------------------------------------------------------------

KIND_WORDS = [
    (r"\bDecrees?\b|\bResolution\b|\bDecision\b", "decree"),
    (r"\bTelegrams?\b|\bWireless\b|\bRadiogram\b|\bCable\b", "telegram"),
    (r"\bLetters?\b|\bMessage to\b|\bNote to\b", "letter"),
    (r"\bInterview\b|\bAnswers?\b|\bReply\b|\bReplies\b|\bQuestions\b", "interview"),
    (r"\bReports?\b", "report"),
    (r"\bSpeech(?:es)?\b|\bAddress\b|\bRemarks\b", "speech"),
    (r"\bArticle\b", "article"),
    (r"\bStatement\b|\bDeclaration\b|\bAppeal\b|\bManifesto\b", "statement"),
    (r"\bNotes?\b|\bMemorandum\b", "note"),
]


_KIND_RX = [(re.compile(rx, re.I), kind) for rx, kind in KIND_WORDS]


def kind_from_title(title: str | None, subtitle: str | None = None) -> str:
    """The kind of writing from the first kind word in its title (``Concluding Speech ...
    on the Report`` is a speech), then in its subtitle (``FROM A SPEECH DELIVERED ...``);
    a title addressed ``To the ...`` is a letter; else ``other``."""
    for text in (title, subtitle):
        if not text:
            continue
        best = None
        for rx, kind in _KIND_RX:
            m = rx.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), kind)
        if best:
            return best[1]
    if title and re.match(r"^To\s+(?:the\s+)?[A-Z]", title):
        return "letter"
    return "other"


# --- markers ---------------------------------------------------------------------------------

# a digit glued to a word or punctuation: (?<=[A-Za-z.,;:)’”»\]])([1-9]\d?)..., written with the
# digit first and the look-behind after it (a pattern opening with a character class is
# searched for several times faster than one opening with a look-behind)
_MARKER = re.compile(r"([1-9](?<=[A-Za-z.,;:)’”»\]][1-9])\d?)(?=[\s.,;:)’”]|$)(?!\s\d)")
_STAR_MARK = re.compile(r"(?<=[\w.,;:!?)’”])(\*{1,3})(?=\s|$)")


# --- the parser ------------------------------------------------------------------------------


@dataclass
class Writing:
    blocks: list[Block]
    kind: str = "writing"  # writing / front / notes / title / chapter
    head: int = 0  # chapter: how many of its blocks are the heading (label, title)


class _Builder:
    def __init__(self, text: str):
        self.text = text
        self.lines = split_lines(text)
        self.vocab = Vocabulary.from_text(text)
        self.info = classify_lines(self.lines)
        self.prepared = [self.prepare(ln.text) if li.kind == "content" else ln.text for ln, li in zip(self.lines, self.info)]
        self.out = ParsedSource(format=FORMAT)
        self.marks: dict[int, list[tuple[int, int, str]]] = {}  # line number -> [(start, end, tag)]
        self.para_lines: list[list[Line]] = []  # raw lines of each paragraph
        self.para_markers: list[list[str]] = []  # marker tags of each paragraph, in order
        # a line end without its space is a word broken by the OCR only where wrapped lines
        # keep one (scans of this kind); where (almost) none does (a HathiTrust page dump),
        # every line end is unspaced and says nothing
        content = [ln.text for ln, li in zip(self.lines, self.info) if li.kind == "content"]
        self.glue = sum(1 for t in content if t.endswith((" ", "\t"))) > 0.05 * len(content)

    def prepare(self, raw: str) -> str:
        trail = " " if raw[len(raw.rstrip()):] else ""
        s = repair_ocr(strip_debris(raw))
        s = repair_spacing(s, self.vocab)
        return s.rstrip() + trail if s.strip() else s


def parse(text: str) -> ParsedSource:
    b = _Builder(text)
    out = b.out
    root = out.add_doc(Doc(kind="book", char_start=0, char_end=len(text)))
    anchors: list[Anchor] = []
    for ln, li in zip(b.lines, b.info):
        if li.kind in ("page_number", "running_header", "ocr_noise"):
            a, e = ln.span()
            out.discards.append(Discard(a, e, li.kind))
        if li.page is not None:
            # a bare number closes its page (foot); a running head carrying it opens it (top)
            anchors.append(Anchor(ln.number, li.page + (0.99 if li.kind == "page_number" else 0.0)))

    blocks = make_blocks(b.lines, b.info, b.prepared)
    for blk in blocks:
        if is_source_note(blk):
            blk.kind = "source_note"
        elif is_star_footnote(blk):
            blk.kind = "footnote"
        elif is_editor_footnote(blk):
            blk.kind = "ed_footnote"
    parts = segment(blocks)
    b.breaks = [w.blocks[0].lines[0].number for w in parts if w.kind == "chapter"]

    pending_notes: list[tuple[int, int, Block]] = []  # star footnotes: (doc, para-count at that time, block)
    notes_doc = None
    notes_blocks: list[Block] = []
    writings: list[tuple[int, Writing]] = []
    book_title = None
    for w in parts:
        if w.kind == "notes":
            head = w.blocks[0]
            notes_doc = out.add_doc(Doc(kind="notes", char_start=head.start, char_end=w.blocks[-1].end, parent=root, title=block_text(head)))
            _add_para(b, notes_doc, "heading", head.lines)
            notes_blocks = w.blocks[1:]
            continue
        if w.kind == "title":
            book_title = block_text(w.blocks[0])
            _add_para(b, root, "heading", w.blocks[0].lines)
            continue
        if w.kind == "chapter":
            _emit_chapter(b, w, root, pending_notes)
            continue
        d = _emit_writing(b, w, root, pending_notes)
        writings.append((d, w))
    out.title = book_title
    out.docs[root].title = book_title
    _default_authors(out, [d for d, _ in writings], {d for d, signed in getattr(b, "signed", {}).items() if signed})

    # endnotes and markers
    endnotes = parse_endnotes(b, notes_blocks, notes_doc if notes_doc is not None else root)
    model = PageModel(anchors)
    cands = _marker_candidates(b, max((n for n, *_ in endnotes), default=0))
    spec = [(n, page) for n, page, *_ in endnotes]
    chosen = choose_markers(spec, cands, model)
    anchors2 = anchors + [Anchor(c.line, page + 0.5) for (n, page, *_), c in ((e, chosen.get(e[0])) for e in endnotes) if c is not None and page is not None]
    model = PageModel(anchors2)
    chosen = choose_markers(spec, cands, model)
    for c in chosen.values():
        line, start, end, pi = c.key
        b.marks.setdefault(line, []).append((start, end, f"e{c.number}"))
    _finish_paras(b, model, pending_notes)

    para_of_tag: dict[str, tuple[int, int]] = {}
    for pi, tags in enumerate(b.para_markers):
        for k, tag in enumerate(tags):
            para_of_tag[tag] = (pi, k)
    note_index: dict[int, int] = {}
    refs: list[tuple[int, int]] = []
    for n, _page, start, end, txt in endnotes:
        tag = f"e{n}"
        para = anchor = None
        doc = notes_doc if notes_doc is not None else root
        if tag in para_of_tag:
            para, k = para_of_tag[tag]
            anchor = b.para_anchors[para][k]
            doc = out.paras[para].doc
        idx = out.add_note(Note(doc=doc, kind="endnote", text=txt, char_start=start, char_end=end, para=para, marker=str(n), anchor_char=anchor))
        note_index[n] = idx
        m = re.search(r"\b[Ss]ee\s+Note\s+(\d+)", txt)
        if m:
            refs.append((idx, int(m.group(1))))
    for idx, target in refs:
        if target in note_index:
            out.notes[idx].refers_to = note_index[target]

    return out


# --- segmentation --------------------------------------------------------------------------


def segment(blocks: list[Block]) -> list[Writing]:
    """Front matter, writings and the notes section. A writing starts
    - with the first block after a source note (and its editor's footnotes), or
    - with a title-like block after a page gap (3+ blank lines or a page-number line) that is
      followed by a block of running text.
    The notes section starts at a lone ``Notes`` heading and runs to the end."""
    parts: list[Writing] = []
    cur: Writing | None = None
    after_sn = False
    skip_to = 0
    for i, blk in enumerate(blocks):
        if i < skip_to:
            continue
        txt = block_text(blk)
        if len(blk.lines) == 1 and NOTES_WORDS.match(txt):
            parts.append(Writing(blocks[i:], "notes"))
            return parts
        head = chapter_opening(blocks, i)
        if head:
            cur = Writing(blocks[i : i + head], "chapter", head)
            parts.append(cur)
            skip_to = i + head
            after_sn = False
            continue
        if cur is None:
            if len(blk.lines) == 1 and FRONT_WORDS.match(txt):
                cur = Writing([blk], "front")
                parts.append(cur)
                continue
            if title_like(blk) and i + 1 < len(blocks) and title_like(blocks[i + 1]) and not _writing_heading_follows(blocks, i):
                parts.append(Writing([blk], "title"))
                continue
            cur = Writing([blk])
            parts.append(cur)
            after_sn = blk.kind == "source_note"
            continue
        starts = False
        if blk.kind in ("source_note", "ed_footnote", "footnote"):
            starts = False
        elif after_sn:
            starts = True
        elif blk.gap >= 3 and title_like(blk) and _has_body(cur) and _text_follows(blocks, i):
            starts = True
        if starts:
            cur = Writing([blk])
            parts.append(cur)
        else:
            cur.blocks.append(blk)
        if blk.kind == "source_note":
            after_sn = True
        elif blk.kind != "ed_footnote":
            after_sn = False
    return parts


def chapter_opening(blocks: list[Block], i: int) -> int:
    """Block ``i`` opens a chapter: it starts the file or follows a blank line or page
    furniture, its first line is a chapter label (``CHAPTER III``, ``PART TWO``, ``BOOK I:
    THE WAR``) and any further lines are a short title; when the label stands alone, a
    following short title-like block (at most 3 lines, no label) is the chapter's title. Some
    block must follow the heading, and it must not be another label (a table of contents).
    Returns the number of heading blocks (1 or 2), 0 when block ``i`` opens no chapter."""
    blk = blocks[i]
    if not (i == 0 or blk.gap >= 1 or blk.sep) or len(blk.lines) > 3:
        return 0
    label = chapter_label(blk.prepared[0])
    if label is None:
        return 0
    if len(blk.lines) > 1 and not title_like(Block(blk.lines[1:], prepared=blk.prepared[1:])):
        return 0
    head = 1
    if len(blk.lines) == 1 and label[2] is None and i + 1 < len(blocks):
        nxt = blocks[i + 1]
        if nxt.kind == "text" and len(nxt.lines) <= 3 and title_like(nxt) and chapter_label(nxt.prepared[0]) is None:
            head = 2
    if i + head >= len(blocks) or chapter_label(blocks[i + head].prepared[0]) is not None:
        return 0
    return head


def _has_body(w: Writing) -> bool:
    """The writing so far holds running text (not only its heading blocks)."""
    return any(blk.kind == "text" and not title_like(blk) for blk in w.blocks[1:])


def _text_follows(blocks: list[Block], i: int) -> bool:
    for blk in blocks[i + 1 : i + 4]:
        if blk.kind != "text":
            continue
        if not title_like(blk) or len(blk.lines) > 2:
            return True
        if is_date_line(blk.prepared[0]) or all(is_caps_line(s) for s in blk.prepared):
            continue
        return True
    return False


def _writing_heading_follows(blocks: list[Block], i: int) -> bool:
    return False


# --- writings --------------------------------------------------------------------------------


def _add_para(b: _Builder, doc: int, kind: str, lines: list[Line]) -> int:
    """Register a paragraph from raw lines; its text is made in ``_finish_paras`` (after the
    endnote markers are known)."""
    start, end = lines[0].span()[0], lines[-1].span()[1]
    idx = b.out.add_para(Para(doc=doc, kind=kind, text="", char_start=start, char_end=end))
    b.para_lines.append(lines)
    return idx


def _heading_area(w: Writing) -> tuple[list[Line], list[Line], Line | None, list[Line], int]:
    """→ (title lines, subtitle lines, date line, body lines left in the last heading block,
    index of the first body block)."""
    title: list[Line] = []
    sub: list[Line] = []
    date_line: Line | None = None
    rest: list[Line] = []
    i = 0
    first = w.blocks[0]
    for k, (ln, s) in enumerate(zip(first.lines, first.prepared)):
        if is_date_line(s) and title:
            date_line = ln
            rest = first.lines[k + 1 :]
            break
        title.append(ln)
    # a closing run of capitals lines is a subtitle when it opens with FROM or has 2+ lines
    # ("FROM A SPEECH DELIVERED ...", the addressees of a message); one capitals line
    # continues the title ("... of the American Newspaper / THE WORLD")
    j = len(title)
    while j > 1 and is_caps_line(w.blocks[0].prepared[j - 1]):
        j -= 1
    caps = title[j:]
    if caps and (len(caps) >= 2 or re.match(r"^\s*FROM\b", w.blocks[0].prepared[j])):
        title, sub = title[:j], caps
    i = 1
    if date_line is None and not rest:
        while i < len(w.blocks) and i <= 3:
            blk = w.blocks[i]
            if blk.kind != "text":
                break
            if len(blk.lines) == 1 and is_date_line(blk.prepared[0]):
                date_line = blk.lines[0]
                i += 1
                break
            if all(is_caps_line(s) for s in blk.prepared) and len(blk.lines) <= 4:
                if is_date_line(blk.prepared[-1]):
                    sub.extend(blk.lines[:-1])
                    date_line = blk.lines[-1]
                    i += 1
                    break
                sub.extend(blk.lines)
                i += 1
                continue
            if is_date_line(blk.prepared[0]) and len(blk.lines) > 1:
                date_line = blk.lines[0]
                rest = blk.lines[1:]
                i += 1
            break
    return title, sub, date_line, rest, i


def _emit_chapter(b: _Builder, w: Writing, root: int, pending_notes: list) -> int:
    """A chapter: its label and title as heading paragraphs, the title (else the label) as
    the document's title, the rest as body; source notes in it become its provenance."""
    out = b.out
    label_blk = w.blocks[0]
    d = out.add_doc(Doc(kind="chapter", char_start=label_blk.start, char_end=w.blocks[-1].end, parent=root))
    _add_para(b, d, "heading", label_blk.lines[:1])
    label = chapter_label(label_blk.prepared[0])
    title_lines = label_blk.lines[1:] or (w.blocks[1].lines if w.head == 2 else [])
    if title_lines:
        tp = _add_para(b, d, "heading", title_lines)
        b.doc_title_para = getattr(b, "doc_title_para", {})
        b.doc_title_para[d] = tp
        title = clean(" ".join(b.prepared[ln.number - 1] for ln in title_lines))
    else:
        title = clean(label[2] if label and label[2] else label_blk.prepared[0])
    out.docs[d].title = _MARKER.sub("", title).strip()
    body = w.blocks[w.head :]
    sn_blocks = [blk for blk in body if blk.kind == "source_note"]
    _emit_body(b, d, [blk for blk in body if blk.kind != "source_note"], pending_notes)
    if sn_blocks:
        lines = [ln for blk in sn_blocks for ln in blk.lines]
        provenance = source_note_text([b.prepared[ln.number - 1] for ln in lines])
        out.add_note(Note(doc=d, kind="source_note", text=provenance, char_start=sn_blocks[0].start, char_end=sn_blocks[-1].end))
        out.docs[d].provenance = provenance
    return d


_NAME_LINE = re.compile(r"^(?:[A-Z][a-z]?\s?\.\s?){1,3}\s?[A-Z][a-z’'-]+|\b[A-Z][a-z]+\s+[A-Z][a-z]+$|^[A-Z][a-z]+$|\([A-Z]\.\s?[A-Z][a-z]+\)")
_VALEDICTION = re.compile(r"\b(?:Yours|greetings|[Tt]hanks|[Ss]incerely|[Rr]espectfully|[Rr]egards)\b")


_ENDS_SENTENCE = re.compile(r"[a-z]{2,}[.!?:][”\"’)]?[*\d]{0,2}\s*$")


def _short_block(blk: Block) -> bool:
    return len(blk.lines) <= 4 and all(len(clean(s)) <= 60 for s in blk.prepared) and not any(
        _ENDS_SENTENCE.search(clean(s)) for s in blk.prepared
    )


def _signature_like(blk: Block, trailing: bool) -> bool:
    texts = [clean(s) for s in blk.prepared]
    if any(_VALEDICTION.search(t) for t in texts):
        return True
    names = [t for t in texts if len(t.split()) <= 5 and not t.endswith(":")]
    if any(known_author(t) for t in names):
        return True
    if any(re.match(r"^(?:[A-Z][a-z]?\s?\.\s?){1,3}\s?[A-Z][a-z’'-]+", t) for t in names):
        return True
    return trailing and any(_NAME_LINE.search(t) for t in names) and all(len(t) <= 40 for t in texts)


def _emit_writing(b: _Builder, w: Writing, root: int, pending_notes: list) -> int:
    out = b.out
    start = w.blocks[0].start
    end = w.blocks[-1].end
    if w.kind == "front":
        head = w.blocks[0]
        d = out.add_doc(Doc(kind="introduction", char_start=start, char_end=end, parent=root, title=block_text(head)))
        _add_para(b, d, "heading", head.lines)
        _emit_body(b, d, w.blocks[1:], pending_notes)
        return d
    title_lines, sub_lines, date_line, rest, first_body = _heading_area(w)
    d = out.add_doc(Doc(kind="other", char_start=start, char_end=end, parent=root))
    title_para = _add_para(b, d, "heading", title_lines)
    b.doc_title_para = getattr(b, "doc_title_para", {})
    b.doc_title_para[d] = title_para
    sub_text = None
    if sub_lines:
        _add_para(b, d, "heading", sub_lines)
        sub_text = clean(" ".join(b.prepared[ln.number - 1] for ln in sub_lines))
    date = None
    if date_line is not None:
        _add_para(b, d, "editorial", [date_line])
        date = writing_date(clean(b.prepared[date_line.number - 1]))
    body = w.blocks[first_body:]
    if rest:
        body = [Block(rest, 0, False, "text", [b.prepared[ln.number - 1] for ln in rest])] + body
    sn_blocks = [blk for blk in body if blk.kind == "source_note"]
    sig_dates, sig_texts = _emit_body(b, d, [blk for blk in body if blk.kind != "source_note"], pending_notes)
    doc = out.docs[d]
    title_raw = clean(" ".join(b.prepared[ln.number - 1] for ln in title_lines))
    doc.title = _MARKER.sub("", title_raw).strip()
    doc.kind = kind_from_title(doc.title, sub_text)
    provenance = None
    if sn_blocks:
        lines = [ln for blk in sn_blocks for ln in blk.lines]
        provenance = source_note_text([b.prepared[ln.number - 1] for ln in lines])
        out.add_note(Note(doc=d, kind="source_note", text=provenance, char_start=sn_blocks[0].start, char_end=sn_blocks[-1].end))
        doc.provenance = provenance
    if date is None and sig_dates:
        date = sig_dates[0]
    if date is None and provenance:
        m = re.search(r"W\s?ritten\s+(?:on|in)\s+(.*)", provenance)
        date = writing_date(m.group(1)) if m else None
        if date is None:
            date = writing_date(provenance)
    if date is not None:
        doc.date, doc.date_precision, doc.date_old_style, doc.date_text = date.date, date.precision, date.old_style, date.text
    if date_line is not None:
        t = clean(b.prepared[date_line.number - 1])
        m = re.match(r"^([A-Z][a-z]+(?: [A-Z][a-z]+)?),\s", t)
        if m and not re.match(MONTH, m.group(1)):
            doc.place = m.group(1)
    author = None
    if re.search(r"\b(?:Lenin’s|Lenin's|from V\. I\. Lenin|by V\. I\. Lenin|by Lenin)\b", doc.title or ""):
        author = known_author("Lenin")
    if author is None:
        for t in sig_texts:
            author = known_author(t)
            if author:
                break
    doc.author = author
    b.signed = getattr(b, "signed", {})
    b.signed[d] = bool(sig_texts) and author is None and any(_NAME_LINE.search(t) for t in sig_texts)
    return d


def _emit_body(b: _Builder, d: int, blocks: list[Block], pending_notes: list) -> tuple[list[WDate], list[str]]:
    """Paragraphs of a document body; returns dates and texts of its signature blocks."""
    out = b.out
    # trailing run of short blocks (signatures, closing dates) before the source note
    content = [blk for blk in blocks if blk.kind == "text"]
    trailing: set[int] = set()
    for blk in reversed(content):
        if _short_block(blk):
            trailing.add(id(blk))
        else:
            break
    trailing_sig = any(_signature_like(blk, True) for blk in content if id(blk) in trailing)
    sig_dates: list[WDate] = []
    sig_texts: list[str] = []
    prev_text_para: int | None = None
    skip_to = 0
    for k, blk in enumerate(blocks):
        if k < skip_to:
            continue
        if blk.kind == "text" and prev_text_para is not None:
            run = margin_run(b, prev_text_para, blocks, k)
            if run:
                # marginal notes printed between the lines of a paragraph: a paragraph of
                # their own; the text around them stays one paragraph
                _add_para(b, d, "text", [ln for x in blocks[k:run] for ln in x.lines])
                skip_to = run
                continue
        if blk.kind == "footnote":
            pending_notes.append((d, len(out.paras), blk, None))
            continue
        if blk.kind == "ed_footnote":
            # one note per "—Ed." line, for the markers *, **, *** in turn
            for j, (ln, s) in enumerate(zip(blk.lines, blk.prepared)):
                pending_notes.append((d, len(out.paras), Block([ln], 0, False, "ed_footnote", [s]), j + 1))
            continue
        texts = [clean(s) for s in blk.prepared]
        is_trailing = id(blk) in trailing and trailing_sig
        if all(is_date_line(t) for t in texts) and len(texts) <= 2:
            _add_para(b, d, "editorial", blk.lines)
            wd = writing_date(texts[0])
            if wd and (is_trailing or k + 1 == len(blocks)):
                sig_dates.append(wd)
            prev_text_para = None
            continue
        if _short_block(blk) and (is_trailing or _signature_like(blk, False)) and not _is_subheading(blk, blocks, k):
            _add_para(b, d, "signature", blk.lines)
            sig_texts.extend(texts)
            for t in texts:
                if is_date_line(t):
                    wd = writing_date(t)
                    if wd:
                        sig_dates.append(wd)
            prev_text_para = None
            continue
        if _is_subheading(blk, blocks, k):
            _add_para(b, d, "heading", blk.lines)
            prev_text_para = None
            continue
        if prev_text_para is not None and _continues(b, prev_text_para, blk):
            ln0 = blk.lines[0].number - 1
            m = _MARGIN_LEAD.match(clean(b.prepared[ln0]))
            if _MARGIN_LINE.match(clean(b.prepared[ln0])):
                b.prepared[ln0] = ""  # the marginal number's line: not part of the sentence
            elif m:
                # a marginal note number printed into the line: not part of the sentence
                b.prepared[ln0] = _MARGIN_LEAD.sub("", b.prepared[ln0].lstrip(), count=1)
            lines = b.para_lines[prev_text_para] + blk.lines
            b.para_lines[prev_text_para] = lines
            out.paras[prev_text_para].char_end = blk.end
            continue
        prev_text_para = _add_para(b, d, "text", blk.lines)
    return sig_dates, sig_texts


def _is_subheading(blk: Block, blocks: list[Block], k: int) -> bool:
    """A one-line block, short, capitalised, without final punctuation, followed by text."""
    if len(blk.lines) != 1:
        return False
    t = clean(blk.prepared[0])
    if not t or len(t) > 60 or not (t[0].isupper() or t[0] in "“\"") or re.search(r"[.,;:!?]\s*$", t):
        return False
    if re.match(r"^\(?\d+[.)]", t) or is_date_line(t):
        return False
    nxt = next((x for x in blocks[k + 1 :] if x.kind == "text"), None)
    if nxt is None or _short_block(nxt):
        return False
    # the line runs on into the next block: no heading ("... plan of our" / "relations with")
    first = clean(nxt.prepared[0])
    return not (re.match(r"^[(\[“\"‘]?[a-z]", first) or _OPEN_END.search(t))


def _is_margin_fragment(blk: Block) -> bool:
    if len(blk.lines) != 1 or blk.kind != "text":
        return False
    t = clean(blk.prepared[0])
    return bool(_MARGIN_NUMBER.match(t)) or bool(re.fullmatch(r"[a-z][^\s]{0,14}", t))


def margin_run(b: _Builder, prev: int, blocks: list[Block], k: int) -> int | None:
    """Blocks ``k..j-1`` are marginal notes (``1)`` / ``true!`` / ``2)`` / ``precisely``,
    each a tiny one-line block, at least one a note number) standing between a paragraph
    that ends mid-sentence and block ``j`` that continues it. Returns ``j`` or None."""
    j = k
    while j < len(blocks) and _is_margin_fragment(blocks[j]):
        j += 1
    if j == k or j >= len(blocks):
        return None
    if not any(_MARGIN_NUMBER.match(clean(x.prepared[0])) for x in blocks[k:j]):
        return None
    return j if _continues(b, prev, blocks[j]) else None


_STOPS = re.compile(r"[.!?:][”\"’)]*$")


def _continues(b: _Builder, prev: int, blk: Block) -> bool:
    """A block continues the previous paragraph across a page break or a displaced blank
    line: the paragraph ends mid-sentence and the block starts in lower case."""
    last = clean(b.prepared[b.para_lines[prev][-1].number - 1])
    first = clean(blk.prepared[0])
    if not last or not first:
        return False
    if _STOPS.search(last):
        return False
    if _MARGIN_LINE.match(first):
        # "in which an" / "(5)" / "equal number of ...": a marginal number on a line of its own
        return len(blk.lines) > 1 and bool(re.match(r"^[a-z]", clean(blk.prepared[1])))
    if _MARGIN_LEAD.match(first):
        return True  # "... the principle of" / "3) non-intervention on the part of ..."
    if first[0].islower() or re.match(r"^[(\[“\"‘][a-z]", first):
        return True  # "... in my letter to the workers" / "(dated August 20th) I exposed"
    if last.endswith("-") and first[0].isalpha():
        return True
    # a paragraph cannot end on a function word: "... peace with Serbia and" / "Lithuania ..."
    return bool(_OPEN_END.search(last)) and first[0].isupper()


_MARGIN_LINE = re.compile(r"^\(?\d{1,2}\)+(?:\s+(?:[^\s\w]{1,2}|\d))*\s*$")  # "(5)", "(6) 1 ~"
_MARGIN_LEAD = re.compile(r"^\(?\d{1,2}\)+\s+(?=[a-z])")
_OPEN_END = re.compile(r"\b(?:and|or|nor|but|of|the|a|an|to|in|on|at|by|for|from|with|into|that|which|whose|than|as|its|their|our|his|her)[,]?$", re.I)


# --- paragraphs' text ------------------------------------------------------------------------


def _finish_paras(b: _Builder, model: PageModel, pending_notes: list) -> None:
    """Make every paragraph's clean text (markers replaced by MARK, then taken out), its page,
    and link the star footnotes to their markers."""
    out = b.out
    # star footnote markers: the nearest unpaired `*` before the note in the same document
    star_links: dict[int, tuple[int, int]] = {}  # pending index -> (line, start)
    used: set[tuple[int, int]] = set()
    for j, (d, npara, blk, order) in enumerate(pending_notes):
        stars = _STAR_NOTE.match(blk.prepared[0])
        want = len(stars.group(1)) if stars else order
        best = None
        for pi in range(npara - 1, -1, -1):
            if out.paras[pi].doc != d:
                break
            for ln in reversed(b.para_lines[pi]):
                for m in reversed(list(_STAR_MARK.finditer(ln.text))):
                    key = (ln.number, m.start())
                    if key in used:
                        continue
                    if want is not None and len(m.group(1)) != want:
                        continue
                    best = (ln.number, m.start(), m.end())
                    break
                if best:
                    break
            if best:
                break
        if best:
            used.add(best[:2])
            b.marks.setdefault(best[0], []).append((best[1], best[2], f"s{j}"))
            star_links[j] = best[:2]
    b.para_anchors = []
    b.para_markers = []
    signals = [Signal(ln.number, li.page, "foot" if li.kind == "page_number" else "head") for ln, li in zip(b.lines, b.info) if li.page is not None]
    exact = page_runs(signals, getattr(b, "breaks", []), page_length(signals))
    for pi, lines in enumerate(b.para_lines):
        pieces, tags = [], []
        for ln in lines:
            s = ln.text
            marks = sorted(b.marks.get(ln.number, []), reverse=True)
            for start, end, _tag in marks:
                s = s[:start] + MARK + s[end:]
            tags.extend(tag for _s, _e, tag in sorted(b.marks.get(ln.number, [])))
            pieces.append(b.prepare(s) if marks else b.prepared[ln.number - 1])
        body = repair_split_capitals(reflow(pieces, b.vocab, glue_unspaced=b.glue), b.vocab)
        body = repair_debris(body, b.vocab)
        if out.paras[pi].kind == "heading":
            body = repair_caps_heading(body, b.vocab)
        txt, offsets = take_marks(body)
        p = out.paras[pi]
        p.text = txt
        printed = printed_page_before(b.lines, b.info, lines[0].number)
        if printed is None:
            printed = exact.get(lines[0].number)
        if printed is not None:
            p.page, p.page_estimated = printed, False
        else:
            p.page = model.page(lines[0].number)
            p.page_estimated = True if p.page is not None else None
        b.para_anchors.append(offsets)
        b.para_markers.append(tags)
    tag_pos = {}
    for pi, tags in enumerate(b.para_markers):
        for k, tag in enumerate(tags):
            tag_pos[tag] = (pi, b.para_anchors[pi][k] if k < len(b.para_anchors[pi]) else None)
    for j, (d, _npara, blk, order) in enumerate(pending_notes):
        txt = clean(reflow(blk.prepared, b.vocab, glue_unspaced=b.glue))
        star = _STAR_NOTE.match(txt)
        if star:
            txt = txt[: star.end()] + repair_debris(txt[star.end() :], b.vocab)
        marker = star.group(1) if star else "*" * (order or 1)
        txt = _STAR_NOTE.sub("", txt)
        para = anchor = None
        if f"s{j}" in tag_pos:
            para, anchor = tag_pos[f"s{j}"]
        out.add_note(Note(doc=d, kind="footnote", text=txt, char_start=blk.start, char_end=blk.end, para=para, marker=marker, anchor_char=anchor))
    # titles without markers
    for d, pi in getattr(b, "doc_title_para", {}).items():
        if out.docs[d].title is not None:
            out.docs[d].title = out.paras[pi].text or out.docs[d].title


def printed_page_before(lines: list[Line], info: list[LineInfo], number: int) -> int | None:
    """The printed page of a paragraph whose first raw line (``number``, 1-based) comes right
    after a surviving page number (only blank or debris lines between): a bare number or one
    with a signature mark closes the page above (foot of page), so the paragraph opens page
    ``n + 1``; a running head carrying the number opens page ``n``. None otherwise."""
    i = number - 2
    while i >= 0 and info[i].kind in ("blank", "ocr_noise"):
        i -= 1
    if i < 0 or info[i].page is None:
        return None
    return info[i].page + 1 if info[i].kind == "page_number" else info[i].page


def _marker_candidates(b: _Builder, max_n: int) -> list[Candidate]:
    """Digits glued to a word or punctuation in paragraph lines (``Deputies1``,
    ``March 14,2``, ``talks7``), numbered at most ``max_n``."""
    cands = []
    for pi, lines in enumerate(b.para_lines):
        if b.out.paras[pi].kind == "editorial":
            continue
        for ln in lines:
            for m in _MARKER.finditer(ln.text):
                n = int(m.group(1))
                if n > max_n:
                    continue
                cands.append(Candidate(n, ln.number, ln.start + m.start(), key=(ln.number, m.start(), m.end(), pi)))
    return cands


# --- endnotes --------------------------------------------------------------------------------

_NOTE_START = re.compile(r"^\s*(\d{1,3})\s+(?=\S)")
_BACKREF = re.compile(r"\s*\bp\.\s*([\dIl| ]{1,9}?)\s*$")


def backref_page(s: str) -> tuple[int | None, str]:
    """``... in 1859. p. I l l`` → (111, text without the back-reference)."""
    m = _BACKREF.search(s)
    if not m:
        return None, s
    digits = re.sub(r"\s", "", m.group(1)).translate(str.maketrans("Il|", "111"))
    if not digits.isdigit():
        return None, s
    return int(digits), s[: m.start()].rstrip(" '‘’")


def parse_endnotes(b: _Builder, blocks: list[Block], doc: int) -> list[tuple[int, int | None, int, int, str]]:
    """Numbered notes: a note starts at a line opening with the next expected number; lines
    and blocks without one continue it. → (number, back-referenced page, char_start,
    char_end, clean text)."""
    notes: list[tuple[int, list[Line]]] = []
    expected = 1
    for blk in blocks:
        for ln, s in zip(blk.lines, blk.prepared):
            m = _NOTE_START.match(s)
            if m and int(m.group(1)) == expected:
                notes.append((expected, [ln]))
                expected += 1
            elif notes:
                notes[-1][1].append(ln)
            else:
                notes.append((0, [ln]))
    out = []
    for n, lines in notes:
        pieces = [b.prepared[ln.number - 1] for ln in lines]
        if n:
            pieces[0] = _NOTE_START.sub("", pieces[0], count=1)
        txt = repair_split_capitals(reflow(pieces, b.vocab, glue_unspaced=b.glue), b.vocab)
        page, txt = backref_page(txt)
        txt = repair_debris(txt, b.vocab)
        if n == 0:
            # text before the first numbered note: keep it covered as an editorial paragraph
            _add_para(b, doc, "editorial", lines)
            continue
        out.append((n, page, lines[0].span()[0], lines[-1].span()[1], txt))
    return out


# --- source notes ----------------------------------------------------------------------------

_RIGHT_COL = re.compile(
    r"(Collected\s+[^\s,]{0,3}?o\s?r\s?k\s?s\w?\s*,?\s*Vol\.|(?<!\w)[Pp][Pp]?\s*[.'‘*]\s*[\d^*‘'IlM][^\s]*(?:\s[\w^]{1,3})*\s*$|(?<!\w)p\.\s*\d+\s*$)"
)
_SN_FIXES = [
    (re.compile(r"Collected\s+[^\s,]{0,3}?o\s?r\s?k\s?s\w?,?\s*(?=Vol)"), "Collected Works, "),
    (re.compile(r"(?<!\w)[Pp][Pp]\s*[.'‘*]\s*[*^]?"), "pp. "),
    (re.compile(r"(?<=\d)[‘']\s*(?=\d)"), "-"),
    (re.compile(r"(?<=Vol\. )S(?=\d)"), "3"),
    (re.compile(r"W ritten"), "Written"),
]


def source_note_text(pieces: list[str]) -> str:
    """Clean text of a source note whose two printed columns the OCR interleaved line by
    line (``Written on ... Collected Works, Vol. 26,`` / ``Published in ... pp. 249-53``):
    the left column (where and when published) first, then the right (the Collected Works
    reference), each re-flowed."""
    left: list[str] = []
    right: list[str] = []
    for s in pieces:
        s = s.replace("*", " ") if re.search(r"\s\*\s*$", s) else s
        m = _RIGHT_COL.search(s)
        if m and right and not re.match(r"\s*Collected", m.group(0)) and any(re.search(r"\d", r) for r in right if "Vol" not in r):
            m = None  # the right column (volume, pages) is complete: a page number left is the left column's
        if m:
            if s[: m.start()].strip():
                left.append(s[: m.start()] + " ")
            right.append(s[m.start() :].rstrip() + " ")
        else:
            left.append(s)
    segs: list[list[str]] = []
    for s in left:
        opens = SN_START.match(s) and re.match(r"^\s*(?:W\s?ritten|First|Published|Short|Signed)", s)
        periodical = SN_START.match(s) and segs and re.search(r"\b1[6-9]\d\d\b", " ".join(segs[-1]))
        if not segs or opens or periodical:
            segs.append([s])
        else:
            segs[-1].append(s)
    texts = [reflow(seg, None, glue_unspaced=False) for seg in segs]
    if right:
        texts.append(reflow(right, None, glue_unspaced=False))
    out = []
    for t in texts:
        for rx, rep in _SN_FIXES:
            t = rx.sub(rep, t)
        t = clean(t).rstrip(" ,;")
        if t:
            out.append(t if t.endswith(".") else t + ".")
    return " ".join(out)


def _default_authors(out: ParsedSource, writing_docs: list[int], signed_other: set[int]) -> None:
    """A collection whose writings name one author (signatures, titles) and no other: the
    writings without an author of their own are taken to be by that author too."""
    docs = [d for d in writing_docs if out.docs[d].kind != "introduction"]
    authors = {out.docs[d].author for d in docs if out.docs[d].author}
    named = sum(1 for d in docs if out.docs[d].author)
    if len(authors) != 1 or named < 2:
        return
    main = authors.pop()
    for d in docs:
        if out.docs[d].author is None and d not in signed_other:
            out.docs[d].author = main
