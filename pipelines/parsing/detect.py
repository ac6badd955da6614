"""Which layout a text is in, decided from its content (never from the file name)."""

from __future__ import annotations

import re

FORMATS = ("ocr_book", "markdown_book", "web_collection", "wiki_page", "web_excerpt", "plain")


def detect_format(text: str) -> tuple[str, str]:
    """→ (format, evidence): the first rule that fits, with why."""
    lines = text.split("\n")
    n = max(len(lines), 1)
    head = text[:5000]
    long_lines = sum(1 for ln in lines if len(ln) > 400)
    if "Jump to navigation" in head or re.search(r"^Author\(s\)\s", head, re.M):
        return "wiki_page", "wiki boilerplate or an Author(s) metadata line near the top"
    table_rows = sum(1 for ln in lines if ln.startswith("|") and ln.rstrip().endswith("|"))
    md_headings = sum(1 for ln in lines if re.match(r"#{1,6} \S", ln))
    sup_marks = len(re.findall(r"[\w.,;:”\"')][¹²³⁴⁵⁶⁷⁸⁹⁰]+", text))
    if n > 1000 and (table_rows >= 5 or md_headings >= 5) and (sup_marks > 20 or "*" in text):
        return "markdown_book", f"{table_rows} Markdown table rows, {md_headings} # headings, {sup_marks} superscript markers"
    short = [ln for ln in lines if ln.strip()]
    wrapped = sum(1 for ln in short if 30 <= len(ln) <= 80)
    if n > 500 and wrapped / max(len(short), 1) > 0.7:
        return "ocr_book", f"{wrapped} of {len(short)} non-blank lines hard-wrapped at 30-80 characters"
    if re.search(r"^={5,}\s*$", text, re.M) and long_lines:
        return "web_excerpt", "an introduction above a ===== rule, paragraphs on long lines"
    if long_lines >= 5 and re.search(r"\|\s*(Home|Lenin|Stalin)", head):
        return "web_collection", f"site navigation at the top and {long_lines} paragraph lines"
    if long_lines >= 5:
        return "web_collection", f"{long_lines} one-paragraph lines"
    return "plain", "no layout rule fitted"
