"""Generic Markdown documents (not the Markdown-converted books of ``markdown_book``).

``parse(text) -> ParsedSource`` (format ``markdown``). Line-based block rules, each a named
function:

- YAML front matter (``---`` ... ``---`` at the top) → ``boilerplate``; its ``title:`` is the title;
- ``#`` headings and underlined (``===``/``---``) headings → heading paragraphs and the
  document tree by level (a single leading level-1 heading is the title and stays in the root);
- blank-line separated paragraphs, wrapping undone (``reflow``);
- list items (``-``, ``*``, ``+``, ``1.``) → ``list_item``, one per item, continuation lines
  included; ``>`` block quotes → ``quote``; table rows → ``table_row`` (separator rows are
  boilerplate); fenced code → ``text``;
- ``[^1]`` markers → removed, their places kept (``anchor_char``); ``[^1]: text`` definitions
  (with indented continuation lines) → footnote ``Note`` linked to the marker's paragraph;
- thematic breaks, HTML comments and link reference definitions → ``boilerplate``; a line that
  is only a page number between blank lines → ``page_number``;
- inline: emphasis, links (``[text](url)`` → text), images (alt text), code spans, inline HTML
  tags and backslash escapes are removed (``md_inline``).

Pandoc's Markdown (as converters write it): bracketed spans ``[text]{.class}`` → text (an
empty one, ``[]{#id}``, is an anchor: nothing), attribute blocks ``{#id .class key="v"}`` after
headings and links are removed, fenced-div lines (``::: {align="center"}``, ``:::``) are
``boilerplate``, a backslash ending a line is a line break. A paragraph made only of links
(and separators such as ``|``), ``[Works Index](..) | [< backward](..)``, is site navigation:
``boilerplate`` (``is_link_only``).
"""

from __future__ import annotations

import re

from pipelines.parsing.formats.html import is_bracketed_remark
from pipelines.parsing.formats.plain import vocabulary_if_needed
from pipelines.parsing.layout import page_number
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import (
    MARK,
    Line,
    Vocabulary,
    clean,
    reflow,
    split_lines,
    strip_markdown,
    take_marks,
)

FORMAT = "markdown"

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,3}[.)])[ \t]+(?=\S)")
QUOTE = re.compile(r"^ {0,3}> ?")
NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:[ \t]*")
LINK_DEF = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+")
TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
COMMENT_START = re.compile(r"^[ \t]*<!--")
FRONT_MATTER_KEY = re.compile(r"^[A-Za-z_][\w-]*:")

_MARKER = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
_CODE = re.compile(r"(`+)(.+?)\1")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_ATTR = r"(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
_ATTRS = re.compile(rf"[ \t]*\{{{_ATTR}(?:[ \t]+{_ATTR})*\}}")
_SPAN = re.compile(r"\[([^\[\]]*)\]\{[^{}\n]*\}")
FENCED_DIV = re.compile(r"^ {0,3}:{3,}(?:[ \t]*(?:\{[^}]*\}|[\w-]+))?[ \t]*$")
_HARD_BREAK = re.compile(r"(?<!\\)\\$")
_NAV_REST = re.compile(r"^[\s|•·:,;/\[\]()»«<>\\-]*$")
_ESC_BASE = 0xE100  # private-use characters standing for escaped punctuation


