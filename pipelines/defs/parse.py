"""Per-source assets: each raw file (one partition) → its rows of sources, documents,
paragraphs, citations, events and discarded_text. Thin wiring around ``pipelines.publish``."""


import dagster as dg

from pipelines import publish, storage
from pipelines.defs.resources import DatasetResource
from pipelines.defs.sources import raw_files
from pipelines.rawdir import scan
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
    """Row count, column schema and a small Markdown preview of a whole table."""
    df = storage.read_table(settings.parquet_dir, table)
    md = markdown_preview(df.head(preview_rows))
    return {
        "dagster/row_count": df.height,
        "dagster/column_schema": column_schema(table),
        "preview": dg.MetadataValue.md(md),
        "path": dg.MetadataValue.path(str(settings.parquet_dir / table)),
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            t,
            description=(TABLES[t].__doc__ or "").strip(),
            group_name="per_source",
            kinds={"parquet", "polars"},
            owners=["team:data"],
            tags={"layer": "per_source"},
        )
        for t in PER_SOURCE_ASSETS
    ],
    partitions_def=raw_files,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=parser_version(),
    can_subset=False,
)
def parse_sources(context: dg.AssetExecutionContext, dataset: DatasetResource):
    """Decode, detect the layout, parse and publish each raw file of the run's partitions.
    A file whose published rows came from the same bytes and parser version is not re-parsed."""
    settings = dataset.settings()
    by_id = {r.source_id: r for r in scan(settings.raw_dir, settings.include)}
    counts = {"parsed": 0, "unchanged": 0, "rejected": 0, "removed": 0}
    for key in context.partition_keys:
        raw = by_id.get(key)
        if raw is None:
            publish.remove_source(settings, key)
            counts["removed"] += 1
            continue
        outcome = publish.refresh_source(settings, raw, parser_version())
        if outcome.status == "rejected":
            context.log.warning(f"{key}: rejected: {outcome.reason}")
        counts["parsed" if outcome.status == "ok" else outcome.status] += 1
    context.log.info(f"sources: {counts}")
    for table in PER_SOURCE_ASSETS:
        yield dg.MaterializeResult(asset_key=table, metadata={**table_metadata(settings, table), **counts})


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[parse_sources])
