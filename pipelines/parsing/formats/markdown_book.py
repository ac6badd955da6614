"""Books converted to Markdown-like text: title page, a contents table, chapters with
sections, footnotes printed after the paragraph or the page, a chronology, back matter.

The layout's rules, each a named function below:

- the contents is a Markdown table after a ``CONTENTS`` line (``contents_table``); its
  entries give the document tree and the page ranges, and each entry's heading is found in
  the text by matching heading-shaped blocks against the entry (``match_headings``), in any
  of the forms such books use: ``CHAPTER I`` + title, a title in capitals, bold titles over
  several lines, a ``(dates)`` line after the title;
- paragraphs are single long lines; a paragraph cut by a page break continues after a blank
  line, often after the page's footnotes, with a lower-case start or after an unfinished
  line (``continues_paragraph``): the halves are re-joined;
- footnotes: a block starting with a superscript number (``¹``, ``²¹⁻²²``), an asterisk, or
  a plain number continuing the numbering (``note_start``); markers in the text are
  superscripts, asterisks glued to a word, or a plain number after a closing quote; numbering
  restarts per chapter, so notes are keyed by (chapter, number); a note running onto the next
  page continues in an unmarked block standing where that page's notes stand
  (``is_note_continuation``);
- the chronology: year lines and ``- 6 *June*—...`` entries (``pipelines.parsing.chronology``).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from pipelines.parsing.chronology import LIST_PREFIX, entry_starts, split_entry, year_heading
from pipelines.parsing.contents_table import (
    CONTENTS_HEADING,
    TABLE_LINE,
    ContentsEntry,
    clean_title,
    entries_from_rows,
    heading_key,
    is_separator_row,
    key_match,
    parse_rows,
    split_row,
    strip_parenthetical,
)
from pipelines.parsing.records import Discard, Doc, Event, Note, Para, ParsedSource
from pipelines.parsing.text import (
    MARK,
    Line,
    Vocabulary,
    clean,
    collapse_spaces,
    emphasis_text,
    line_blocks,
    lower_words,
    normalize_chars,
    reflow,
    repair_inline_breaks,
    split_lines,
    take_marks,
)

FORMAT = "markdown_book"

SUP_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_INT = str.maketrans(SUP_DIGITS, "0123456789")
# (``[⁰-⁹]{1,3}`` written as one digit and up to two more: a pattern opening with a single
# character class is searched for much faster)
SUP_MARKER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]{0,2}(?:[⁻-][⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})?")
NOTE_SUP = re.compile(r"^\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}(?:[⁻-][⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})?)\s*(?=\S)")
NOTE_STAR = re.compile(r"^\s*(\*{1,3})\s+(?=[^\s*])")
NOTE_PLAIN = re.compile(r"^\s*(\d{1,3})\s+(?=\S)")
ORNAMENT = re.compile(r"^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,}|(?:•\s*){3,})$")
LIST_ITEM = re.compile(r"^\s*(?:[-+•]\s+|\d{1,2}[.)]\s+|\(\d{1,2}\)\s+|[a-z]\)\s+)")
LABEL_ONLY = re.compile(r"^\W*(?:chapter|part|book)\s+(?:[ivxlcdm]+|\d+)\W*$", re.I)
MD_HEADING = re.compile(r"^\s*(#{1,6})\s+\S")
PAREN_LINE = re.compile(r"^\s*\(.*\)\s*$")
_PLAIN_MARK = re.compile(r"([.,;:!?\"”’])\s?(\d{1,3})(?=\s+[A-Z(\"“]|\s*$)")
_PLAIN_MARK_END = re.compile(r"([.,;:!?\"”’])\s?\d{1,3}$")
_CITATION_SHAPE = re.compile(r"\b(?:Ibid|op\. cit|Vol\.|pp?\.|No\.)|\b1[89]\d\d\b")
_TERMINAL = ".!?:\"”’')…]"
_TOKEN = re.compile("\ue001([^\ue002]*)\ue002")
_MD_ESCAPE = re.compile(r"\\([\\`_{}\[\]()#+\-.!$|>])")
_STAR_MARKER = re.compile(r"(?<=[^\s*])\*{1,3}(?=[\s\ue001—–.,;:)]|$)")
# (\*\*?\*? is \*{1,3}: the same matches, and a pattern opening with a literal is searched faster)
_EMPH_PAIR = re.compile(r"(\*\*?\*?)(?=[^\s*])(.+?)(?<=[^\s*])\1")
_STRAY_STAR = re.compile(r"(?<=\S)\*+(?=[\W]|$)|(?<![\w*])\*+(?=\S)")
_STAR_EMPH = re.compile(r"(\*\*?\*?)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\1")
_UNDER_EMPH = re.compile(r"(?<![\w_])(_{1,2})(?=[^\s_])([^_\n]+?)(?<=[^\s_])\1(?![\w_])")
_WORD_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:-[A-Za-zÀ-ÖØ-öø-ÿ]+)*")


def md_plain(s: str) -> str:
    """Markdown emphasis (``*x*``, ``**x**``, ``***x***``, ``_x_``) removed, words kept: the
    same result as ``text.strip_markdown`` on this layout's text, in linear time."""
    if "*" in s:
        prev = None
        while prev != s and "*" in s:  # (without a "*" left, another pass changes nothing)
            prev, s = s, _STAR_EMPH.sub(emphasis_text, s)
    if "_" in s:
        s = _UNDER_EMPH.sub(emphasis_text, s)
    return s