def md_inline(s: str) -> tuple[str, list[str]]:
    """Markdown inline syntax → clean text with MARK sentinels where ``[^n]`` markers stood;
    returns the text and the marker labels in order."""
    escaped = "\\" in s
    if escaped:
        s = _ESCAPE.sub(lambda m: chr(_ESC_BASE + ord(m.group(1))), s)
    labels: list[str] = []

    def mark(m: re.Match) -> str:
        labels.append(m.group(1))
        return MARK

    if "[" in s:  # each rule only where its syntax can occur (speed on long texts)
        s = _MARKER.sub(mark, s)
        if "](" in s:
            s = _IMAGE.sub(r"\1", s)
            s = _LINK.sub(r"\1", s)
        if "][" in s:
            s = _REF_LINK.sub(r"\1", s)
    if "{" in s:  # Pandoc attributes: [text]{.class} spans, {#id} after headings and links
        if "]{" in s:
            s = _SPAN.sub(r"\1", s)
        s = _ATTRS.sub("", s)
    if "<" in s:
        s = _AUTOLINK.sub(r"\1", s)
        s = _TAG.sub(lambda m: " " if m.group(0).lower().startswith("<br") else "", s)
    if "`" in s:
        s = _CODE.sub(lambda m: m.group(2).strip(), s)
    if "*" in s or "_" in s:
        s = strip_markdown(s)
    if escaped:
        s = re.sub("[\ue100-\ue17f]", lambda m: chr(ord(m.group(0)) - _ESC_BASE), s)
    return clean(s), labels


def is_link_only(raw: str) -> bool:
    """A paragraph made only of links to other pages and separators: two links or more, or one
    of at most three words (``[< backward](..)``); not a sentence with a link in it."""
    texts: list[str] = []

    def keep(m: re.Match) -> str:
        texts.append(m.group(1))
        return "\x00"

    s = _LINK.sub(keep, raw)
    if not texts:
        return False
    s = _ATTRS.sub("", _SPAN.sub(r"\1", s)).replace("\x00", " ")
    if not _NAV_REST.match(s):
        return False
    return len(texts) >= 2 or len(md_inline(texts[0])[0].split()) <= 3


def front_matter_end(lines: list[Line]) -> int:
    """Index after a YAML front-matter block at the top (0 when there is none)."""
    if not lines or lines[0].text.strip() != "---":
        return 0
    for i in range(1, min(len(lines), 80)):
        t = lines[i].text.strip()
        if t in ("---", "..."):
            body = [ln.text for ln in lines[1:i] if ln.text.strip()]
            return i + 1 if body and FRONT_MATTER_KEY.match(body[0]) else 0
    return 0


_BLOCK_CHARS = frozenset("#`~*-_>[+0123456789")


def is_block_start(s: str) -> bool:
    """A line that starts a new block even without a blank line before it."""
    first = s.lstrip()[:1]
    if not first or first not in _BLOCK_CHARS:
        return False
    return bool(ATX.match(s) or FENCE.match(s) or HR.match(s) or QUOTE.match(s) or NOTE_DEF.match(s) or LIST_ITEM.match(s))


