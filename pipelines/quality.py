"""The contract's rules as plain functions over the published tables (no Dagster here).

Each function returns ``CheckOutcome(passed, metadata)``; ``pipelines/defs/checks.py`` turns
them into asset checks, and the tests call them directly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipelines import storage
from pipelines.parsing.decode import Rejected, decode
from pipelines.rawdir import scan
from schemas import CONTRACT_VERSION, TABLES, arrow_schema, enum_values, id_column
from schemas.tables import is_nullable


@dataclass
class CheckOutcome:
    passed: bool
    metadata: dict = field(default_factory=dict)
    description: str = ""


KEYS = {
    "sources": ["source_id"],
    "documents": ["doc_id"],
    "paragraphs": ["paragraph_id"],
    "citations": ["citation_id"],
    "events": ["event_id"],
    "discarded_text": ["source_id", "char_start", "char_end"],
    "entities": ["entity_id"],
    "entity_mentions": ["entity_id", "paragraph_id", "char_start"],
    "treaties": ["treaty_id"],
    "treaty_events": ["treaty_id", "event", "paragraph_id", "date"],
}

# (table, column) -> (table, column) it must point to
REFERENCES = [
    ("documents", "parent_doc_id", "documents", "doc_id"),
    ("documents", "source_id", "sources", "source_id"),
    ("paragraphs", "doc_id", "documents", "doc_id"),
    ("citations", "doc_id", "documents", "doc_id"),
    ("citations", "paragraph_id", "paragraphs", "paragraph_id"),
    ("citations", "refers_to", "citations", "citation_id"),
    ("events", "paragraph_id", "paragraphs", "paragraph_id"),
    ("discarded_text", "source_id", "sources", "source_id"),
    ("entity_mentions", "entity_id", "entities", "entity_id"),
    ("entity_mentions", "paragraph_id", "paragraphs", "paragraph_id"),
    ("entity_mentions", "doc_id", "documents", "doc_id"),
    ("treaties", "treaty_id", "entities", "entity_id"),
    ("treaty_events", "treaty_id", "treaties", "treaty_id"),
    ("treaty_events", "paragraph_id", "paragraphs", "paragraph_id"),
]

DATE_COLUMNS = {
    "documents": ["date", "date_old_style"],
    "events": ["date_start", "date_end"],
    "treaties": ["date_signed"],
    "treaty_events": ["date"],
}
PLAUSIBLE = (dt.date(1800, 1, 1), dt.date(1991, 12, 31))


def load(parquet_dir: Path, table: str, cache: dict | None = None) -> pl.DataFrame:
    """A whole table, read once per ``cache`` (checks of one step share their reads)."""
    if cache is None:
        return storage.read_table(parquet_dir, table)
    if table not in cache:
        cache[table] = storage.read_table(parquet_dir, table)
    return cache[table]


def check_contract(parquet_dir: Path, table: str, cache: dict | None = None) -> CheckOutcome:
    """Schema (names, types, contract version), unique keys, non-null and enumerations."""
    model = TABLES[table]
    expected = arrow_schema(model)
    problems: list[str] = []
    for f in sorted((parquet_dir / table).glob("**/*.parquet")):
        schema = pq.read_schema(f)
        if [(x.name, x.type) for x in schema] != [(x.name, x.type) for x in expected]:
            problems.append(f"{f.relative_to(parquet_dir)}: columns/types differ from the model")
        meta = schema.metadata or {}
        if meta.get(b"contract_version", b"").decode() != CONTRACT_VERSION:
            problems.append(f"{f.relative_to(parquet_dir)}: contract_version missing or wrong")
    df = load(parquet_dir, table, cache)
    key = KEYS[table]
    dupes = df.height - df.select(key).unique().height if df.height else 0
    if dupes:
        problems.append(f"{dupes} duplicate keys on {key}")
    for name, f in model.model_fields.items():
        if not is_nullable(f):
            nulls = df[name].null_count()
            if nulls:
                problems.append(f"{nulls} nulls in non-nullable {name}")
    for col, values in enum_values(model).items():
        bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).is_in(values))[col].unique().to_list()
        if bad:
            problems.append(f"{col}: values outside the contract: {bad[:5]}")
    idc = id_column(model)
    if idc and df.height and not df[idc].is_sorted():
        problems.append(f"rows not sorted by {idc}")
    return CheckOutcome(not problems, {"rows": df.height, "problems": "; ".join(problems) or "none"})


def check_references(parquet_dir: Path, table: str, cache: dict | None = None) -> CheckOutcome:
    """Every reference from ``table`` to another table resolves."""
    problems, checked = [], 0
    cache = {} if cache is None else cache

    for src, col, dst, dst_col in REFERENCES:
        if src != table:
            continue
        values = load(parquet_dir, src, cache)[col].drop_nulls()
        targets = load(parquet_dir, dst, cache)[dst_col]
        missing = values.filter(~values.is_in(targets.implode()))
        checked += len(values)
        if len(missing):
            problems.append(f"{len(missing)} {col} not in {dst}.{dst_col} (e.g. {missing[0]})")
    return CheckOutcome(not problems, {"references_checked": checked, "problems": "; ".join(problems) or "none"})


def check_dates(parquet_dir: Path, table: str, cache: dict | None = None) -> CheckOutcome:
    """Dates fall between 1800 and 1991."""
    df = load(parquet_dir, table, cache)
    problems = []
    for col in DATE_COLUMNS.get(table, []):
        bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).is_between(*PLAUSIBLE))
        if bad.height:
            problems.append(f"{bad.height} {col} outside {PLAUSIBLE[0]}..{PLAUSIBLE[1]} (e.g. {bad[col][0]})")
    return CheckOutcome(not problems, {"problems": "; ".join(problems) or "none"})


def _non_ws(s: str) -> int:
    return len("".join(s.split()))


def coverage(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """(non-whitespace characters of ``text`` inside some span, all non-whitespace characters)."""
    covered, end = 0, 0
    for a, b in sorted(spans):
        a = max(a, end)  # count overlapping spans once
        if b > a:
            covered += _non_ws(text[a:b])
            end = b
    return covered, _non_ws(text)


def check_coverage(parquet_dir: Path, raw_dir: Path, include: list[str], minimum: float = 0.999,
                   cache: dict | None = None) -> CheckOutcome:
    """Every non-whitespace raw character lies in a paragraph, citation or discarded span
    (re-read from the raw files), per source; also reports the unexplained (`other`) share."""
    spans: dict[str, list[tuple[int, int]]] = {}
    other: dict[str, int] = {}
    for table in ("paragraphs", "citations", "discarded_text"):
        df = load(parquet_dir, table, cache)
        for sid, a, b in df.select("source_id", "char_start", "char_end").iter_rows():
            spans.setdefault(sid, []).append((a, b))
        if table == "discarded_text":
            o = df.filter(pl.col("reason") == "other")
            for sid, t in o.select("source_id", "text").iter_rows():
                other[sid] = other.get(sid, 0) + sum(1 for c in t if not c.isspace())
    sources = load(parquet_dir, "sources", cache).filter(pl.col("status") == "ok")
    by_id = {r.source_id: r for r in scan(raw_dir, include)}
    meta, worst = {}, 1.0
    for sid in sources["source_id"].to_list():
        raw = by_id.get(sid)
        if raw is None:
            continue
        try:
            text, _ = decode(raw.abspath.read_bytes())
        except (OSError, Rejected):
            continue
        cov, total = coverage(text, spans.get(sid, []))
        share = cov / total if total else 1.0
        worst = min(worst, share)
        meta[f"coverage/{sid}"] = round(share, 6)
        meta[f"unexplained/{sid}"] = round(other.get(sid, 0) / total, 6) if total else 0.0
    meta["minimum"] = round(worst, 6)
    return CheckOutcome(worst >= minimum, meta)
