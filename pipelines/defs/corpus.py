"""Corpus-wide assets: entities and their mentions, treaties and their events, and the
DuckDB catalog. They read the per-source Parquet datasets (all partitions) and write one file
per table."""


import dagster as dg
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

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


def merge_pattern_mentions(mentions: pa.Table, pattern: list[dict]) -> pa.Table:
    """Add the treaty linker's pattern mentions; a gazetteer mention inside one of them (the
    place `Moscow` in `Moscow protocol`) gives way: longest match wins."""
    if not pattern:
        return mentions
    df = pl.from_arrow(mentions)
    pat = pl.DataFrame(pattern, schema=df.schema)
    spans = pat.select("paragraph_id", pl.col("char_start").alias("ps"), pl.col("char_end").alias("pe"))
    inside = (
        df.with_row_index("_i")
        .join(spans, on="paragraph_id")
        .filter((pl.col("char_start") >= pl.col("ps")) & (pl.col("char_end") <= pl.col("pe")))
        .get_column("_i")
    )
    kept = df.with_row_index("_i").filter(~pl.col("_i").is_in(inside.implode())).drop("_i")
    merged = pl.concat([kept, pat]).unique(["entity_id", "paragraph_id", "char_start"], keep="first")
    return merged.sort("entity_id", "paragraph_id", "char_start").to_arrow()


def recount(entities: list[dict], mentions: pa.Table) -> list[dict]:
    """n_mentions and n_documents true to the final entity_mentions (after merging)."""
    counts = (
        pl.from_arrow(mentions)
        .group_by("entity_id")
        .agg(pl.len().alias("n"), pl.col("doc_id").n_unique().alias("d"))
    )
    by_id = {r["entity_id"]: (r["n"], r["d"]) for r in counts.to_dicts()}
    return [{**e, "n_mentions": by_id.get(e["entity_id"], (0, 0))[0],
             "n_documents": by_id.get(e["entity_id"], (0, 0))[1]} for e in entities]


@dg.multi_asset(
    specs=[spec(t, EXTRACTION_DEPS) for t in ("entities", "entity_mentions", "treaties", "treaty_events")],
    code_version=extraction_version(),
)
def extracted_tables(context: dg.AssetExecutionContext, dataset: DatasetResource):
    """Gazetteer matching over every paragraph → canonical entities and every mention; then
    treaties (one row each, parties, dates, place) and their life events with evidence. One
    step, because every treaty is also an entity: `entities` is written after `treaties`.
    Mentions are linked per source and cached (``pipelines.mentions_cache``): only new or
    changed sources are linked again, in parallel processes."""
    from pipelines import mentions_cache
    from pipelines.extraction.treaties import build_treaty_tables, treaty_entities

    s = dataset.settings()
    stats = {f"mention_cache/{k}": v for k, v in mentions_cache.refresh(s, extraction_version()).items()}
    context.log.info(f"mention cache: {stats}")
    ids = mentions_cache.source_ids(s)
    entities = mentions_cache.entity_rows(s, ids)
    mention_table = mentions_cache.mentions_table(s, ids)
    treaty_mentions = mention_table.filter(pc.starts_with(mention_table["entity_id"], "treaty:")).to_pylist()
    paragraphs = _rows(s, "paragraphs", ["paragraph_id", "doc_id", "source_id", "kind", "text"])
    events = _rows(s, "events")
    pattern: list[dict] = []  # treaty names the gazetteer cannot list, found by the linking rules
    provenance: dict[str, dict] = {}  # treaty_id -> field -> "text" / "gazetteer"
    treaties, treaty_events = build_treaty_tables(paragraphs, events, treaty_mentions, mentions_out=pattern,
                                                  provenance=provenance)
    for row in treaties:
        row["reference_fields"] = sorted(f for f, src in provenance.get(row["treaty_id"], {}).items()
                                         if src == "gazetteer")
    del paragraphs, events
    mention_table = merge_pattern_mentions(mention_table, pattern)
    named = {e["entity_id"] for e in entities}
    # treaties only described or dated in the text (never named) are entities too
    entities += [e for e in treaty_entities(treaties, treaty_mentions + pattern) if e["entity_id"] not in named]
    entities = recount(entities, mention_table)
    storage.write_arrow(s.parquet_dir, s.staging_dir, "entity_mentions", mention_table)
    tables = {"entities": entities, "treaties": treaties, "treaty_events": treaty_events}
    for table, rows in tables.items():
        storage.write_table(s.parquet_dir, s.staging_dir, table, rows)
    for table in ("entities", "entity_mentions", "treaties", "treaty_events"):
        yield dg.MaterializeResult(asset_key=table, metadata={**table_metadata(s, table), **stats})


@dg.asset(
    name="catalog",
    deps=list(TABLES),
    group_name="corpus",
    kinds={"duckdb"},
    owners=["team:data"],
    code_version=catalog_version(),
    automation_condition=EAGER,
    description="outputs/corpus.duckdb: one table per dataset table, a BM25 full-text index over "
    "paragraphs and table macros, for SQL; outputs/datapackage.json and outputs/README.md "
    "(Frictionless Data Package and dataset card).",
)
def catalog(context: dg.AssetExecutionContext, dataset: DatasetResource) -> dg.MaterializeResult:
    from pipelines.catalog import MACROS
    from pipelines.datapackage import write_metadata

    s = dataset.settings()
    timings: dict[str, float] = {}
    counts = build_catalog(s.parquet_dir, s.catalog_path, s.staging_dir, timings)
    sources = _rows(s, "sources", ["source_id", "format", "title", "status", "reject_reason"])
    package, card = write_metadata(s.output_dir, counts, sources, macros=MACROS)
    rows = "\n".join(f"| {t} | {n} |" for t, n in counts.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(s.catalog_path)),
            "datapackage": dg.MetadataValue.path(str(package)),
            "dataset_card": dg.MetadataValue.path(str(card)),
            "row_counts": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + rows),
            **{f"rows/{t}": n for t, n in counts.items()},
            **{f"seconds/{k}": round(v, 3) for k, v in timings.items()},
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[extracted_tables, catalog])
