"""Reading and writing the Parquet datasets (the dataset's public paths).

Layout: ``<parquet_dir>/<table>/source_id=<id>/part-0.parquet`` for per-source tables,
``<parquet_dir>/<table>/data.parquet`` for corpus-wide ones. Every write validates the rows
against the table model, sorts them by the first ID column, casts to the table's Arrow schema
(column descriptions and contract version in the metadata), writes a staging file and
``os.replace``s it into place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter

from schemas import TABLES, arrow_schema, id_column

_ADAPTERS: dict[str, TypeAdapter] = {}


def validate_rows(table: str, rows: list[dict]) -> None:
    """Raise ``pydantic.ValidationError`` if any row breaks the table model (one pass over
    the whole table, not a loop of checks)."""
    model = TABLES[table]
    if table not in _ADAPTERS:
        _ADAPTERS[table] = TypeAdapter(list[model])
    _ADAPTERS[table].validate_python(rows)


def to_arrow(table: str, rows: list[dict]) -> pa.Table:
    model = TABLES[table]
    schema = arrow_schema(model)
    key = id_column(model)
    if key:
        rows = sorted(rows, key=lambda r: r[key])
    else:
        rows = sorted(rows, key=lambda r: (r.get("source_id") or "", r.get("char_start") or 0))
    return pa.Table.from_pylist(rows, schema=schema)


def table_dir(parquet_dir: Path, table: str) -> Path:
    return parquet_dir / table


def partition_path(parquet_dir: Path, table: str, source_id: str | None) -> Path:
    if TABLES[table].__per_source__:
        return parquet_dir / table / f"source_id={source_id}" / "part-0.parquet"
    return parquet_dir / table / "data.parquet"


def write_table(parquet_dir: Path, staging_dir: Path, table: str, rows: list[dict],
                source_id: str | None = None) -> int:
    """Validate, sort, cast and atomically publish one table (or one source's part of it)."""
    validate_rows(table, rows)
    data = to_arrow(table, rows)
    target = partition_path(parquet_dir, table, source_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir / f"{table}-{source_id or 'all'}-{uuid.uuid4().hex}.parquet"
    try:
        pq.write_table(data, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return data.num_rows


def delete_source(parquet_dir: Path, source_id: str) -> None:
    """Remove a source's rows from every per-source table."""
    for table, model in TABLES.items():
        if model.__per_source__:
            shutil.rmtree(parquet_dir / table / f"source_id={source_id}", ignore_errors=True)


def source_ids_on_disk(parquet_dir: Path) -> set[str]:
    d = parquet_dir / "sources"
    if not d.is_dir():
        return set()
    return {p.name.split("=", 1)[1] for p in d.iterdir() if p.name.startswith("source_id=")}


def read_table(parquet_dir: Path, table: str) -> pl.DataFrame:
    """The whole table as a polars DataFrame (empty with the right schema if not built)."""
    schema = arrow_schema(TABLES[table])
    files = sorted((parquet_dir / table).glob("**/*.parquet"))
    if not files:
        return pl.from_arrow(schema.empty_table())
    parts = [pq.read_table(f, schema=schema) for f in files]
    return pl.from_arrow(pa.concat_tables(parts))


def read_source_row(parquet_dir: Path, source_id: str) -> dict | None:
    path = partition_path(parquet_dir, "sources", source_id)
    if not path.exists():
        return None
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception:  # unreadable leftover: treat as missing, it will be rebuilt
        return None
    return rows[0] if rows else None
