"""Per-source assets: each raw file (one partition) → its rows of sources, documents,
paragraphs, citations, events and discarded_text. Thin wiring around ``pipelines.publish``."""


import dagster as dg
import polars as pl

from pipelines import progress, publish, storage
from pipelines.defs.resources import DatasetResource
from pipelines.defs.sources import raw_files
from pipelines.versions import parser_version
from schemas import TABLES
from schemas.tables import arrow_schema

PER_SOURCE_ASSETS = list(publish.TABLES_OF_A_SOURCE)


def column_schema(table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.name, str(f.type), description=f.metadata[b"description"].decode())
            for f in arrow_schema(TABLES[table])
        ]
    )


def markdown_preview(df, width: int = 40) -> str:
    """A Markdown table of a few rows, long values cut to ``width`` characters."""
    def cell(v) -> str:
        s = "" if v is None else str(v)
        s = s.replace("|", "\\|").replace("\n", " ")
        return s if len(s) <= width else s[: width - 1] + "…"

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join(lines)


def table_metadata(settings, table: str, preview_rows: int = 5) -> dict:
    """Row count (from the Parquet footers), column schema and a small Markdown preview (the
    first rows of the first file) of a whole table: no full read, whatever its size."""
    import pyarrow.parquet as pq

    files = sorted((settings.parquet_dir / table).glob("**/*.parquet"))
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    if files:
        head = pq.ParquetFile(files[0])
        first = next(head.iter_batches(batch_size=preview_rows, use_threads=False), None) if head.num_row_groups else None
        df = storage.read_table(settings.parquet_dir, table).head(0) if first is None else pl.from_arrow(first)
    else:
        df = storage.read_table(settings.parquet_dir, table)
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": column_schema(table),
        "preview": dg.MetadataValue.md(markdown_preview(df)),
        "path": dg.MetadataValue.path(str(settings.parquet_dir / table)),
    }


FORCE_TAG = "sfp/force"  # run tag: re-parse the run's partitions even when their rows are current


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            t,
            description=(TABLES[t].__doc__ or "").strip(),
            group_name="per_source",
            kinds={"parquet", "polars"},
            owners=["team:data"],
            tags={"layer": "per_source"},
            metadata={"dagster/column_schema": column_schema(t)},
        )
        for t in PER_SOURCE_ASSETS
    ],
    partitions_def=raw_files,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=parser_version(),
    can_subset=False,
)
def parse_sources(context: dg.AssetExecutionContext, dataset: DatasetResource):
    """Decode, detect the layout, parse and publish each raw file of the run's partitions
    (in parallel processes when several need parsing). A file whose published rows came from
    the same bytes and parser version is not re-parsed."""
    settings = dataset.settings()
    keys = list(context.partition_keys)
    force = context.run.tags.get(FORCE_TAG) == "true"
    done = [0]

    def advance(_outcome) -> None:
        done[0] += 1
        progress.report("parse_sources", done[0], len(keys))

    outcomes = publish.refresh_sources(settings, keys, parser_version(), force=force, progress=advance)
    counts = {"parsed": 0, "unchanged": 0, "rejected": 0, "removed": 0}
    for key in keys:
        outcome = outcomes[key]
        counts["parsed" if outcome.status == "ok" else outcome.status] += 1
        if outcome.status == "rejected":
            context.log.warning(f"{key}: rejected: {outcome.reason}")
    context.log.info(f"sources: {counts}")
    # One partition (a sensor's run): its own row counts and file. Many (a build's range): the
    # run's counts, shared by every partition's event (per-partition metadata costs a
    # partition lookup per asset and partition: 4 s at 50 partitions).
    for table in PER_SOURCE_ASSETS:
        if len(keys) == 1:
            outcome = outcomes[keys[0]]
            meta = {
                "status": outcome.status,
                "dagster/row_count": outcome.rows.get(table, 0),
                "path": dg.MetadataValue.path(str(storage.partition_path(settings.parquet_dir, table, keys[0]))),
            }
        else:
            meta = {f"sources_{k}": v for k, v in counts.items()}
        yield dg.MaterializeResult(asset_key=table, metadata=meta)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[parse_sources])
