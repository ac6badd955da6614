"""Which layout a text is in, decided from its content (never the file name).

Rules run in order; the first that fits wins and says why (the evidence goes to
``sources.format`` and the build log). Markup first (a file that opens with a tag is HTML or
XML whatever else it holds), then the plain-text layouts from the most specific to the most
general.
"""

from __future__ import annotations

import re

from pipelines.parsing.formats.ocr_book import HATHI_PAGE
from pipelines.parsing.formats.plain import licence_frame

_LEAD = re.compile(r"^(?:\ufeff|\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_HTML_TAG = re.compile(r"<(?:p|div|br|body|a\s|table|h[1-6]|span|li|ul|head|title|meta)\b[^>]*>", re.I)
# an article heading at the start of a line, also behind Markdown heading marks (``### Article 1``),
# in the languages treaty texts of the period come in (see ``treaty_text.ARTICLE_WORD``)
ARTICLE_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:ARTICLE|Article|ART\.|Art\.|ARTIKEL|Artikel|Articolo|Artículo|Artigo|Artykuł|"
    r"СТАТЬЯ|Статья|Článek)[ \t]+(?:\d{1,3}|[IVXLC]{1,7}|[A-Z][a-z]+(?:-[a-z]+)?)\b",
    re.M,
)
SIGNING_FORMULA = re.compile(
    r"\b(?:Done|DONE|Signed|Made|Executed|Drawn up|Given)\b[^.\n]{0,40}?\b(?:at|in)\s+[A-Z]"
    r"|\bIN (?:WITNESS|FAITH) WHEREOF\b|\bIn (?:witness|faith) whereof\b|\bHigh Contracting Part(?:y|ies)\b",
)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)
_MD_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]\s]+\]:", re.M)
# an underlined heading: a short line after a blank line (or the start), then ==== or ----
_MD_SETEXT = re.compile(r"(?:\A|\n[ \t]*\n)[^\n#>|\s-][^\n]{0,79}\n(?:={3,}|-{3,})[ \t]*(?=\n|\Z)")
_MD_LINK = re.compile(r"\]\([^)\s]+\)")
_MD_LIST = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S", re.M)
_MD_HEADING_LINE = re.compile(r"#{1,6} \S")
_SUP_DIGITS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_BEFORE_SUP = re.compile(r"[\w.,;:”\"')]")
_PAGE_LINE = re.compile(r"(?:^|\n)[ \t]*\n[ \t]*\d{1,4}[ \t]*\n[ \t]*(?:\n|$)")


def markup_kind(text: str) -> tuple[str, str] | None:
    """``html``, ``tei_xml`` or ``xml`` when the text opens with markup, with the evidence."""
    lead = _LEAD.match(text)
    body = text[lead.end() if lead else 0 :]
    head = body[:4000]
    if not head.startswith("<"):
        return None
    low = head[:600].lower()
    xml_decl = text.lstrip("\ufeff \t\r\n").startswith("<?xml")
    if low.startswith("<!doctype html") or re.match(r"<html[\s>]", low):
        return "html", "opens with an <!DOCTYPE html> or <html> tag"
    if re.match(r"<(?:[\w.-]+:)?tei[\s>]", low) or "http://www.tei-c.org/ns" in head:
        return "tei_xml", "a TEI root element or the TEI namespace at the top"
    tags = len(_HTML_TAG.findall(head))
    if not xml_decl and tags >= 3:
        return "html", f"opens with markup; {tags} HTML tags in the first 4000 characters"
    if xml_decl or re.match(r"<[A-Za-z_][\w.:-]*[\s>/]", head):
        if re.search(r"</[A-Za-z_][\w.:-]*\s*>", text[-2000:]) or re.search(r"/>\s*$", text):
            return "xml", "an XML declaration or a root element opening and closing the file"
    return None


def treaty_evidence(text: str, lines: list[str]) -> str | None:
    """Article headings (``Article 1``, ``ARTICLE I``) making up the text's structure, with a
    treaty formula (``Done at``, ``In witness whereof``, ``High Contracting Parties``)."""
    articles = len(ARTICLE_HEADING.findall(text))
    if articles < 2:
        return None
    nonblank = sum(1 for ln in lines if ln.strip())
    if nonblank > 60 * articles:
        return None  # articles mentioned inside a long book, not its structure
    if not SIGNING_FORMULA.search(text):
        return None
    return f"{articles} article headings over {nonblank} lines and a signing formula"


def md_footnote_defs(text: str) -> int:
    """How many ``[^n]:`` footnote definitions start a line (none without a ``[^``)."""
    return len(_MD_FOOTNOTE_DEF.findall(text)) if "[^" in text else 0