def fast_vocabulary(text: str) -> Vocabulary:
    """``Vocabulary.from_text`` counted in bulk: every word of the text, less each line's
    first and last word (possible halves of a word broken across lines)."""
    norm = normalize_chars(text)
    counts = Counter(lower_words(norm))  # _WORD_TOKEN is text._TOKEN
    edges: list[str] = []
    for line in norm.split("\n"):
        head = line.split(None, 1)  # the first chunk, and whether there is more
        if not head:
            continue
        first = _WORD_TOKEN.findall(head[0])
        last = _WORD_TOKEN.findall(line.rsplit(None, 1)[-1]) if len(head) > 1 else first
        if first:
            edges.append(first[0].lower())
        if last and (len(head) > 1 or len(last) > 1):
            edges.append(last[-1].lower())
    counts.subtract(edges)
    return Vocabulary(+counts)


_RANGE_DASH = re.compile(r"[⁻-]")


def drop_sup(s: str) -> str:
    """``s`` without its superscript markers (an ASCII text has none)."""
    return s if s.isascii() else SUP_MARKER.sub("", s)


def sup_numbers(marker: str) -> list[int]:
    """``²¹⁻²²`` → [21, 22]; ``¹²`` → [12]; ``87`` → [87]."""
    parts = _RANGE_DASH.split(marker.translate(_SUP_TO_INT))
    nums = [int(p) for p in parts if p.isdigit()]
    if len(nums) == 2 and nums[0] < nums[1] <= nums[0] + 5:
        return list(range(nums[0], nums[1] + 1))
    return nums


# --- blocks ------------------------------------------------------------------------------


@dataclass
class Block:
    lines: list[Line]
    # the first and last lines' text, stripped: asked for often (the lines never change)
    first: str = field(init=False, repr=False, compare=False)
    last: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.first = self.lines[0].text.strip()
        self.last = self.lines[-1].text.strip()

    @property
    def start(self) -> int:
        return self.lines[0].span()[0]

    @property
    def end(self) -> int:
        return self.lines[-1].span()[1]

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


def is_heading_shaped(b: Block) -> bool:
    """Short block, at most six short lines, not a table, note, list item or quotation."""
    if len(b.lines) > 6 or sum(len(ln.text) for ln in b.lines) > 320:
        return False
    f = b.first
    if TABLE_LINE.match(f) or NOTE_SUP.match(f) or LIST_PREFIX.match(f) or f.startswith(">"):
        return False
    if f.startswith(('"', "“")) and (len(b.lines) > 1 or len(f) > 120):  # a quotation, not a title
        return False
    return any(ch.isalpha() for ch in f)


def is_caps_heading(b: Block) -> bool:
    """A heading-shaped block in capitals (``REQUEST TO READERS``)."""
    t = md_plain(b.text)
    letters = [c for c in t if c.isalpha()]
    return is_heading_shaped(b) and len(letters) >= 4 and all(c.isupper() for c in letters)


def continues_paragraph(prev: str, nxt: str) -> bool:
    """Is ``nxt`` (a block after a blank line, perhaps after footnotes) the rest of a
    paragraph whose text so far ends with ``prev``? Yes when ``nxt`` starts in lower case or
    ``prev`` stops without final punctuation (``...to preserve and`` / ``strengthen...``)."""
    p = drop_sup(prev[-40:]).rstrip(" *")
    if p[-1:].isdigit() or p.endswith("\n"):  # (where _PLAIN_MARK_END can match)
        p = _PLAIN_MARK_END.sub(r"\1", p)  # ...Holland" 87 (a plain-number footnote mark)
    n = nxt.lstrip(" *_")
    if not p or not n:
        return False
    if n[0].islower():
        return True
    if p.endswith("-") and not p.endswith("--"):
        return True
    return p[-1] not in _TERMINAL and (p[-1].isalnum() or p[-1] in ",;—–")


def note_start(b_first: str) -> str | None:
    """The marker a footnote line starts with (superscript or asterisk), else None."""
    m = NOTE_SUP.match(b_first)
    if m:
        return m.group(1)
    m = NOTE_STAR.match(b_first)
    if m and not ORNAMENT.match(b_first):
        return m.group(1)
    return None


def note_unfinished(text: str) -> bool:
    """A note's text that stops mid-sentence (``(henceforth CSHA``, ``the par-``)."""
    t = text.rstrip(" *_")
    return bool(t) and (t.endswith("-") or t[-1] not in ".)]!?\"”’'")


def is_note_continuation(prev_text_unfinished: bool, b: Block, nxt: Block | None, nxt_is_note: bool) -> bool:
    """An unmarked block standing where a page's notes stand, while the previous page's last
    note is unfinished: directly before the next marked notes, or between the two halves of
    a page-split paragraph (``...friend-`` / note rest / ``ship and...``)."""
    if nxt_is_note:
        return True
    return prev_text_unfinished and b.first[:1].islower() and nxt is not None and nxt.first[:1].islower()


