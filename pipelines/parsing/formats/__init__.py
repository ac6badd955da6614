"""One parser per layout: ``parse(text) -> ParsedSource`` (see ``pipelines.parsing.records``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pipelines.parsing.records import ParsedSource

# format name -> "module" (its parse(text)) or "module:function" under pipelines.parsing.formats
PARSERS = {
    "ocr_book": "ocr_book",
    "markdown_book": "markdown_book",
    "web_collection": "web_collection",
    "wiki_page": "wiki_page",
    "web_excerpt": "web_excerpt",
    "plain": "plain",
    "html": "html",
    "tei_xml": "tei",
    "xml": "tei:parse_xml",
    "markdown": "markdown",
    "treaty_text": "treaty_text",
}


def parser_for(fmt: str) -> Callable[[str], ParsedSource]:
    """The parse function of a layout; the generic one where a layout has none yet."""
    name, _, func = PARSERS.get(fmt, "plain").partition(":")
    try:
        module = importlib.import_module(f"pipelines.parsing.formats.{name}")
    except ModuleNotFoundError:
        module = importlib.import_module("pipelines.parsing.formats.plain")
        return lambda text: module.parse(text, fmt)
    return getattr(module, func or "parse")
