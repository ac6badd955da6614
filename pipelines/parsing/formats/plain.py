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

Never raises on odd input: empty text, blank lines only, one huge line, control characters.
"""

from __future__ import annotations

import re
from collections import Counter

from pipelines.parsing.records import Discard, Doc, Para, ParsedSource
from pipelines.parsing.text import Line, Vocabulary, clean, line_blocks, reflow, split_lines

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


def parse(text: str, fmt: str = "plain") -> ParsedSource:
    lines = split_lines(text)
    vocab = vocabulary_if_needed(text)
    blocks = line_blocks(lines)
    out = ParsedSource(format=fmt)
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text)))

    def add(kind: str, group: list[Line]) -> None:
        body = reflow([ln.text for ln in group], vocab)
        if _CONTROL.search(body):
            body = clean(strip_controls(body))
        start, end = _span(group)
        if not body:  # only control characters: left to assemble() as unexplained
            return
        out.add_para(Para(doc=root, kind=kind, text=body, char_start=start, char_end=end))

    for block in [p for b in blocks for p in cap_block(b)]:
        rules = [ln for ln in block if is_rule_line(ln.text)]
        for ln in rules:
            s, e = ln.span()
            out.discards.append(Discard(s, e, "boilerplate"))
        block = [ln for ln in block if not is_rule_line(ln.text)]
        if not block:
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

    if out.paras and out.paras[0].kind == "heading":
        out.title = out.paras[0].text
        out.docs[root].title = out.title
    return out
