"""Generic fallback layout: blank-line separated blocks are paragraphs.

Used for ``plain`` text and any layout without a parser of its own. The rules:

- a block of blank-line separated lines is one paragraph, its wrapping undone (``reflow``);
- a block whose lines are long (web text saved one paragraph per line) gives one paragraph per
  line (``is_line_per_paragraph``), a line not ending a sentence running on into the next
  (``ends_sentence``);
- a block of one short title-like line is a heading (``looks_like_heading``); so is a short
  title-like first line standing above a block of longer text lines (``leading_heading``); the
  first heading of the file, if it opens the file, is the title;
- a line of only rule characters (``=====``, ``-----``) is a separator: discarded as
  ``boilerplate``;
- C0 control characters are blanked out of the clean text (the spans still cover them).

E-texts of the Project Gutenberg kind (any plain text the rules fit):

- the licence frame (``licence_frame``): everything up to the ``*** START OF THE PROJECT
  GUTENBERG EBOOK ... ***`` line, a ``Produced by ...`` credit block right after it, and
  everything from ``End of the Project Gutenberg EBook`` / ``*** END OF ...`` on is
  ``boilerplate``; the ``Title:`` (and ``Author:``) lines of the header give the title;
- a chapter opening (``chapter_opening``): a ``CHAPTER III`` / ``BOOK 2`` / ``PART ONE`` line,
  or a bare Roman numeral line followed by a title block, opens a document of kind ``chapter``
  titled by its title (else by the label); the text down to the next opening is its content;
- footnotes (``note_label``): a block opening with ``[1]`` / ``[01]`` / ``[Footnote 1: ...]``
  is a footnote; the nearest ``[1]`` before it in the text is its marker (removed from the
  clean text, its place kept as ``anchor_char``); a ``[1]`` with no note stays text;
- a table of contents (``is_contents_block``): a block whose lines end in page numbers gives
  one ``table_row`` per entry (``title | page``; an entry wrapped over two lines is joined).

Never raises on odd input: empty text, blank lines only, one huge line, control characters.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from pipelines.parsing.layout import chapter_label
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import MARK, Line, Vocabulary, clean, line_blocks, reflow, split_lines, take_marks

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RULE = re.compile(r"^\s*([=\-_*~#+.•·])(?:\s*\1){3,}\s*$")
# what a sentence (or a paragraph) may end with; a paragraph line ending otherwise runs on
_TERMINAL = tuple('.!?:;)]}…"\'”’»ʺ') + ("--", "—")
_LINE_END_HYPHEN = re.compile(r"-[ \t\r]*\n")
LONG_LINE = 160  # a line this long is a paragraph on its own line, not hard-wrapped text


def strip_controls(s: str) -> str:
    """Blank out C0 control characters (other than tab/newline/CR) and DEL."""
    return _CONTROL.sub(" ", s)


def is_rule_line(s: str) -> bool:
    """A line of only separator characters: ``=====``, ``-----``, ``* * * *``."""
    return bool(_RULE.match(s))


def ends_sentence(s: str) -> bool:
    """Whether a paragraph piece ends as a paragraph can (``.``, ``?``, a closing quote...)."""
    t = s.rstrip()
    return not t or t.endswith(_TERMINAL)


def looks_like_heading(block_text: str) -> bool:
    """A short single line, capitalised, without the punctuation that ends a sentence."""
    t = block_text.strip()
    return (
        0 < len(t) <= 150
        and "\n" not in t
        and not t.endswith((".", ",", ";", ":"))
        and t[:1].isupper()
        and any(c.isalpha() for c in t)
    )


def is_line_per_paragraph(block: list[Line]) -> bool:
    """Lines of a block are paragraphs of their own (not wrapped lines) when most are long."""
    if len(block) < 2:
        return False
    long = sum(1 for ln in block if len(ln.text.strip()) >= LONG_LINE)
    return long * 2 >= len(block)


def leading_heading(block: list[Line]) -> bool:
    """A title-like first line much shorter than the text lines under it."""
    if len(block) < 2:
        return False
    first = block[0].text.strip()
    rest = sorted(len(ln.text.strip()) for ln in block[1:])
    median = rest[len(rest) // 2]
    return len(first) <= 80 and len(first) < 0.6 * median and looks_like_heading(first)


def vocabulary_if_needed(text: str) -> Vocabulary:
    """A vocabulary for re-joining hyphenated words, built only when some line ends in a
    hyphen after a letter (so a huge single-line text costs nothing)."""
    for m in _LINE_END_HYPHEN.finditer(text):
        if m.start() and text[m.start() - 1].isalpha():
            return Vocabulary.from_text(text)
    return Vocabulary(Counter())


def line_paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Group one-paragraph-per-line lines: a line not ending a sentence runs on into the next."""
    groups: list[list[Line]] = []
    for ln in lines:
        if groups and not ends_sentence(groups[-1][-1].text) and len(groups[-1]) < MAX_RUN_ON:
            groups[-1].append(ln)
        else:
            groups.append([ln])
    return groups


