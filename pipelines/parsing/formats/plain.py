"""Generic fallback layout: blank-line separated blocks are paragraphs.

Used for ``plain`` text and any layout without a parser of its own. A block of one short
line without final punctuation followed by text is taken as a heading; the first such
line of the file is the title."""

from __future__ import annotations

from pipelines.parsing.records import Doc, Para, ParsedSource
from pipelines.parsing.text import Vocabulary, clean, line_blocks, reflow, split_lines


def looks_like_heading(block_text: str) -> bool:
    t = block_text.strip()
    return 0 < len(t) <= 120 and "\n" not in t and not t.endswith((".", ",", ";", ":")) and t[:1].isupper()


def parse(text: str, fmt: str = "plain") -> ParsedSource:
    lines = split_lines(text)
    vocab = Vocabulary.from_text(text)
    blocks = line_blocks(lines)
    title = clean(blocks[0][0].text) if blocks and looks_like_heading(blocks[0][0].text) else None
    out = ParsedSource(format=fmt, title=title)
    root = out.add_doc(Doc(kind="page", char_start=0, char_end=len(text), title=title))
    for block in blocks:
        start, end = block[0].span()[0], block[-1].span()[1]
        body = reflow([ln.text for ln in block], vocab)
        if not body:
            continue
        kind = "heading" if len(block) == 1 and looks_like_heading(block[0].text) else "text"
        out.add_para(Para(doc=root, kind=kind, text=body, char_start=start, char_end=end))
    return out
