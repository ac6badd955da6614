"""``outputs/corpus.duckdb``: one table per dataset table, loaded from the Parquet datasets.

Tables (not views over relative paths) so the file works from any directory and on any
machine; it is rebuilt into a staging file and swapped in with ``os.replace``, so readers
never see a half-built catalog."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from schemas import TABLES, arrow_schema
from schemas.tables import CONTRACT_VERSION

_DUCK = {
    "string": "VARCHAR", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
    "date32[day]": "DATE", "bool": "BOOLEAN",
}


def duck_type(t) -> str:
    import pyarrow as pa

    if pa.types.is_list(t):
        return f"{duck_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f'"{f.name}" {duck_type(f.type)}' for f in t) + ")"
    return _DUCK[str(t)]


def ddl(table: str) -> str:
    """CREATE TABLE statement derived from the table model."""
    schema = arrow_schema(TABLES[table])
    cols = ",\n  ".join(
        f'"{f.name}" {duck_type(f.type)}' + ("" if f.nullable else " NOT NULL") for f in schema
    )
    return f'CREATE TABLE "{table}" (\n  {cols}\n)'


def build_catalog(parquet_dir: Path, catalog_path: Path, staging_dir: Path) -> dict[str, int]:
    staging_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir / f"corpus-{uuid.uuid4().hex}.duckdb"
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        for table, model in TABLES.items():
            con.execute(ddl(table))
            files = sorted((parquet_dir / table).glob("**/*.parquet"))
            if files:
                cols = ", ".join(f'"{c}"' for c in model.model_fields)
                con.execute(
                    f'INSERT INTO "{table}" SELECT {cols} FROM read_parquet(?, union_by_name = true)',
                    [[str(f) for f in files]],
                )
            col = model.__doc__.strip().replace("'", "''") if model.__doc__ else ""
            con.execute(f"COMMENT ON TABLE \"{table}\" IS '{col}'")
            for name, field in model.model_fields.items():
                desc = (field.description or "").replace("'", "''")
                con.execute(f"COMMENT ON COLUMN \"{table}\".\"{name}\" IS '{desc}'")
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.execute("CREATE TABLE _meta AS SELECT ? AS contract_version", [CONTRACT_VERSION])
        con.close()
        catalog_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, catalog_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return counts