class _Builder:
    def __init__(self, text: str):
        self.text = text
        self.out = ParsedSource(format=FORMAT)
        self.out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))
        self.stack: list[tuple[int, int]] = [(0, 0)]
        self.vocab: Vocabulary = vocabulary_if_needed(text)
        self.markers: list[tuple[int, int, str]] = []
        self.notes: dict[str, int] = {}
        self.page: int | None = None
        self.title_line: int | None = None

    def doc(self) -> int:
        return self.stack[-1][1]

    def heading(self, level: int, raw: str, start: int, end: int, line_no: int) -> None:
        body, _ = md_inline(raw)
        if not body:
            self.out.discards.append(Discard(start, end, "boilerplate"))
            return
        if line_no != self.title_line:
            while len(self.stack) > 1 and self.stack[-1][0] >= level:
                self.stack.pop()
            kind = "chapter" if re.match(r"(?i)(chapter|part)\b", body) else "section"
            d = self.out.add_doc(Doc(kind=kind, char_start=start, char_end=end, parent=self.doc(), title=body))
            self.stack.append((level, d))
        self.para("heading", [raw], start, end)

    def para(self, kind: str, pieces: list[str], start: int, end: int) -> None:
        if len(pieces) > 1 and "\\" in "".join(pieces):
            pieces = [_HARD_BREAK.sub("", p.rstrip()) for p in pieces]
        if kind == "text" and "](" in pieces[0] and is_link_only(" ".join(pieces)):
            self.out.discards.append(Discard(start, end, "boilerplate"))  # site navigation
            return
        joined = reflow(pieces, self.vocab) if len(pieces) > 1 else pieces[0]
        body, labels = md_inline(joined)
        body, anchors = take_marks(body) if labels else (body, [])
        if not body:
            self.out.discards.append(Discard(start, end, "boilerplate"))
            return
        if kind == "text" and is_bracketed_remark(body):
            kind = "editorial"
        p = self.out.add_para(Para(doc=self.doc(), kind=kind, text=body, char_start=start, char_end=end, page=self.page))
        for off, label in zip(anchors, labels):
            self.markers.append((p, off, label))
        for _, d in self.stack[1:]:
            self.out.docs[d].char_end = max(self.out.docs[d].char_end, end)

    def note(self, label: str, pieces: list[str], start: int, end: int) -> None:
        body, _ = md_inline(reflow(pieces, self.vocab))
        body, _ = take_marks(body)
        if body:
            self.notes[label] = self.out.add_note(
                Note(doc=self.doc(), kind="footnote", text=body, char_start=start, char_end=end, marker=label)
            )

    def link(self) -> None:
        for p, off, label in self.markers:
            i = self.notes.get(label)
            if i is None or self.out.notes[i].para is not None:
                continue
            n = self.out.notes[i]
            n.para, n.anchor_char, n.doc = p, off, self.out.paras[p].doc


_H1 = re.compile(r"^ {0,3}#(?:[ \t]|$)|^ {0,3}=+[ \t]*$", re.M)


def _first_level1(lines: list[Line], start: int, text: str) -> int | None:
    """Line index of a single level-1 heading that is the file's first heading."""
    if len(_H1.findall(text)) != 1:
        return None
    for i in range(start, len(lines)):
        m = ATX.match(lines[i].text)
        if m:
            return i if len(m.group(1)) == 1 else None
        if i + 1 < len(lines) and lines[i].text.strip() and SETEXT.match(lines[i + 1].text):
            return i if lines[i + 1].text.strip().startswith("=") else None
    return None


