"""One raw file → the rows of every per-source table (pure: bytes in, rows out)."""

from __future__ import annotations

import gc
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipelines.parsing.assemble import assemble
from pipelines.parsing.decode import Rejected, decode
from pipelines.parsing.detect import detect_format
from pipelines.parsing.formats import parser_for
from pipelines.parsing.records import Event, ParsedSource

MAX_ID_CHARS = 100
PER_SOURCE = ("documents", "paragraphs", "citations", "events", "discarded_text")


def source_id_for(path: str) -> str:
    """The raw file's name without extension, lower-cased, reduced to ``[a-z0-9_-]``."""
    stem = PurePosixPath(path).name
    if "." in stem.lstrip("."):
        stem = stem[: stem.rindex(".")]
    sid = re.sub(r"[^a-z0-9_-]+", "_", stem.lower()).strip("_") or "source"
    if len(sid) > MAX_ID_CHARS:  # keep directory names well under file-system limits
        sid = f"{sid[:MAX_ID_CHARS - 9]}-{hashlib.sha256(stem.encode()).hexdigest()[:8]}"
    return sid


# paragraph kinds whose sentences may state dated events (not headings, contents rows,
# chronology entries — those are events already — or editorial date lines)
RUNNING_TEXT = ("text", "quote", "list_item")


def enrich(parsed: ParsedSource, text: str) -> None:
    """Layout-independent passes over a parsed source: the works each note cites, and the
    dated events stated in running text."""
    from pipelines.extraction.text_events import find_text_events
    from pipelines.parsing.references import cite_notes

    cite_notes(parsed.notes, raw=text)
    for i, para in enumerate(parsed.paras):
        if para.kind not in RUNNING_TEXT:
            continue
        for ev in find_text_events(para.text):
            parsed.events.append(
                Event(
                    para=i,
                    kind="text",
                    text=ev.text,
                    date_start=ev.date_start,
                    date_end=ev.date_end,
                    date_precision=ev.date_precision,
                    date_text=ev.date_text,
                    date_old_style=ev.date_old_style,
                )
            )
    # events in document order: chronology entries and text events of one paragraph together
    parsed.events.sort(key=lambda e: (e.para, e.kind != "chronology"))


@dataclass
class SourceResult:
    source: dict
    tables: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in PER_SOURCE})
    text: str | None = None
    format_evidence: str | None = None


@contextmanager
def cyclic_gc_paused():
    """Python's cycle collector off for the block (as it was after): parsing allocates
    millions of objects, and every collection pass walked the live ones again (4-5% of the
    parse's CPU spent in collections, measured on the 10x corpus), while parsing leaves next
    to no reference cycles to collect (reference counting frees everything else as usual)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def longest_line(text: str) -> int:
    return max(map(len, text.split("\n")), default=0)


def process_source(
    data: bytes, path: str, source_id: str, parser_version: str, max_line_chars: int | None = None
) -> SourceResult:
    """Decode, detect the layout, parse and assemble. A file that cannot be text becomes a
    ``rejected`` sources row with its reason; a parser failure likewise (never a crash)."""
    row = {
        "source_id": source_id,
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "n_bytes": len(data),
        "encoding": None,
        "format": None,
        "title": None,
        "status": "rejected",
        "reject_reason": None,
        "parser_version": parser_version,
    }
    try:
        text, encoding = decode(data)
    except Rejected as e:
        row["reject_reason"] = str(e)
        return SourceResult(row)
    # (a rejected row keeps encoding null, as the contract says, even when decoding worked)
    if max_line_chars and len(text) > max_line_chars and longest_line(text) > max_line_chars:
        row["reject_reason"] = (
            f"a line of {longest_line(text)} characters (limit {max_line_chars}; raise MAX_LINE_CHARS): "
            "not a text document"
        )
        return SourceResult(row, text=text)
    fmt, evidence = detect_format(text)
    try:
        with cyclic_gc_paused():
            parsed = parser_for(fmt)(text)
            enrich(parsed, text)
            tables = assemble(source_id, text, parsed)
    except Exception as e:  # a parser bug must not take the build down: quarantine the file
        row["reject_reason"] = f"parser error ({fmt}): {type(e).__name__}: {e}"
        return SourceResult(row, text=text, format_evidence=evidence)
    row.update(status="ok", title=parsed.title, encoding=encoding, format=fmt)
    return SourceResult(row, tables, text, evidence)
