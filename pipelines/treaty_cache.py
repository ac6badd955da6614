"""Treaty evidence, incrementally: a per-source cache that makes the treaty step cost one
source's work when one source changed (the sibling of ``pipelines.mentions_cache``).

What a source's paragraphs and chronology entries say about treaties (``source_evidence``:
dated events with their evidence, treaties the gazetteer lacks, pattern mentions) depends only
on that source, the gazetteers and the source's cached mentions. It is cached under
``<output>/.cache/treaties/`` — one Parquet file per source, a single row of three lists —
keyed like the mentions (content hash, parser version, extraction version) plus ``FORMAT``;
a changed source is computed again (in parallel processes when several are), a deleted
source's file is dropped. ``refresh`` must run after ``mentions_cache.refresh``: the evidence
is built on the source's cached mentions. The corpus tables are then one cheap
``treaty_tables`` over the cached parts: the same rows as one ``build_treaty_tables`` over the
whole corpus (tests/test_incremental.py checks this)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import mentions_cache, storage
from pipelines.extraction.treaties import Evidence, NewTreaty, SourceEvidence, load_gazetteer, source_evidence
from pipelines.settings import Settings
from schemas import TABLES, arrow_schema

FORMAT = "1"  # bump when the layout below changes: every cached file is then computed again
KEY = mentions_cache.KEY
PARAGRAPH_COLUMNS = ["paragraph_id", "doc_id", "source_id", "kind", "text"]

EVIDENCE = pa.struct([
    ("treaty_id", pa.string()), ("event", pa.string()), ("date", pa.date32()), ("date_text", pa.string()),
    ("paragraph_id", pa.string()), ("source_id", pa.string()), ("rank", pa.int8()),
    ("parties", pa.list_(pa.string())), ("place", pa.string()), ("date_end", pa.date32()),
])
NEW = pa.struct([("id", pa.string()), ("name", pa.string()), ("treaty_type", pa.string()),
                 ("parties", pa.list_(pa.string()))])
SCHEMA = pa.schema([
    ("evidence", pa.list_(EVIDENCE)),
    ("new", pa.list_(NEW)),
    ("pattern", pa.list_(pa.struct(list(arrow_schema(TABLES["entity_mentions"]))))),
])


def cache_dir(settings: Settings) -> Path:
    return settings.output_dir / ".cache" / "treaties"


def _path(settings: Settings, source_id: str) -> Path:
    return cache_dir(settings) / f"{source_id}.treaties.parquet"


def cache_key(source_row: dict, extraction_version: str) -> str:
    return f"{mentions_cache.cache_key(source_row, extraction_version)}:{FORMAT}"


def compute_source(settings: Settings, source_id: str, key: str) -> int:
    """Read one source's paragraphs, events and cached treaty mentions, cache its evidence;
    returns the number of evidence rows."""
    paragraphs = mentions_cache.read_rows(storage.partition_path(settings.parquet_dir, "paragraphs", source_id), PARAGRAPH_COLUMNS)
    events = mentions_cache.read_rows(storage.partition_path(settings.parquet_dir, "events", source_id))
    return compute_from(settings, source_id, key, paragraphs, events, mentions_cache.mentions_table(settings, [source_id]))


def compute_from(settings: Settings, source_id: str, key: str, paragraphs: list[dict], events: list[dict],
                 mentions: pa.Table) -> int:
    """Cache the evidence of one source given its rows (``mentions``: its entity mentions in
    table order); returns the number of evidence rows."""
    mentions = mentions.filter(pc.starts_with(mentions["entity_id"], "treaty:")).to_pylist()
    part = source_evidence(paragraphs, events, mentions)
    write_part(settings, source_id, part, key)
    return len(part.evidence)


def write_part(settings: Settings, source_id: str, part: SourceEvidence, key: str) -> None:
    """Cache one source's evidence under ``key`` (written to staging, then moved in place)."""
    storage.validate_rows("entity_mentions", part.pattern)
    row = {
        "evidence": [{**vars(e), "parties": list(e.parties)} for e in part.evidence],
        "new": [{**vars(n), "parties": list(n.parties)} for n in part.new],
        "pattern": part.pattern,
    }
    mentions_cache.write_cached(settings, pa.Table.from_pylist([row], schema=SCHEMA), _path(settings, source_id), key)


def _compute_in_worker(args) -> int:
    return compute_source(*args)


def refresh(settings: Settings, extraction_version: str, workers: int | None = None) -> dict[str, int]:
    """Bring the cache in line with the published ``sources`` (after ``mentions_cache.refresh``);
    returns counts of sources reused / computed / dropped."""
    sources = storage.read_table(settings.parquet_dir, "sources", ["source_id", "sha256", "parser_version", "status"])
    wanted = {r["source_id"]: cache_key(r, extraction_version) for r in sources.to_dicts() if r["status"] == "ok"}
    d = cache_dir(settings)
    present = {p.name.split(".", 1)[0] for p in d.glob("*.parquet")} if d.is_dir() else set()
    for sid in sorted(present - set(wanted)):
        _path(settings, sid).unlink(missing_ok=True)
    keys = mentions_cache.cached_keys([_path(settings, sid) for sid in sorted(wanted)])
    todo = [(sid, key) for sid, key in sorted(wanted.items()) if keys[_path(settings, sid)] != key]
    if todo:
        load_gazetteer()  # loaded once here; forked workers inherit it
    mentions_cache.compute_all(settings, _compute_in_worker, todo, workers)
    return {"reused": len(wanted) - len(todo), "computed": len(todo), "dropped": len(present - set(wanted))}


def read_parts(settings: Settings, ids: list[str]) -> list[SourceEvidence]:
    """The cached evidence of ``ids``, in that order (``treaty_tables`` wants source_id order)."""
    return parts_of(read_table(settings, ids))


def read_table(settings: Settings, ids: list[str]) -> pa.Table:
    """The cache files of ``ids`` (one row each, ``SCHEMA``), in that order. A file read by
    ``ParquetFile`` (500 files: 0.9 -> 0.6 CPU-s against ``pq.read_table``)."""
    if not ids:
        return SCHEMA.empty_table()
    return pa.concat_tables([pq.ParquetFile(_path(settings, sid)).read(use_threads=False).replace_schema_metadata(None)
                             for sid in ids])


def parts_of(table: pa.Table) -> list[SourceEvidence]:
    """``SourceEvidence`` of each row of a ``read_table`` table."""
    parts = []
    for evidence, new, pattern in zip(*(table[c].to_pylist() for c in ("evidence", "new", "pattern"))):
        parts.append(SourceEvidence(
            [Evidence(**{**e, "parties": tuple(e["parties"] or ())}) for e in evidence],
            [NewTreaty(**{**n, "parties": tuple(n["parties"] or ())}) for n in new],
            pattern,
        ))
    return parts