def parse(text: str) -> ParsedSource:
    lines = split_lines(text)
    b = _Builder(text)
    out = b.out
    i = front_matter_end(lines)
    if i:
        out.discards.append(Discard(lines[0].start, lines[i - 1].end, "boilerplate"))
        for ln in lines[1 : i - 1]:
            m = re.match(r"^title:\s*(.+)$", ln.text.strip())
            if m:
                out.title = clean(m.group(1).strip("'\""))
    b.title_line = _first_level1(lines, i, text)
    n = len(lines)

    def span(a: int, z: int) -> tuple[int, int]:
        return lines[a].span()[0], lines[z].span()[1]

    while i < n:
        ln = lines[i]
        t = ln.text
        if ln.blank:
            i += 1
            continue
        if FENCED_DIV.match(t):
            out.discards.append(Discard(*ln.span(), "boilerplate"))
            i += 1
            continue
        if FENCE.match(t):
            fence = FENCE.match(t).group(1)
            j = i + 1
            while j < n and not lines[j].text.strip().startswith(fence[0] * len(fence)):
                j += 1
            z = min(j, n - 1)
            inner = [x.text for x in lines[i + 1 : j] if x.text.strip()]
            a, e = span(i, z)
            if inner:
                body = clean(" ".join(inner))
                out.add_para(Para(doc=b.doc(), kind="text", text=body, char_start=a, char_end=e, page=b.page))
            else:
                out.discards.append(Discard(a, e, "boilerplate"))
            i = z + 1
            continue
        if COMMENT_START.match(t):
            j = i
            while j < n and "-->" not in lines[j].text:
                j += 1
            z = min(j, n - 1)
            out.discards.append(Discard(*span(i, z), "boilerplate"))
            i = z + 1
            continue
        m = ATX.match(t)
        if m:
            b.heading(len(m.group(1)), m.group(2) or "", *ln.span(), i)
            i += 1
            continue
        if i + 1 < n and SETEXT.match(lines[i + 1].text) and not is_block_start(t) and not TABLE_ROW.match(t):
            level = 1 if lines[i + 1].text.strip().startswith("=") else 2
            a, e = span(i, i + 1)
            b.heading(level, t, a, e, i)
            i += 2
            continue
        if HR.match(t) or LINK_DEF.match(t):
            out.discards.append(Discard(*ln.span(), "boilerplate"))
            i += 1
            continue
        pg = page_number(t)
        if pg is not None and (i == 0 or lines[i - 1].blank) and (i + 1 >= n or lines[i + 1].blank):
            out.discards.append(Discard(*ln.span(), "page_number"))
            b.page = pg + 1
            i += 1
            continue
        m = NOTE_DEF.match(t)
        if m:
            label = m.group(1)
            pieces = [t[m.end():]]
            j = i + 1
            while j < n:
                nxt = lines[j].text
                if lines[j].blank:
                    if j + 1 < n and re.match(r"^(?: {2,}|\t)\S", lines[j + 1].text):
                        j += 1
                        continue
                    break
                if NOTE_DEF.match(nxt) or (is_block_start(nxt) and not re.match(r"^(?: {2,}|\t)", nxt)):
                    break
                pieces.append(nxt.strip())
                j += 1
            a, e = span(i, j - 1)
            b.note(label, pieces, a, e)
            i = j
            continue
        if TABLE_ROW.match(t):
            j = i
            while j < n and TABLE_ROW.match(lines[j].text):
                row = lines[j]
                if TABLE_SEP.match(row.text):
                    out.discards.append(Discard(*row.span(), "boilerplate"))
                else:
                    cells = [c.strip() for c in row.text.strip().strip("|").split("|")]
                    b.para("table_row", [" | ".join(c for c in cells if c)], *row.span())
                j += 1
            i = j
            continue
        if QUOTE.match(t):
            j = i
            group: list[int] = []
            while j < n and QUOTE.match(lines[j].text):
                inner = QUOTE.sub("", lines[j].text, count=1)
                if inner.strip():
                    group.append(j)
                elif group:
                    a, e = span(group[0], group[-1])
                    b.para("quote", [QUOTE.sub("", lines[k].text, count=1) for k in group], a, e)
                    group = []
                j += 1
            if group:
                a, e = span(group[0], group[-1])
                b.para("quote", [QUOTE.sub("", lines[k].text, count=1) for k in group], a, e)
            for k in range(i, j):  # bare ">" lines
                if k not in group and not QUOTE.sub("", lines[k].text, count=1).strip():
                    out.discards.append(Discard(*lines[k].span(), "boilerplate"))
            i = j
            continue
        m = LIST_ITEM.match(t)
        if m and not HR.match(t):
            pieces = [t[m.end():]]
            j = i + 1
            while j < n and not lines[j].blank and not LIST_ITEM.match(lines[j].text) and not is_block_start(lines[j].text):
                pieces.append(lines[j].text.strip())
                j += 1
            b.para("list_item", pieces, *span(i, j - 1))
            i = j
            continue
        j = i + 1
        while j < n and not lines[j].blank and not is_block_start(lines[j].text) and not (
            j + 1 < n and SETEXT.match(lines[j + 1].text) and lines[j + 1].text.strip().startswith("=")
        ):
            if SETEXT.match(lines[j].text) and lines[j].text.strip().startswith("="):
                break
            j += 1
        if j < n and SETEXT.match(lines[j].text) and j == i + 1:
            j = i + 1
        b.para("text", [x.text for x in lines[i:j]], *span(i, j - 1))
        i = j
    b.link()
    if not out.title:
        head = next((p for p in out.paras if p.kind == "heading"), None)
        out.title = head.text if head else None
    out.docs[0].title = out.title
    return out