MAX_BLOCK_LINES = 200
MAX_RUN_ON = 20  # a one-paragraph-per-line paragraph runs on over at most this many lines


def cap_block(block: list[Line], limit: int = MAX_BLOCK_LINES) -> list[list[Line]]:
    """Cut a block of more than ``limit`` lines (text without blank lines) into pieces of at
    most ``limit`` lines, at a line ending a sentence after ``limit // 2`` lines where there is
    one: no real paragraph is that long, and re-joining it whole would be slow."""
    pieces: list[list[Line]] = []
    while len(block) > limit:
        cut = next(
            (i + 1 for i in range(limit // 2, limit) if ends_sentence(block[i].text)),
            limit,
        )
        pieces.append(block[:cut])
        block = block[cut:]
    if block:
        pieces.append(block)
    return pieces


def _span(lines: list[Line]) -> tuple[int, int]:
    return lines[0].span()[0], lines[-1].span()[1]


# --- Project Gutenberg licence frame ----------------------------------------------------------

_PG_START = re.compile(
    r"^[ \t]*(?:\*{3}[ \t]*START OF (?:THE |THIS )?PROJECT GUTENBERG\b.*|\*END\*THE SMALL PRINT!.*)$", re.I | re.M
)
_PG_END = re.compile(
    r"^[ \t]*(?:\*{3}[ \t]*END OF (?:THE |THIS )?PROJECT GUTENBERG\b.*|End of (?:the )?Project Gutenberg.*)$", re.I | re.M
)
_PG_META = re.compile(r"^(Title|Author):[ \t]*(\S.*(?:\r?\n[ \t]+\S.*)*)", re.M)
_CREDITS = re.compile(r"^[ \t]*(?:Produced by|E-?text prepared by|Transcribed (?:by|from))\b", re.I)


def licence_frame(text: str) -> tuple[int, int, dict[str, str]] | None:
    """A Project Gutenberg e-text: (where the body starts, where the licence footer starts, the
    header's ``Title:``/``Author:`` values); None when the text has no such frame."""
    start = _PG_START.search(text)
    if not start:
        return None
    end = _PG_END.search(text, start.end())
    meta = {k.lower(): clean(v.splitlines()[0]) for k, v in _PG_META.findall(text[: start.start()])}
    return start.end(), (end.start() if end else len(text)), meta


def is_licence_text(s: str) -> bool:
    """Text of a Project Gutenberg licence header or footer (a block that holds the frame's
    start/end line, or the ``This eBook is for the use of anyone anywhere`` notice)."""
    low = s.lower()
    if "gutenberg" not in low and "small print" not in low and "anyone anywhere" not in low:
        return False  # fast path (same result): every form names one of these
    return bool(_PG_START.search(s) or _PG_END.search(s)) or "This eBook is for the use of anyone anywhere" in s


# --- chapters, footnotes, contents --------------------------------------------------------------

_ROMAN = re.compile(r"^[ \t]*(M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3}))\.?[ \t]*$")


def chapter_opening(block: list[Line], following: list[Line] | None) -> tuple[str, int] | None:
    """A chapter's opening: (its title, how many blocks it takes: 1 or 2 with a title block).
    ``CHAPTER III`` (with or without a title on the same line or in the next short block), or
    a bare Roman numeral line followed by a title block; None otherwise."""
    if len(block) != 1:
        return None
    t = block[0].text.strip()
    titled = following is not None and 1 <= len(following) <= 3 and all(
        looks_like_heading(ln.text) and len(ln.text.strip()) <= 80 for ln in following
    )
    label = chapter_label(t)
    if label is not None:
        if label[2]:
            return clean(label[2]), 1
        if titled:
            return clean(" ".join(ln.text for ln in following)), 2
        return clean(t), 1
    m = _ROMAN.match(t)
    if m and m.group(1) and titled:
        return clean(" ".join(ln.text for ln in following)), 2
    return None


_NOTE_OPEN = re.compile(
    r"^[ \t]*\[(?:(\d{1,3}|\*{1,3}|[†‡])\]|Footnote[ \t]+(\d{1,3}|[A-Za-z]|\*{1,3}|[†‡]):)[ \t]*(?=[^\s=])"
)


def note_label(block: list[Line]) -> tuple[str, int] | None:
    """A footnote block (``[1] text`` / ``[Footnote 1: text]``): (label, length of the opening
    on its first line); None otherwise."""
    m = _NOTE_OPEN.match(block[0].text)
    return (m.group(1) or m.group(2), m.end()) if m else None


_PAGE_REF = re.compile(r"(?:^|[ \t]{2,}|\.{3,}[ \t]*)(\d{1,4}|[ivxlc]{1,7})[ \t]*$")
_CELL_GAP = re.compile(r"[ \t]{2,}|\.{3,}")


def is_contents_block(block: list[Line]) -> bool:
    """A table of contents: at least three lines, most of them ending in a page number after a
    gap of spaces or leader dots."""
    if len(block) < 3:
        return False
    ending = sum(1 for ln in block if _PAGE_REF.search(ln.text.rstrip()) and len(ln.text.strip()) > 4)
    return ending * 3 >= len(block) * 2


def contents_entries(block: list[Line]) -> list[list[Line]]:
    """The entries of a contents block: lines up to one ending in a page number (a title
    wrapped over two lines is one entry)."""
    entries: list[list[Line]] = []
    cur: list[Line] = []
    for ln in block:
        cur.append(ln)
        if _PAGE_REF.search(ln.text.rstrip()) or len(cur) >= 3:
            entries.append(cur)
            cur = []
    if cur:
        entries.append(cur)
    return entries


def contents_row(lines: list[Line]) -> str:
    """``IX. THE SYSTEMS OF ... 122`` → ``IX. THE SYSTEMS OF ... | 122`` (cells at gaps)."""
    joined = " ".join(ln.text.strip() for ln in lines)
    cells = [clean(c) for c in _CELL_GAP.split(joined)]
    if len(cells) > 2:  # a gap inside the title (a wrapped line's indent): title, then page
        cells = [clean(" ".join(cells[:-1])), cells[-1]]
    return " | ".join(c for c in cells if c)


def _marker_pattern(labels: set[str]) -> re.Pattern:
    return re.compile(r"\[(" + "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True)) + r")\]")


def parse(text: str, fmt: str = "plain") -> ParsedSource:
    lines = split_lines(text)
    vocab = vocabulary_if_needed(text)
    blocks = line_blocks(lines)
    out = ParsedSource(format=fmt)
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))
    state = {"doc": root}

    frame = licence_frame(text)
    if frame is not None:
        body_start, body_end, meta = frame
        body = [b for b in blocks if b[0].start >= body_start and b[-1].end <= body_end]
        if body and _CREDITS.match(body[0][0].text):
            body = body[1:]
        kept = {id(b) for b in body}
        for b in blocks:
            if id(b) not in kept:
                out.discards.append(Discard(*_span(b), "boilerplate"))
        blocks = body
        if meta.get("title"):
            out.title = meta["title"]

    # footnotes and their markers (the nearest earlier "[label]" in the text)
    notes_at = {i: note_label(b) for i, b in enumerate(blocks)}
    notes_at = {i: v for i, v in notes_at.items() if v is not None}
    claimed: dict[int, int] = {}  # raw offset of a marker -> number of its note block
    line_of: dict[int, int] = {}  # raw offset of a marker -> start of its line
    note_blocks = sorted(notes_at)
    note_by_start = {blocks[i][0].start: k for k, i in enumerate(note_blocks)}
    if note_blocks:
        pat = _marker_pattern({v[0] for v in notes_at.values()})
        found: dict[str, list[int]] = {}
        for i, b in enumerate(blocks):
            if i in notes_at:
                continue
            for ln in b:
                if "[" in ln.text:
                    for m in pat.finditer(ln.text):
                        found.setdefault(m.group(1), []).append(ln.start + m.start())
                        line_of[ln.start + m.start()] = ln.start
        for k, i in enumerate(note_blocks):
            offsets = found.get(notes_at[i][0], [])  # in text order
            j = bisect.bisect_left(offsets, blocks[i][0].start) - 1
            while j >= 0 and offsets[j] in claimed:
                j -= 1
            if j >= 0:
                claimed[offsets[j]] = k
        # a "[1] ..." block whose marker is nowhere before it is text (a legend, a list)
        linked = set(claimed.values())
        note_by_start = {s: k for s, k in note_by_start.items() if k in linked}
    on_line: dict[int, list[int]] = {}  # line start -> claimed marker offsets on it
    for o in sorted(claimed):
        on_line.setdefault(line_of[o], []).append(o)
    pending: list[tuple[int, int, int]] = []  # (para, anchor, note block number)

    def marked(group: list[Line]) -> tuple[list[str], list[int]]:
        """Line texts with claimed markers replaced by MARK; the note numbers in order."""
        pieces, order = [], []
        for ln in group:
            t = ln.text
            hits = on_line.get(ln.start, [])
            for o in reversed(hits):
                j = o - ln.start
                close = t.index("]", j)
                t = t[:j] + MARK + t[close + 1 :]
            pieces.append(t)
            order.extend(claimed[o] for o in hits)
        return pieces, order

    def add(kind: str, group: list[Line], body: str | None = None) -> int | None:
        order: list[int] = []
        if body is None:
            pieces, order = marked(group)
            body = reflow(pieces, vocab)
        if _CONTROL.search(body):
            body = clean(strip_controls(body))
        anchors: list[int] = []
        if MARK in body:
            body, anchors = take_marks(body)
        start, end = _span(group)
        if not body:  # only control characters: left to assemble() as unexplained
            return None
        p = out.add_para(Para(doc=state["doc"], kind=kind, text=body, char_start=start, char_end=end))
        for off, k in zip(anchors, order):
            pending.append((p, off, k))
        if state["doc"] != root:
            out.docs[state["doc"]].char_end = max(out.docs[state["doc"]].char_end, end)
        return p

    note_index: dict[int, int] = {}
    skip = 0
    pieces_all = [p for b in blocks for p in cap_block(b)]
    for bi, block in enumerate(pieces_all):
        if skip:
            skip -= 1
            continue
        rules = [ln for ln in block if is_rule_line(ln.text)]
        for ln in rules:
            s, e = ln.span()
            out.discards.append(Discard(s, e, "boilerplate"))
        block = [ln for ln in block if not is_rule_line(ln.text)]
        if not block:
            continue
        k = note_by_start.get(block[0].start)
        if k is not None:
            nl = note_label(block)
            if nl is not None:
                label, cut = nl
                first = block[0]
                pieces = [first.text[cut:]] + [ln.text for ln in block[1:]]
                body = reflow(pieces, vocab)
                if body.endswith("]") and block[0].text.lstrip().startswith("[Footnote"):
                    body = body[:-1].rstrip()
                start, end = _span(block)
                note_index[k] = out.add_note(
                    Note(doc=state["doc"], kind="footnote", text=clean(body), char_start=start, char_end=end, marker=label)
                )
                if state["doc"] != root:
                    out.docs[state["doc"]].char_end = max(out.docs[state["doc"]].char_end, end)
                continue
        following = pieces_all[bi + 1] if bi + 1 < len(pieces_all) else None
        opening = chapter_opening(block, following)
        if opening is not None:
            title, used = opening
            start = block[0].span()[0]
            state["doc"] = out.add_doc(Doc(kind="chapter", char_start=start, char_end=start, parent=root, title=title))
            add("heading", block)
            if used == 2:
                add("heading", following)
                skip = 1
            continue
        if is_contents_block(block):
            for entry in contents_entries(block):
                add("table_row", entry, contents_row(entry))
            continue
        if len(block) == 1 and looks_like_heading(block[0].text):
            add("heading", block)
            continue
        if leading_heading(block):
            add("heading", block[:1])
            block = block[1:]
        if is_line_per_paragraph(block):
            for group in line_paragraphs(block):
                add("text", group)
        else:
            add("text", block)

    for p, off, k in pending:
        if k in note_index:
            n = out.notes[note_index[k]]
            n.para, n.anchor_char, n.doc = p, off, out.paras[p].doc
    if out.title is None and out.paras and out.paras[0].kind == "heading":
        out.title = out.paras[0].text
    out.docs[root].title = out.title
    return out
