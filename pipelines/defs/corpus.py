"""Corpus-wide assets: entities and their mentions, treaties and their events, and the
DuckDB catalog. They read the per-source Parquet datasets (all partitions) and write one file
per table."""


import dagster as dg

from pipelines import storage
from pipelines.catalog import build_catalog
from pipelines.defs.parse import table_metadata
from pipelines.defs.resources import DatasetResource
from pipelines.versions import catalog_version, extraction_version
from schemas import TABLES

EAGER = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


def spec(table: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        table,
        description=(TABLES[table].__doc__ or "").strip(),
        deps=deps,
        group_name="corpus",
        kinds={"parquet", "polars"},
        owners=["team:data"],
        tags={"layer": "corpus"},
        automation_condition=EAGER,
    )


def _rows(settings, table: str, columns: list[str] | None = None) -> list[dict]:
    df = storage.read_table(settings.parquet_dir, table)
    return (df.select(columns) if columns else df).to_dicts()


EXTRACTION_DEPS = ["paragraphs", "documents", "events"]


@dg.multi_asset(
    specs=[spec(t, EXTRACTION_DEPS) for t in ("entities", "entity_mentions", "treaties", "treaty_events")],
    code_version=extraction_version(),
)
def extracted_tables(context: dg.AssetExecutionContext, dataset: DatasetResource):
    """Gazetteer matching over every paragraph → canonical entities and every mention; then
    treaties (one row each, parties, dates, place) and their life events with evidence. One
    step, because every treaty is also an entity: `entities` is written after `treaties`."""
    from pipelines.extraction.entities import build_entity_tables
    from pipelines.extraction.treaties import build_treaty_tables, treaty_entities

    s = dataset.settings()
    paragraphs = _rows(s, "paragraphs", ["paragraph_id", "doc_id", "source_id", "kind", "text"])
    documents = _rows(s, "documents", ["doc_id", "parent_doc_id"])
    events = _rows(s, "events")
    entities, mentions = build_entity_tables(paragraphs, documents)
    treaties, treaty_events = build_treaty_tables(paragraphs, events, mentions)
    named = {e["entity_id"] for e in entities}
    # treaties only described or dated in the text (never named) are entities too
    entities += [e for e in treaty_entities(treaties, mentions) if e["entity_id"] not in named]
    tables = {"entities": entities, "entity_mentions": mentions, "treaties": treaties, "treaty_events": treaty_events}
    for table, rows in tables.items():
        storage.write_table(s.parquet_dir, s.staging_dir, table, rows)
    for table in tables:
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(s, table))


@dg.asset(
    name="catalog",
    deps=list(TABLES),
    group_name="corpus",
    kinds={"duckdb"},
    owners=["team:data"],
    code_version=catalog_version(),
    automation_condition=EAGER,
    description="outputs/corpus.duckdb: one table per dataset table, for SQL.",
)
def catalog(context: dg.AssetExecutionContext, dataset: DatasetResource) -> dg.MaterializeResult:
    s = dataset.settings()
    counts = build_catalog(s.parquet_dir, s.catalog_path, s.staging_dir)
    rows = "\n".join(f"| {t} | {n} |" for t, n in counts.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(s.catalog_path)),
            "row_counts": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + rows),
            **{f"rows/{t}": n for t, n in counts.items()},
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[extracted_tables, catalog])
