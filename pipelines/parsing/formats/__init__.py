"""One parser per layout: ``parse(text) -> ParsedSource`` (see ``pipelines.parsing.records``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pipelines.parsing.records import ParsedSource

# format name -> module under pipelines.parsing.formats exposing parse(text)
PARSERS = {
    "ocr_book": "ocr_book",
    "markdown_book": "markdown_book",
    "web_collection": "web_collection",
    "wiki_page": "wiki_page",
    "web_excerpt": "web_excerpt",
    "plain": "plain",
}


def parser_for(fmt: str) -> Callable[[str], ParsedSource]:
    """The parse function of a layout; the generic one where a layout has none yet."""
    name = PARSERS.get(fmt, "plain")
    try:
        module = importlib.import_module(f"pipelines.parsing.formats.{name}")
    except ModuleNotFoundError:
        module = importlib.import_module("pipelines.parsing.formats.plain")
        return lambda text: module.parse(text, fmt)
    return module.parse
