"""ParsedSource (parser records) → contract rows for the per-source tables.

Assigns IDs derived from position (``<source_id>:p000012345.00``: the raw offset where the
record starts, so they are stable for the same input and survive parser changes elsewhere in
the file; sorting by ID gives document order), ``seq``, line numbers, depths, word and paragraph
counts, page ranges; and records every non-whitespace character that no paragraph, note or
discard covers as ``discarded_text`` with reason ``other`` — nothing disappears silently.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import fields

from pipelines.parsing.records import ParsedSource, Work
from pipelines.parsing.text import n_words


class LineIndex:
    """Character offset → 1-based raw line number."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.line(start), self.line(max(start, end - 1))


OFFSET_DIGITS = 9  # raw offsets up to 1e9 characters keep the IDs' sort order = document order


def _at(offset: int) -> str:
    return f"{offset:0{OFFSET_DIGITS}d}"


def make_ids(source_id: str, prefix: str, starts: list[int], ranks: list[int] | None = None) -> list[str]:
    """IDs from position: ``<source_id>:<prefix><raw char_start>`` (plus ``.<rank>`` for records
    that share a start, e.g. a document and its first child), so a parser change that leaves a
    paragraph where it was leaves its ID alone, and sorting by ID is document order."""
    ranks = ranks or [0] * len(starts)
    ids, seen = [], set()
    for start, rank in zip(starts, ranks):
        base = f"{source_id}:{prefix}{_at(start)}"
        k = rank
        rid = f"{base}.{k:02d}"
        while rid in seen:
            k += 1
            rid = f"{base}.{k:02d}"
        seen.add(rid)
        ids.append(rid)
    return ids


def merge_spans(spans: list[tuple[int, int]]) -> list[list[int]]:
    """Sorted, non-overlapping [start, end] intervals covering the same characters as ``spans``."""
    merged: list[list[int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


_TEXT_LINE = re.compile(r"[^\n]*\S[^\n]*")  # a line piece holding some non-whitespace


def uncovered_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of non-whitespace text (one per line piece) that no span in ``spans`` covers."""
    merged = merge_spans(spans)
    gaps, pos = [], 0
    for a, b in merged + [[len(text), len(text)]]:
        if a > pos:
            for m in _TEXT_LINE.finditer(text, pos, a):  # (as in text[pos:a]: no anchors)
                seg = m.group(0)
                lead = len(seg) - len(seg.lstrip())
                gaps.append((m.start() + lead, m.start() + len(seg.rstrip())))
        pos = max(pos, b)
    return gaps


_WORK_FIELDS = tuple(f.name for f in fields(Work))


def _work_row(w: Work) -> dict:
    """``dataclasses.asdict(w)`` for a Work (whose fields all hold immutable values), faster."""
    return {name: getattr(w, name) for name in _WORK_FIELDS}


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
    last_page: list[int | None] = [None] * len(docs)  # page of the last paragraph in each subtree
    for p, w in zip(paras, para_words):
        direct_paras[p.doc] += 1
        direct_words[p.doc] += w
        d = p.doc
        while d is not None:  # a paragraph belongs to every ancestor too
            if p.page is not None:
                pages[d].append(p.page)
            last_page[d] = p.page
            d = docs[d].parent

    doc_ids = make_ids(source_id, "d", [d.char_start for d in docs], depth)
    para_ids = make_ids(source_id, "p", [p.char_start for p in paras])
    note_ids = make_ids(source_id, "c", [n.char_start for n in notes])
    # an event is placed at its paragraph; several events of one paragraph are ranked in order
    event_ids = make_ids(source_id, "e", [paras[e.para].char_start for e in parsed.events])

    documents = []
    for i, d in enumerate(docs):
        ls, le = idx.span(d.char_start, d.char_end)
        documents.append(
            {
                "doc_id": doc_ids[i],
                "source_id": source_id,
                "parent_doc_id": None if d.parent is None else doc_ids[d.parent],
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
                # a derived end page only when the document's last paragraph has a page
                "page_end": d.page_end if d.page_end is not None else (
                    max(pages[i], default=None) if last_page[i] is not None else None),
                "n_paragraphs": direct_paras[i],
                "n_words": direct_words[i],
            }
        )

    paragraphs = []
    for i, p in enumerate(paras):
        ls, le = idx.span(p.char_start, p.char_end)
        paragraphs.append(
            {
                "paragraph_id": para_ids[i],
                "doc_id": doc_ids[p.doc],
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
                "page_estimated": None if p.page is None else p.page_estimated is not False,
            }
        )

    citations = []
    for i, n in enumerate(notes):
        ls, le = idx.span(n.char_start, n.char_end)
        citations.append(
            {
                "citation_id": note_ids[i],
                "source_id": source_id,
                "doc_id": doc_ids[n.doc],
                "paragraph_id": None if n.para is None else para_ids[n.para],
                "kind": n.kind,
                "marker": n.marker,
                "anchor_char": n.anchor_char,
                "text": n.text,
                "refers_to": None if n.refers_to is None else note_ids[n.refers_to],
                "cited_works": [_work_row(w) for w in n.cited_works],
                "line_start": ls,
                "line_end": le,
                "char_start": n.char_start,
                "char_end": n.char_end,
            }
        )

    events = [
        {
            "event_id": event_ids[i],
            "source_id": source_id,
            "paragraph_id": para_ids[e.para],
            "date_start": e.date_start,
            "date_end": e.date_end,
            "date_precision": e.date_precision,
            "date_text": e.date_text,
            "text": e.text,
            "kind": e.kind,
            "date_old_style": e.date_old_style,
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
