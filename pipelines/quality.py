"""The contract's rules as plain functions over the published tables (no Dagster here).

Each function returns ``CheckOutcome(passed, metadata)``; ``pipelines/defs/checks.py`` turns
them into asset checks, and the tests call them directly.

The checks of per-source tables take ``sources``: the sources whose partitions to check (None:
all). A build checks only the partitions it wrote; the others were checked when they were
written and have not changed since. What makes that enough for rules that span partitions:
every row lies in its own source's partition and every ID starts with ``<source_id>:`` (both
checked), so a key can clash only within its partition, and rows of one source point only to
rows of the same source (a reference that does not resolve there is looked up in the whole
table before it counts as missing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
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


def table_files(parquet_dir: Path, table: str, sources: Iterable[str] | None = None) -> list[Path]:
    """A table's Parquet files: those of ``sources`` for a per-source table (None: all)."""
    if sources is None or not TABLES[table].__per_source__:
        return sorted((parquet_dir / table).glob("**/*.parquet"))
    paths = (storage.partition_path(parquet_dir, table, s) for s in sorted(sources))
    return [p for p in paths if p.exists()]


def _read(files: list[Path], table: str, columns: list[str] | None) -> pl.DataFrame:
    """Polars' own reader (one multi-threaded scan; no Hive columns: each file holds
    source_id). Files whose types differ from the model (reported by check_contract) cannot
    be read together that way: they are read by pyarrow and cast to the model."""
    names = columns or list(TABLES[table].model_fields)
    if files:
        try:
            return pl.read_parquet([str(f) for f in files], columns=names, hive_partitioning=False)
        except (pl.exceptions.PolarsError, OSError):
            pass
    schema = arrow_schema(TABLES[table])
    schema = pa.schema([schema.field(c) for c in names], metadata=schema.metadata)
    if not files:
        return pl.from_arrow(schema.empty_table())
    return pl.from_arrow(pa.concat_tables(pq.read_table(f, schema=schema, columns=names) for f in files))


def load(parquet_dir: Path, table: str, cache: dict | None = None, sources: Iterable[str] | None = None,
         columns: list[str] | None = None) -> pl.DataFrame:
    """A table (the partitions of ``sources`` only, for a per-source table; the ``columns``
    only), read once per ``cache`` (checks of one step share their reads)."""
    scope = None if sources is None or not TABLES[table].__per_source__ else tuple(sorted(sources))
    key = (table, scope, tuple(columns) if columns else None)
    if cache is not None:
        if key in cache:
            return cache[key]
        whole = cache.get((table, scope, None))
        if whole is not None:
            return whole.select(columns) if columns else whole
    df = _read(table_files(parquet_dir, table, scope), table, columns)
    if cache is not None:
        cache[key] = df
    return df


def _partition_of(path: Path) -> str | None:
    return next((p.split("=", 1)[1] for p in path.parent.parts if p.startswith("source_id=")), None)


def check_contract(parquet_dir: Path, table: str, cache: dict | None = None,
                   sources: Iterable[str] | None = None) -> CheckOutcome:
    """Schema (names, types, contract version), rows in their source's partition, unique
    keys, non-null, enumerations and sort order (of ``sources``' partitions; None: all)."""
    model = TABLES[table]
    expected = arrow_schema(model)
    problems: list[str] = []
    misplaced = 0
    for f in table_files(parquet_dir, table, sources):
        pf = pq.ParquetFile(f)
        schema = pf.schema_arrow
        if [(x.name, x.type) for x in schema] != [(x.name, x.type) for x in expected]:
            problems.append(f"{f.relative_to(parquet_dir)}: columns/types differ from the model")
        meta = schema.metadata or {}
        if meta.get(b"contract_version", b"").decode() != CONTRACT_VERSION:
            problems.append(f"{f.relative_to(parquet_dir)}: contract_version missing or wrong")
        part = _partition_of(f.relative_to(parquet_dir))
        if part is not None and "source_id" in schema.names:
            ids = pf.read(columns=["source_id"]).column("source_id")
            misplaced += pc.sum(pc.not_equal(ids, part)).as_py() or 0
    if misplaced:
        problems.append(f"{misplaced} rows outside their source's partition")
    df = load(parquet_dir, table, cache, sources)
    key = KEYS[table]
    dupes = df.height - df.select(key).unique().height if df.height else 0
    if sources is not None and model.__per_source__:
        dupes += _clashes_elsewhere(parquet_dir, table, df, sources, cache)
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