# --- the parser --------------------------------------------------------------------------


@dataclass
class _Marker:
    marker: str
    numbers: list[int]
    scope: int
    para: int | None = None
    anchor: int | None = None
    pos: int = 0  # raw offset of the paragraph piece holding it (for nearest-marker choice)
    used: bool = False


@dataclass
class _NoteItem:
    marker: str
    numbers: list[int]
    scope: int
    doc: int
    pieces: list[tuple[str, int, int]] = field(default_factory=list)  # raw text, start, end


@dataclass
class _Heading:
    entry: int  # index into entries, -1 for a heading found by shape only
    blocks: list[int]  # block indexes of the heading group


class _Builder:
    def __init__(self, text: str):
        self.text = text
        self.lines = split_lines(text)
        self.blocks = [Block(b) for b in line_blocks(self.lines)]
        self.vocab = fast_vocabulary(text)
        self.out = ParsedSource(format=FORMAT)
        self.markers: list[_Marker] = []
        self.notes: list[_NoteItem] = []
        self.star_scopes: set[int] = set()
        self.plain_notes: dict[int, set[int]] = {}
        self.stats: dict[str, object] = {}

    # -- rendering pieces of raw text into clean text with marker anchors -------------------

    def _mark_sup(self, s: str, scope: int, pos: int, plain: set[int]) -> str:
        def sub(m: re.Match) -> str:
            self.markers.append(_Marker(m.group(0), sup_numbers(m.group(0)), scope, pos=pos))
            return f"\ue001{len(self.markers) - 1}\ue002"

        if not s.isascii():  # (superscript digits are not ASCII)
            s = SUP_MARKER.sub(sub, s)
        if plain:

            def sub_plain(m: re.Match) -> str:
                n = int(m.group(2))
                if n not in plain:
                    return m.group(0)
                self.markers.append(_Marker(m.group(2), [n], scope, pos=pos))
                return f"{m.group(1)}\ue001{len(self.markers) - 1}\ue002"

            s = _PLAIN_MARK.sub(sub_plain, s)
        return s

    def render(self, pieces: list[tuple[str, int]], scope: int | None) -> tuple[str, list[int]]:
        """Raw pieces (text, raw start) → clean text and the marker ids it holds, in order;
        each marker's anchor is stored on it once the paragraph index is known."""
        plain = self.plain_notes.get(scope, set()) if scope is not None else set()
        raw = [
            self._mark_sup(t, scope, pos, plain) if scope is not None else drop_sup(t)
            for t, pos in pieces
        ]
        s = reflow(raw, self.vocab)
        if "\\" in s:
            s = _MD_ESCAPE.sub(r"\1", s)
        if scope is not None and scope in self.star_scopes and "*" in s:
            pairs = [m.span() for m in _EMPH_PAIR.finditer(s)]

            def star(m: re.Match) -> str:
                if any(a <= m.start() < b for a, b in pairs):
                    return m.group(0)
                self.markers.append(_Marker(m.group(0), [], scope, pos=pieces[0][1]))
                return f"\ue001{len(self.markers) - 1}\ue002"

            s = _STAR_MARKER.sub(star, s)
        if "*" in s or "_" in s:
            s = md_plain(s)
        if "*" in s:
            s = _STRAY_STAR.sub("", s)
        s = collapse_spaces(s)
        if "- " in s:
            s = repair_inline_breaks(s, self.vocab)
        if "\ue001" not in s:
            return s, []
        ids = [int(m.group(1)) for m in _TOKEN.finditer(s)]
        s = _TOKEN.sub(MARK, s)
        s, offsets = take_marks(s)
        for i, off in zip(ids, offsets):
            self.markers[i].anchor = off
        return s, ids

    def add_para(
        self, doc: int, kind: str, pieces: list[tuple[str, int, int]], scope: int | None, page: int | None
    ) -> int | None:
        body, ids = self.render([(t, a) for t, a, _ in pieces], scope)
        if not body:
            return None
        idx = self.out.add_para(Para(doc, kind, body, pieces[0][1], pieces[-1][2], page))
        for i in ids:
            self.markers[i].para = idx
        return idx

    def discard(self, start: int, end: int, reason: str) -> None:
        if end > start:
            self.out.discards.append(Discard(start, end, reason))


def _line_piece(ln: Line, strip_prefix: re.Pattern | None = None) -> tuple[str, int, int]:
    a, b = ln.span()
    t = ln.text.strip()
    if strip_prefix is not None:
        m = strip_prefix.match(t)
        if m:
            t = t[m.end() :]
    return t, a, b


def find_contents(blocks: list[Block]) -> tuple[int, list[int]] | None:
    """The ``CONTENTS`` heading block and the table blocks after it."""
    for i, b in enumerate(blocks):
        if len(b.lines) == 1 and CONTENTS_HEADING.match(b.first):
            tables = []
            j = i + 1
            while j < len(blocks) and all(TABLE_LINE.match(ln.text) for ln in blocks[j].lines):
                tables.append(j)
                j += 1
            if tables:
                return i, tables
    return None


