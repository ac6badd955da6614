"""ParsedSource (parser records) → contract rows for the per-source tables.

Assigns IDs (``<source_id>:d0001``, ``:p00001``, ``:c0001``, ``:e00001``: position in the
source, so stable for the same input), ``seq``, line numbers, depths, word and paragraph
counts, page ranges; and records every non-whitespace character that no paragraph, note or
discard covers as ``discarded_text`` with reason ``other`` — nothing disappears silently.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict

from pipelines.parsing.records import ParsedSource
from pipelines.parsing.text import n_words


class LineIndex:
    """Character offset → 1-based raw line number."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.line(start), self.line(max(start, end - 1))


def doc_id(source_id: str, i: int) -> str:
    return f"{source_id}:d{i + 1:04d}"


def paragraph_id(source_id: str, i: int) -> str:
    return f"{source_id}:p{i + 1:05d}"


def citation_id(source_id: str, i: int) -> str:
    return f"{source_id}:c{i + 1:04d}"


def event_id(source_id: str, i: int) -> str:
    return f"{source_id}:e{i + 1:05d}"


def uncovered_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of non-whitespace text (one per line piece) that no span in ``spans`` covers."""
    merged: list[list[int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    gaps, pos = [], 0
    for a, b in merged + [[len(text), len(text)]]:
        if a > pos:
            for m in re.finditer(r"[^\n]*\S[^\n]*", text[pos:a]):
                seg = m.group(0)
                lead = len(seg) - len(seg.lstrip())
                gaps.append((pos + m.start() + lead, pos + m.start() + len(seg.rstrip())))
        pos = max(pos, b)
    return gaps


def assemble(source_id: str, text: str, parsed: ParsedSource) -> dict[str, list[dict]]:
    """→ rows of documents, paragraphs, citations, events, discarded_text."""
    idx = LineIndex(text)
    docs, paras, notes = parsed.docs, parsed.paras, parsed.notes

    depth: list[int] = []
    for d in docs:
        depth.append(0 if d.parent is None else depth[d.parent] + 1)
    direct_paras = [0] * len(docs)
    direct_words = [0] * len(docs)
    pages: list[list[int]] = [[] for _ in docs]
    para_words = [n_words(p.text) for p in paras]
    for p, w in zip(paras, para_words):
        direct_paras[p.doc] += 1
        direct_words[p.doc] += w
        if p.page is not None:
            d = p.doc
            while d is not None:  # a page belongs to every ancestor too
                pages[d].append(p.page)
                d = docs[d].parent

    documents = []
    for i, d in enumerate(docs):
        ls, le = idx.span(d.char_start, d.char_end)
        documents.append(
            {
                "doc_id": doc_id(source_id, i),
                "source_id": source_id,
                "parent_doc_id": None if d.parent is None else doc_id(source_id, d.parent),
                "seq": i + 1,
                "depth": depth[i],
                "kind": d.kind,
                "title": d.title,
                "author": d.author,
                "date": d.date,
                "date_precision": d.date_precision,
                "date_old_style": d.date_old_style,
                "date_text": d.date_text,
                "place": d.place,
                "provenance": d.provenance,
                "line_start": ls,
                "line_end": le,
                "char_start": d.char_start,
                "char_end": d.char_end,
                "page_start": d.page_start if d.page_start is not None else min(pages[i], default=None),
                "page_end": d.page_end if d.page_end is not None else max(pages[i], default=None),
                "n_paragraphs": direct_paras[i],
                "n_words": direct_words[i],
            }
        )

    paragraphs = []
    for i, p in enumerate(paras):
        ls, le = idx.span(p.char_start, p.char_end)
        paragraphs.append(
            {
                "paragraph_id": paragraph_id(source_id, i),
                "doc_id": doc_id(source_id, p.doc),
                "source_id": source_id,
                "seq": i + 1,
                "kind": p.kind,
                "text": p.text,
                "page": p.page,
                "line_start": ls,
                "line_end": le,
                "char_start": p.char_start,
                "char_end": p.char_end,
                "n_words": para_words[i],
            }
        )

    citations = []
    for i, n in enumerate(notes):
        ls, le = idx.span(n.char_start, n.char_end)
        citations.append(
            {
                "citation_id": citation_id(source_id, i),
                "source_id": source_id,
                "doc_id": doc_id(source_id, n.doc),
                "paragraph_id": None if n.para is None else paragraph_id(source_id, n.para),
                "kind": n.kind,
                "marker": n.marker,
                "anchor_char": n.anchor_char,
                "text": n.text,
                "refers_to": None if n.refers_to is None else citation_id(source_id, n.refers_to),
                "cited_works": [asdict(w) for w in n.cited_works],
                "line_start": ls,
                "line_end": le,
                "char_start": n.char_start,
                "char_end": n.char_end,
            }
        )

    events = [
        {
            "event_id": event_id(source_id, i),
            "source_id": source_id,
            "paragraph_id": paragraph_id(source_id, e.para),
            "date_start": e.date_start,
            "date_end": e.date_end,
            "date_precision": e.date_precision,
            "date_text": e.date_text,
            "text": e.text,
            "kind": e.kind,
        }
        for i, e in enumerate(parsed.events)
    ]

    spans = [(x.char_start, x.char_end) for x in (*paras, *notes, *parsed.discards)]
    discards = [(d.char_start, d.char_end, d.reason) for d in parsed.discards]
    discards += [(a, b, "other") for a, b in uncovered_spans(text, spans)]
    discarded = []
    for a, b, reason in sorted(discards):
        ls, le = idx.span(a, b)
        discarded.append(
            {
                "source_id": source_id,
                "line_start": ls,
                "line_end": le,
                "char_start": a,
                "char_end": b,
                "reason": reason,
                "text": text[a:b],
            }
        )

    return {
        "documents": documents,
        "paragraphs": paragraphs,
        "citations": citations,
        "events": events,
        "discarded_text": discarded,
    }