def _clashes_elsewhere(parquet_dir: Path, table: str, df: pl.DataFrame, sources: Iterable[str],
                       cache: dict | None) -> int:
    """Keys of ``sources``' rows (``df``) found in another partition of the table. A key holding
    source_id, or an ID starting with its row's ``<source_id>:``, cannot be elsewhere (rows
    lie in their own source's partition: checked apart); other IDs are looked up."""
    key = KEYS[table]
    if "source_id" in key or not df.height:
        return 0
    (col,) = key
    loose = df.filter(~pl.col(col).str.starts_with(pl.col("source_id") + ":"))
    if not loose.height:
        return 0
    scope = set(sources)
    others = [f for f in table_files(parquet_dir, table) if _partition_of(f.relative_to(parquet_dir)) not in scope]
    rest = _read(others, table, [col])[col]
    return loose.filter(pl.col(col).is_in(rest.implode())).height


def _unresolved(values: pl.Series, targets: pl.Series) -> pl.Series:
    """The values not among the targets, in their order (an anti-join: a hash of the targets)."""
    found = values.rename("v").to_frame().join(targets.rename("v").to_frame(), on="v", how="anti",
                                               maintain_order="left")
    return found["v"].rename(values.name)


def check_references(parquet_dir: Path, table: str, cache: dict | None = None,
                     sources: Iterable[str] | None = None) -> CheckOutcome:
    """Every reference from ``table`` (``sources``' rows of it; None: all) to another table
    resolves."""
    problems, checked = [], 0
    cache = {} if cache is None else cache

    for src, col, dst, dst_col in REFERENCES:
        if src != table:
            continue
        values = load(parquet_dir, src, cache, sources, [col])[col].drop_nulls()
        targets = load(parquet_dir, dst, cache, sources, [dst_col])[dst_col]
        missing = _unresolved(values, targets)
        if len(missing) and sources is not None and TABLES[dst].__per_source__:
            # not among the same sources' rows: it still resolves if the rest of the table has it
            targets = load(parquet_dir, dst, cache, None, [dst_col])[dst_col]
            missing = _unresolved(missing, targets)
        checked += len(values)
        if len(missing):
            problems.append(f"{len(missing)} {col} not in {dst}.{dst_col} (e.g. {missing[0]})")
    return CheckOutcome(not problems, {"references_checked": checked, "problems": "; ".join(problems) or "none"})


def check_dates(parquet_dir: Path, table: str, cache: dict | None = None,
                sources: Iterable[str] | None = None) -> CheckOutcome:
    """Dates fall between 1800 and 1991 (in ``sources``' rows; None: all)."""
    df = load(parquet_dir, table, cache, sources)
    problems = []
    for col in DATE_COLUMNS.get(table, []):
        bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).is_between(*PLAUSIBLE))
        if bad.height:
            problems.append(f"{bad.height} {col} outside {PLAUSIBLE[0]}..{PLAUSIBLE[1]} (e.g. {bad[col][0]})")
    return CheckOutcome(not problems, {"problems": "; ".join(problems) or "none"})


_WHITESPACE = [chr(c) for c in range(0x3001) if chr(c).isspace()]  # all of them (U+3000 is the last)


def _non_ws(s: str) -> int:
    """Characters that are not whitespace (``str.isspace``), counted by C loops."""
    if len(s) < 64:
        return len("".join(s.split()))
    return len(s) - sum(map(s.count, _WHITESPACE))


def coverage(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """(non-whitespace characters of ``text`` inside some span, all non-whitespace characters).
    Counted as all minus those in the gaps between spans: the gaps are few and mostly blank
    lines, cheap to test, where the spans are the whole text."""
    total = _non_ws(text)
    outside, end = 0, 0
    for a, b in sorted(spans):
        if b <= a:  # empty
            continue
        if a > end:
            gap = text[end:a]
            if not gap.isspace():
                outside += _non_ws(gap)
        end = max(end, b)
    if end < len(text):
        outside += _non_ws(text[end:])
    return total - outside, total


def check_coverage(parquet_dir: Path, raw_dir: Path, include: list[str], minimum: float = 0.999,
                   cache: dict | None = None, sources: Iterable[str] | None = None) -> CheckOutcome:
    """Every non-whitespace raw character lies in a paragraph, citation or discarded span
    (re-read from the raw files), per source (of ``sources``; None: all); also reports the
    unexplained (`other`) share."""
    spans: dict[str, list[tuple[int, int]]] = {}
    other: dict[str, int] = {}
    for table in ("paragraphs", "citations", "discarded_text"):
        df = load(parquet_dir, table, cache, sources)
        for sid, a, b in df.select("source_id", "char_start", "char_end").iter_rows():
            spans.setdefault(sid, []).append((a, b))
        if table == "discarded_text":
            o = df.filter(pl.col("reason") == "other")
            for sid, t in o.select("source_id", "text").iter_rows():
                other[sid] = other.get(sid, 0) + sum(1 for c in t if not c.isspace())
    ok = load(parquet_dir, "sources", cache, sources).filter(pl.col("status") == "ok")
    by_id = {r.source_id: r for r in scan(raw_dir, include)}
    meta, worst = {}, 1.0
    for sid in ok["source_id"].to_list():
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