def match_headings(blocks: list[Block], entries: list[ContentsEntry], first: int) -> dict[int, _Heading]:
    """Each contents entry → the heading group that opens it in the text, searched in
    contents order from block ``first``. Returns {entry index: heading}."""
    found: dict[int, _Heading] = {}
    keys = [heading_key(b.text) if is_heading_shaped(b) else None for b in blocks]
    cursor = first
    for ei, e in enumerate(entries):
        ek, es = heading_key(e.title), heading_key(strip_parenthetical(e.title))
        if not ek:
            continue
        for i in range(cursor, len(blocks)):
            k = keys[i]
            if not k:
                continue
            how = key_match(k, ek, es)
            if not how:
                continue
            group = [i]
            acc = k
            j = i + 1
            while how == "prefix" and j < len(blocks) and keys[j]:
                nk = acc + keys[j]
                if ek.startswith(nk) or nk in (ek, es):
                    group.append(j)
                    acc = nk
                    how = "full" if nk in (ek, es) else "prefix"
                    j += 1
                else:
                    break
            if how == "prefix" and not (acc == es or (len(acc) >= 0.6 * len(ek) and ek.startswith(acc))):
                continue
            if i - 1 >= first and LABEL_ONLY.match(md_plain(blocks[i - 1].text)):
                group.insert(0, i - 1)
            nxt = group[-1] + 1
            if (
                nxt < len(blocks)
                and PAREN_LINE.match(md_plain(blocks[nxt].text))
                and len(blocks[nxt].lines) == 1
            ):
                group.append(nxt)
            found[ei] = _Heading(ei, group)
            cursor = group[-1] + 1
            break
    return found


def book_title(blocks: list[Block]) -> str | None:
    """The first block, with a following ``Volume I`` / ``1917-1945`` line or block."""
    if not blocks:
        return None
    parts = [clean(md_plain(blocks[0].text.replace("\n", " ")))]
    for b in blocks[1:3]:
        t = clean(md_plain(b.text))
        if re.match(r"^(?:volume|vol\.|part|book)\s+\S+$", t, re.I) or re.match(r"^\d{4}\s*[-–]\s*\d{4}$", t):
            parts.append(t)
        else:
            break
    return ", ".join(p for p in parts if p) or None


def parse(text: str) -> ParsedSource:
    """The layout parser: decoded text → records (see the module docstring)."""
    return parse_with_report(text)[0]


