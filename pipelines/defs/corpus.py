"""Corpus-wide assets: entities and their mentions, treaties and their events, and the
DuckDB catalog. They read the per-source Parquet datasets (all partitions) and write one file
per table."""


import dagster as dg
import polars as pl
import pyarrow as pa

from pipelines import storage
from pipelines.catalog import refresh_catalog
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


EXTRACTION_DEPS = ["paragraphs", "documents", "events"]


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
    Mentions are linked per source and cached (``pipelines.mentions_cache``), and so is what
    each source says about treaties (``pipelines.treaty_cache``) — normally by the parse workers
    right after each parse; a source missing from the caches is linked here, in parallel
    processes. The corpus rows are gathered from the caches (``pipelines.corpus_cache``: only
    changed sources' caches are read again)."""
    from collections import Counter

    from pipelines import corpus_cache, mentions_cache, treaty_cache
    from pipelines.extraction.treaties import treaty_entities, treaty_tables

    s = dataset.settings()
    stats = {f"mention_cache/{k}": v for k, v in mentions_cache.refresh(s, extraction_version()).items()}
    stats |= {f"treaty_cache/{k}": v for k, v in treaty_cache.refresh(s, extraction_version()).items()}
    context.log.info(f"caches: {stats}")
    rows = corpus_cache.gather(s, mentions_cache.source_ids(s))
    entities = mentions_cache.sum_entity_rows(rows.entities)
    mention_table = rows.mentions  # pattern mentions merged in
    treaty_mentions = pl.from_arrow(rows.treaty_mentions.select(["entity_id", "doc_id"]))
    parts = treaty_cache.parts_of(rows.treaties)
    pattern = [m for part in parts for m in part.pattern]  # treaty names the gazetteer cannot list
    n_mentions = Counter(treaty_mentions["entity_id"].to_list()) + Counter(m["entity_id"] for m in pattern)
    provenance: dict[str, dict] = {}  # treaty_id -> field -> "text" / "gazetteer"
    treaties, treaty_events = treaty_tables(parts, n_mentions, provenance=provenance)
    for row in treaties:
        row["reference_fields"] = sorted(f for f, src in provenance.get(row["treaty_id"], {}).items()
                                         if src == "gazetteer")
    named = {e["entity_id"] for e in entities}
    # treaties only described or dated in the text (never named) are entities too
    documents = treaty_mentions.unique().to_dicts() + pattern  # (treaty, document) pairs
    entities += [e for e in treaty_entities(treaties, documents) if e["entity_id"] not in named]
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
    """Updates the published catalog with the rows of the sources whose files changed (built
    from scratch the first time or when its format changed), then the package and card."""
    import duckdb

    from pipelines.catalog import MACROS
    from pipelines.datapackage import write_metadata

    s = dataset.settings()
    result = refresh_catalog(s.parquet_dir, s.catalog_path, s.staging_dir)
    context.log.info(f"catalog: {result.mode}, index {result.fts}, replaced {result.replaced}")
    con = duckdb.connect(str(s.catalog_path), read_only=True)
    try:
        cur = con.execute("SELECT source_id, format, title, status, reject_reason FROM sources")
        names = [d[0] for d in cur.description]
        sources = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    package, card = write_metadata(s.output_dir, result.counts, sources, macros=MACROS)
    rows = "\n".join(f"| {t} | {n} |" for t, n in result.counts.items())
    replaced = "\n".join(f"| {t} | {', '.join(v) if len(v) <= 20 else f'{len(v)} sources'} |"
                         for t, v in result.replaced.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(s.catalog_path)),
            "datapackage": dg.MetadataValue.path(str(package)),
            "dataset_card": dg.MetadataValue.path(str(card)),
            "row_counts": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + rows),
            "mode": result.mode,
            "fts_index": result.fts,
            "replaced": dg.MetadataValue.md("| table | sources replaced |\n|---|---|\n" + replaced),
            **{f"rows/{t}": n for t, n in result.counts.items()},
            **{f"seconds/{k}": round(v, 3) for k, v in result.timings.items()},
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[extracted_tables, catalog])