def superscript_marks(text: str) -> int:
    """``len(re.findall(r"[\\w.,;:”\"')][¹²³⁴⁵⁶⁷⁸⁹⁰]+", text))``, looking only at the runs of
    superscript digits (found with ``str.find``, much faster here than a regular expression
    scanning every character): a run is one match when the character before it fits the class,
    else when it is two digits or more (a superscript digit is itself a ``\\w``)."""
    at = []
    for digit in _SUP_DIGITS:
        i = text.find(digit)
        while i >= 0:
            at.append(i)
            i = text.find(digit, i + 1)
    at.sort()
    n = 0
    for k, p in enumerate(at):
        if k and at[k - 1] == p - 1:
            continue  # inside a run
        longer = k + 1 < len(at) and at[k + 1] == p + 1
        if longer or (p > 0 and _BEFORE_SUP.match(text, p - 1)):
            n += 1
    return n


def markdown_evidence(text: str) -> str | None:
    # (each count skipped when the text lacks what every match needs)
    headings = len(_MD_HEADING.findall(text)) if "#" in text else 0
    notes = md_footnote_defs(text)
    setext = len(_MD_SETEXT.findall(text)) if "\n===" in text or "\n---" in text else 0
    if not (headings or notes or setext):
        return None
    links = len(_MD_LINK.findall(text))
    items = len(_MD_LIST.findall(text))
    if headings >= 2 or notes >= 1 or (headings + setext >= 1 and (links or items >= 2 or "**" in text)):
        return f"{headings} # headings, {setext} underlined headings, {notes} [^n]: notes, {links} links, {items} list items"
    return None


def detect_format(text: str) -> tuple[str, str]:
    """→ (format, evidence): the first rule that fits, with why."""
    markup = markup_kind(text)
    if markup:
        return markup
    lines = text.split("\n")
    n = max(len(lines), 1)
    head = text[:5000]
    long_lines = sum(1 for ln in lines if len(ln) > 400)
    if any(HATHI_PAGE.match(ln) for ln in lines[:400] if ln.startswith("## p.")):
        # before the Markdown rules: "## p. 12 (#20) ####" lines look like # headings
        return "ocr_book", "HathiTrust full-text page markers (## p. N (#M) ####)"
    if "Jump to navigation" in head or re.search(r"^Author\(s\)\s", head, re.M):
        return "wiki_page", "wiki boilerplate or an Author(s) metadata line near the top"
    table_rows = sum(1 for ln in lines if ln.startswith("|") and ln.rstrip().endswith("|"))
    md_headings = sum(1 for ln in lines if ln.startswith("#") and _MD_HEADING_LINE.match(ln))
    if n > 1000 and (table_rows >= 5 or md_headings >= 5):
        sup_marks = superscript_marks(text)
        if sup_marks > 20 or ("*" in text and not md_footnote_defs(text)):
            return "markdown_book", f"{table_rows} Markdown table rows, {md_headings} # headings, {sup_marks} superscript markers"
    treaty = treaty_evidence(text, lines)
    if treaty:
        return "treaty_text", treaty
    if licence_frame(text) is not None:
        # an e-text (clean, no page furniture) however hard-wrapped: the generic parser knows
        # its licence frame, chapters and [1] footnotes; ocr_book would look for scan debris
        return "plain", "a Project Gutenberg licence header (*** START OF ... ***) and footer"
    md = markdown_evidence(text)
    if md:
        return "markdown", md
    short = [ln for ln in lines if ln.strip()]
    wrapped = sum(1 for ln in short if 30 <= len(ln) <= 80)
    share = wrapped / max(len(short), 1)
    if n > 500 and share > 0.7:
        return "ocr_book", f"{wrapped} of {len(short)} non-blank lines hard-wrapped at 30-80 characters"
    if n > 60 and share > 0.7 and not long_lines:
        pages = len(_PAGE_LINE.findall(text))
        if pages >= 2:
            return "ocr_book", f"{wrapped} of {len(short)} lines hard-wrapped and {pages} page-number lines"
    if long_lines and "=====" in text and re.search(r"^={5,}\s*$", text, re.M):
        return "web_excerpt", "an introduction above a ===== rule, paragraphs on long lines"
    if long_lines >= 5 and re.search(r"\|\s*(Home|Lenin|Stalin)", head):
        return "web_collection", f"site navigation at the top and {long_lines} paragraph lines"
    if long_lines >= 5:
        # a collection of documents shows where one opens or ends; an article of long lines
        # (a saved wiki or news text) does not, and is read by the generic parser
        from pipelines.parsing.formats.web_collection import is_doc_heading, is_source_note

        marks = sum(1 for ln in short if is_doc_heading(ln.strip()) or is_source_note(ln.strip()))
        if marks:
            return "web_collection", f"{long_lines} one-paragraph lines, {marks} document headings or source notes"
        return "plain", f"{long_lines} one-paragraph lines, no document heading or source note"
    return "plain", "no layout rule fitted"