def parse_with_report(text: str) -> tuple[ParsedSource, dict]:
    """``parse`` plus figures for quality checks: contents entries, entries whose heading
    was not found, notes, markers, markers left without a note, page-model agreement."""
    bld = _Builder(text)
    blocks, out = bld.blocks, bld.out
    title = book_title(blocks)
    out.title = title
    root = out.add_doc(Doc(kind="book", char_start=0, char_end=len(text.rstrip()), title=title))
    if not blocks:
        return out, bld.stats

    contents = find_contents(blocks)
    entries: list[ContentsEntry] = []
    body_first = 0
    # (block index where a doc starts, doc index)
    starts: list[tuple[int, int]] = []
    headings: dict[int, int] = {}  # block index → doc it heads
    contents_doc = None
    if contents is not None:
        ci, tables = contents
        if ci > 0:
            fm = out.add_doc(
                Doc("front_matter", blocks[0].start, blocks[ci - 1].end, root, title="Front matter")
            )
            starts.append((0, fm))
        contents_doc = out.add_doc(
            Doc("contents", blocks[ci].start, blocks[tables[-1]].end, root, title=clean(blocks[ci].first))
        )
        starts.append((ci, contents_doc))
        table_lines = [(ln.text, *ln.span()) for t in tables for ln in blocks[t].lines]
        rows, layout = parse_rows(table_lines)
        entries = entries_from_rows(rows)
        body_first = tables[-1] + 1
        out.add_para(
            Para(contents_doc, "heading", clean(md_plain(blocks[ci].first)), *blocks[ci].lines[0].span())
        )
        for a, b in layout:
            bld.discard(a, b, "boilerplate")
        for row in rows:
            cells = [clean_title(row.cells[0])] + [clean(md_plain(c)) for c in row.cells[1:]]
            cells = [c for c in cells if c]
            out.add_para(
                Para(contents_doc, "table_row", " | ".join(cells), row.spans[0][0], row.spans[-1][1])
            )
    elif blocks:
        fm = out.add_doc(Doc("front_matter", blocks[0].start, blocks[0].end, root, title="Front matter"))
        starts.append((0, fm))
        body_first = 1 if len(blocks) > 1 else 0

    matched = match_headings(blocks, entries, body_first)
    bld.stats["entries"] = len(entries)
    bld.stats["missed_entries"] = [e.title for i, e in enumerate(entries) if i not in matched]

    # --- the document tree from the matched entries (in text order) ----------------------
    chapter_like = {"chapter", "introduction", "chronology", "notes", "other"}
    has_chapters = any(e.kind == "chapter" for e in entries)
    current_top = None
    entry_doc: dict[int, int] = {}
    order = sorted(matched.items(), key=lambda kv: kv[1].blocks[0])
    for ei, h in order:
        e = entries[ei]
        kind = e.kind
        if kind == "section" and (
            current_top is None or not has_chapters or out.docs[current_top].kind != "chapter"
        ):
            kind = "chapter" if not has_chapters else "section"
        parent = root if kind in chapter_like or current_top is None else current_top
        if kind == "section" and parent == root:
            kind = "chapter"
        d = out.add_doc(
            Doc(
                kind,
                blocks[h.blocks[0]].start,
                blocks[h.blocks[-1]].end,
                parent,
                title=e.title.rstrip(".").strip(),
                page_start=e.page,
            )
        )
        entry_doc[ei] = d
        if parent == root:
            current_top = d
        starts.append((h.blocks[0], d))
        for bi in h.blocks:
            headings[bi] = d

    # shape-only headings where no contents entry matched: CHAPTER labels and # headings
    claimed = set(headings)
    for i in range(body_first, len(blocks)):
        if i in claimed:
            continue
        b = blocks[i]
        md = MD_HEADING.match(b.first) if len(b.lines) == 1 else None
        label = LABEL_ONLY.match(md_plain(b.text)) if len(b.text) < 40 else None
        if not (md or label):
            continue
        group = [i]
        if label and i + 1 < len(blocks) and is_heading_shaped(blocks[i + 1]) and i + 1 not in claimed:
            group.append(i + 1)
        ttl = clean(md_plain(" ".join(blocks[g].text for g in group).replace("#", " ")))
        level = len(md.group(1)) if md else 1
        top = [d for _, d in starts if out.docs[d].parent == root and out.docs[d].char_start < b.start]
        parent = root if level <= 1 or not top else max(top, key=lambda d: out.docs[d].char_start)
        d = out.add_doc(
            Doc("chapter" if parent == root else "section", b.start, blocks[group[-1]].end, parent, title=ttl)
        )
        starts.append((i, d))
        for g in group:
            headings[g] = d
            claimed.add(g)

    # back matter: after a chronology (or notes) the first unmatched heading in capitals
    starts.sort()
    last_top = max(
        (d for _, d in starts if out.docs[d].parent == root),
        key=lambda d: out.docs[d].char_start,
        default=None,
    )
    if last_top is not None and out.docs[last_top].kind in ("chronology", "notes"):
        first_blk = next(bi for bi, d in starts if d == last_top)
        for i in range(first_blk + 1, len(blocks)):
            if i in headings:
                continue
            b = blocks[i]
            if is_caps_heading(b) and year_heading(b.first) is None and not note_start(b.first):
                d = out.add_doc(Doc("other", b.start, b.end, root, title=clean(md_plain(b.text))))
                starts.append((i, d))
                headings[i] = d
                break
    starts.sort()

    # page ranges: page_end = the next entry's page - 1 when that entry opens a new top-level
    # part (chapters start on a new page); the next entry's own page when a section follows
    # a section (sections run on in mid-page)
    paged = [entry_doc[ei] for ei, _ in order if entries[ei].page is not None]
    for a, b in zip(paged, paged[1:]):
        da, db = out.docs[a], out.docs[b]
        nxt = db.page_start if db.parent != root else db.page_start - 1
        da.page_end = max(da.page_start, nxt)
    for d in paged:  # a chapter ends where its last section ends
        doc = out.docs[d]
        if doc.parent != root and doc.page_end is not None:
            par = out.docs[doc.parent]
            par.page_end = max(par.page_end or doc.page_end, doc.page_end)

    # doc spans: to the start of the next doc at the same or a higher level
    depth = {root: 0}
    for i, d in enumerate(out.docs):
        if d.parent is not None:
            depth[i] = depth[d.parent] + 1
    ordered = [d for _, d in starts]
    for k, d in enumerate(ordered):
        end_blk = len(blocks)
        for bi, d2 in starts[k + 1 :]:
            if depth[d2] <= depth[d]:
                end_blk = bi
                break
        out.docs[d].char_end = blocks[end_blk - 1].end if end_blk > 0 else out.docs[d].char_end

    block_starts = [bi for bi, _ in starts]

    def doc_of(bi: int) -> int:
        k = bisect.bisect_right(block_starts, bi) - 1
        return starts[k][1] if k >= 0 else root

    def top_of(d: int) -> int:
        while out.docs[d].parent not in (root, None):
            d = out.docs[d].parent
        return d

    def page_of(d: int) -> int | None:
        while d is not None:
            if out.docs[d].page_start is not None:
                return out.docs[d].page_start
            d = out.docs[d].parent
        return None

    # --- pass 1: footnotes (so that text markers know which notes exist) -----------------
    first_body = body_first if contents is not None else 0
    kinds: dict[int, str] = {}
    note_of_block: dict[int, list[int]] = {}
    last_num: dict[int, int] = {}
    pending: _NoteItem | None = None
    pending_age = 0
    prev_text = ""
    chron_docs = {d for d in range(len(out.docs)) if out.docs[d].kind == "chronology"}
    for i in range(first_body, len(blocks)):
        if contents is not None and i in range(contents[0], contents[1][-1] + 1):
            continue
        b = blocks[i]
        d = doc_of(i)
        scope = top_of(d)
        if i in headings:
            kinds[i] = "heading"
            pending = None
            continue
        mk = note_start(b.first)
        is_plain = False
        if mk is None and scope in last_num:
            m = NOTE_PLAIN.match(b.first)
            if m and int(m.group(1)) == last_num[scope] + 1 and scope not in chron_docs:
                nxt = blocks[i + 1].first if i + 1 < len(blocks) else ""
                nm = NOTE_PLAIN.match(nxt)
                if (
                    kinds.get(i - 1) == "note"
                    or (nm and int(nm.group(1)) == int(m.group(1)) + 1)
                    or _CITATION_SHAPE.search(b.first)
                ):
                    mk, is_plain = m.group(1), True
        if mk is not None and mk.startswith("*"):
            # an asterisk line is a note only if alone (a run of them is a Markdown list)
            neighbours = [blocks[j].first for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
            if len(b.lines) > 1 or any(NOTE_STAR.match(n) and not ORNAMENT.match(n) for n in neighbours):
                mk = None
        if mk is not None:
            kinds[i] = "note"
            items = []
            for ln in b.lines:
                lm = NOTE_SUP.match(ln.text) or (NOTE_STAR.match(ln.text) if mk.startswith("*") else None)
                if is_plain:
                    lm = NOTE_PLAIN.match(ln.text)
                if lm or not items:
                    marker = lm.group(1) if lm else mk
                    nums = [] if marker.startswith("*") else sup_numbers(marker)
                    a, e = ln.span()
                    item = _NoteItem(
                        marker, nums, scope, d, [(ln.text[(lm.end() if lm else 0) :].strip(), a, e)]
                    )
                    bld.notes.append(item)
                    items.append(len(bld.notes) - 1)
                    if nums:
                        last_num[scope] = max(nums)
                    if marker.startswith("*"):
                        bld.star_scopes.add(scope)
                    if is_plain:
                        bld.plain_notes.setdefault(scope, set()).update(nums)
                else:
                    bld.notes[items[-1]].pieces.append(_line_piece(ln))
            note_of_block[i] = items
            last = bld.notes[items[-1]]
            pending = last if note_unfinished(last.pieces[-1][0]) else None
            pending_age = 0
            continue
        if ORNAMENT.match(b.first) and len(b.lines) == 1:
            kinds[i] = "ornament"
            continue
        if pending is not None and scope not in chron_docs:
            pending_age += 1
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            nxt_note = nxt is not None and i + 1 not in headings and note_start(nxt.first) is not None
            unfinished = bool(prev_text) and continues_paragraph(prev_text, "x")
            if pending_age <= 12 and is_note_continuation(unfinished, b, nxt, nxt_note):
                kinds[i] = "note_cont"
                for ln in b.lines:
                    pending.pieces.append(_line_piece(ln))
                pending = pending if note_unfinished(pending.pieces[-1][0]) else None
                continue
        kinds[i] = "text"
        prev_text = b.last

    # --- pass 2: paragraphs ---------------------------------------------------------------
    open_para: dict | None = None

    def flush() -> None:
        nonlocal open_para
        if open_para is not None:
            bld.add_para(
                open_para["doc"],
                open_para["kind"],
                open_para["pieces"],
                open_para["scope"],
                open_para["page"],
            )
            open_para = None

    chron_blocks: dict[int, list[int]] = {}
    breaks: list[int] = []  # raw offsets where a printed page begins (see page_breaks)
    after_notes = False
    for i in range(len(blocks)):
        if contents is not None and contents[0] <= i <= contents[1][-1]:
            continue
        b = blocks[i]
        d = doc_of(i)
        scope = top_of(d) if d != root else None
        page = page_of(d)
        if i < first_body:  # front matter: one paragraph per block, the title a heading
            kind = "heading" if i == 0 else "text"
            bld.add_para(d, kind, [_line_piece(ln) for ln in b.lines], None, None)
            continue
        if scope in chron_docs and kinds.get(i) != "heading" and d in chron_docs:
            flush()
            chron_blocks.setdefault(d, []).append(i)
            continue
        k = kinds.get(i, "text")
        if k in ("note", "note_cont"):
            after_notes = True
            continue
        if after_notes:  # the page's notes are done: the next page begins
            breaks.append(b.start)
            after_notes = False
            broke = True
        else:
            broke = False
        if k == "heading":
            flush()
            bld.add_para(d, "heading", [_line_piece(ln) for ln in b.lines], scope, page)
            continue
        if k == "ornament":
            flush()
            bld.discard(b.start, b.end, "boilerplate")
            continue
        # table rows in the body
        if all(TABLE_LINE.match(ln.text) for ln in b.lines):
            flush()
            for ln in b.lines:
                cells = split_row(ln.text)
                if is_separator_row(cells):
                    bld.discard(*ln.span(), "boilerplate")
                else:
                    bld.add_para(
                        d, "table_row", [(" | ".join(c for c in cells if c), *ln.span())], scope, page
                    )
            continue
        # list items: every line its own item
        if LIST_ITEM.match(b.first) and all(LIST_ITEM.match(ln.text) for ln in b.lines):
            flush()
            for ln in b.lines:
                bld.add_para(d, "list_item", [_line_piece(ln, LIST_PREFIX)], scope, page)
            continue
        pieces = [_line_piece(ln) for ln in b.lines]
        if (
            open_para is not None
            and open_para["doc"] == d
            and continues_paragraph(open_para["pieces"][-1][0], pieces[0][0])
        ):
            open_para["pieces"].extend(pieces)
            if not broke:  # a paragraph split by a page break without notes between
                breaks.append(b.start)
            continue
        flush()
        kind = "text"
        if b.first.startswith(">"):
            kind = "quote"
            pieces = [(re.sub(r"^>\s?", "", t), a, e) for t, a, e in pieces]
        open_para = {"doc": d, "kind": kind, "pieces": pieces, "scope": scope, "page": page}
    flush()

    # --- chronology ------------------------------------------------------------------------
    chron_breaks: dict[int, list[int]] = {}
    for d, bis in chron_blocks.items():
        chron_breaks[d] = _parse_chronology(bld, d, bis, scope=top_of(d), page=page_of(d))

    _assign_pages(out, breaks, bld.stats, root, chron_breaks)

    # --- notes: link to markers by (scope, number) ---------------------------------------
    _link_notes(bld, text)
    _order_paras(out)
    bld.stats["notes"] = len(bld.notes)
    bld.stats["markers"] = len(bld.markers)
    return out, bld.stats


def _assign_pages(out: ParsedSource, breaks: list[int], stats: dict, root: int = 0,
                  chron_breaks: dict[int, list[int]] | None = None) -> None:
    """Para.page = its document's first page (from the contents) + the page breaks seen
    since the document began (a run of footnotes ends a page; so does a paragraph split
    across a blank line), never beyond the document's last page. Breaks where a page ends
    exactly at a paragraph's end without footnotes are invisible, so pages may lag.

    ``page_estimated`` is False where the page is known: a document's heading (its page is
    printed in the contents), and a paragraph whose page counted forward from its document's
    first page equals the page counted back from the next document's printed page
    (``page_agrees``: no invisible break in between). Chronologies (``chron_breaks``: the
    breaks seen in them) have no printed page after their first: their paragraphs after the
    first seen break get no page."""
    breaks = sorted(set(breaks))
    agree = total = 0
    for di, d in enumerate(out.docs):
        if d.page_start is None:
            continue
        a = bisect.bisect_right(breaks, d.char_start)
        b = bisect.bisect_right(breaks, d.char_end)
        if d.page_end is not None and not any(x.parent == di for x in out.docs):
            total += 1
            agree += (b - a) == d.page_end - d.page_start
    stats["leaf_docs_page_breaks_match_contents"] = f"{agree}/{total}"
    chron_breaks = chron_breaks or {}
    # anchors: documents with a printed first page, in text order (start, page, starts a new page)
    anchors = sorted((d.char_start, d.page_start, d.parent == root) for d in out.docs
                     if d.page_start is not None and d.parent is not None)
    anchor_starts = [a[0] for a in anchors]
    known = 0
    for p in out.paras:
        d = out.docs[p.doc]
        if d.page_start is None or p.kind in ("table_row",):
            continue
        if p.char_start <= d.char_start:  # the document's own heading: printed in the contents
            p.page, p.page_estimated = d.page_start, False
            known += 1
            continue
        if p.doc in chron_breaks:
            first = min(chron_breaks[p.doc], default=None)
            p.page = d.page_start if first is None or p.char_start < first else None
            p.page_estimated = None if p.page is None else True
            continue
        n = bisect.bisect_right(breaks, p.char_start) - bisect.bisect_right(breaks, d.char_start)
        forward = d.page_start + n
        k = bisect.bisect_right(anchor_starts, p.char_start)
        backward = page_agrees(breaks, p.char_start, anchors[k]) if k < len(anchors) else None
        page = forward if d.page_end is None else min(forward, d.page_end)
        p.page, p.page_estimated = page, not (backward == forward == page)
        known += not p.page_estimated
    stats["paragraph_pages_known"] = known


def page_agrees(breaks: list[int], pos: int, anchor: tuple[int, int, bool]) -> int:
    """The page of a paragraph starting at ``pos`` counted back from the next document with a
    printed page (``anchor``: its start, page, and whether it starts a new page — a chapter —
    or runs on mid-page — a section): that page, minus one for a new page, minus the breaks
    seen in between (a break right at a section's start puts the paragraph one page before)."""
    a_start, a_page, new_page = anchor
    between = bisect.bisect_left(breaks, a_start) - bisect.bisect_right(breaks, pos)
    if new_page:
        return a_page - 1 - between
    at_anchor = bisect.bisect_right(breaks, a_start) - bisect.bisect_left(breaks, a_start)
    return a_page - between - at_anchor


def _parse_chronology(bld: _Builder, d: int, block_ids: list[int], scope: int, page: int | None) -> list[int]:
    """Year lines → headings; entries → one chronology_entry paragraph and one Event each;
    an unmarked piece continues the entry before; note blocks are footnotes. Returns the
    raw offsets of the page breaks seen: the block after a run of notes, and a block that
    continues the entry before (an entry split by a page break)."""
    out = bld.out
    blocks = bld.blocks
    old_style = any(
        "old style" in blocks[i].text.lower() or "o.s." in blocks[i].text.lower()
        for i in block_ids
        if note_start(blocks[i].first)
    )
    year: int | None = None
    entry: list[tuple[str, int, int]] | None = None

    def flush() -> None:
        nonlocal entry
        if not entry:
            entry = None
            return
        joined = reflow([t for t, _, _ in entry], bld.vocab)
        idx = bld.add_para(d, "chronology_entry", entry, scope, page)
        if idx is not None:
            se = split_entry(joined, year, old_style)
            if se is not None:
                what, _ = bld.render([(joined[se.text_offset :], entry[0][1])], None)
                sp = se.span
                out.events.append(
                    Event(
                        idx,
                        "chronology",
                        what,
                        date_start=sp.start if sp else None,
                        date_end=sp.end if sp else None,
                        date_precision=sp.precision if sp else None,
                        date_text=se.date_text,
                        date_old_style=sp.old_style if sp else None,
                    )
                )
        entry = None

    seen_breaks: list[int] = []
    after_notes = False
    for i in block_ids:
        b = blocks[i]
        if note_start(b.first):  # the chronology's own footnotes
            after_notes = True
            continue
        if after_notes:  # the notes ended a page
            seen_breaks.append(b.start)
            after_notes = False
        first_line = True
        for ln in b.lines:
            if ln.blank:
                continue
            a, e = ln.span()
            opens_block, first_line = first_line, False
            y = year_heading(ln.text)
            if y is not None:
                flush()
                year = y
                bld.add_para(d, "heading", [(str(y), a, e)], scope, page)
                continue
            offs = entry_starts(ln.text)
            lead = LIST_PREFIX.match(ln.text)
            body_from = lead.end() if lead else len(ln.text) - len(ln.text.lstrip())
            cuts = offs + [len(ln.text.rstrip())]
            if not offs or offs[0] > body_from:  # the line opens with the rest of an entry
                stop = offs[0] if offs else len(ln.text.rstrip())
                piece = ln.text[body_from:stop].strip()
                if piece:
                    span_end = ln.start + len(ln.text[:stop].rstrip())
                    if entry is None:
                        entry = []
                    elif opens_block:  # an entry split by a page break
                        seen_breaks.append(b.start)
                    entry.append((piece, a, span_end))
            for k, o in enumerate(offs):
                flush()
                seg_end = cuts[k + 1]
                seg = ln.text[o:seg_end].rstrip()
                seg_start = a if (k == 0 and o == body_from) else ln.start + o
                entry = [(seg, seg_start, ln.start + o + len(seg))]
    flush()
    return sorted(set(seen_breaks))


def _link_notes(bld: _Builder, text: str) -> None:
    out = bld.out
    by_key: dict[tuple[int, int], list[int]] = {}
    stars: dict[int, list[int]] = {}
    for mi, m in enumerate(bld.markers):
        if m.para is None:
            continue
        if m.numbers:
            for n in m.numbers:
                by_key.setdefault((m.scope, n), []).append(mi)
        else:
            stars.setdefault(m.scope, []).append(mi)
    for item in bld.notes:
        start, end = item.pieces[0][1], item.pieces[-1][2]
        if item.numbers:
            cands = [mi for n in item.numbers for mi in by_key.get((item.scope, n), [])]
        else:
            cands = stars.get(item.scope, [])
        free = [mi for mi in cands if not bld.markers[mi].used] or cands
        chosen = None
        if free:
            before = [mi for mi in free if bld.markers[mi].pos < start]
            chosen = (
                max(before, key=lambda mi: bld.markers[mi].pos)
                if before
                else min(free, key=lambda mi: bld.markers[mi].pos)
            )
        body, _ = bld.render([(t, a) for t, a, _ in item.pieces], None)
        para = anchor = None
        doc = item.doc
        if chosen is not None:
            m = bld.markers[chosen]
            m.used = True
            para, anchor = m.para, m.anchor
            doc = out.paras[para].doc
        out.add_note(
            Note(doc, "footnote", body, start, end, para=para, marker=item.marker, anchor_char=anchor)
        )
    bld.stats["unlinked_markers"] = sum(1 for m in bld.markers if m.para is not None and not m.used)


def _order_paras(out: ParsedSource) -> None:
    """Paragraphs in text order (chronology entries were built after the body); remap the
    indexes held by notes and events."""
    order = sorted(range(len(out.paras)), key=lambda i: (out.paras[i].char_start, i))
    new_of = {old: new for new, old in enumerate(order)}
    out.paras = [out.paras[i] for i in order]
    for n in out.notes:
        if n.para is not None:
            n.para = new_of[n.para]
    for e in out.events:
        e.para = new_of[e.para]
