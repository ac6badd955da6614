"""Asset checks carrying the contract: schema, keys, references, enumerations, dates, coverage.

Generated for every table from ``schemas/`` and ``pipelines/quality.py``: one step per layer
(per-source tables, corpus-wide tables) evaluates all of its checks, reading each table once
(per-step overhead dominates such small work). Checks on
tables that others are built from are blocking: a failure stops the downstream steps.

The per-source checks look at the partitions of the run (its partition key or range: the
sources it parsed), not the whole corpus: the other partitions were checked when they were
written (``pipelines/quality.py`` says why that is enough for keys and references). The
corpus-wide checks read the whole corpus-wide tables, and of the per-source tables only the
columns they point to."""

import dagster as dg

from pipelines import quality
from pipelines.defs.resources import DatasetResource
from pipelines.defs.sources import raw_files
from schemas import TABLES

# a broken upstream table makes everything built from it wrong
BLOCKING = {"sources", "documents", "paragraphs", "events", "discarded_text", "entities", "entity_mentions"}

DESCRIPTIONS = {
    "contract": "columns and types as schemas/ defines them, contract version, unique keys, no nulls "
    "where not allowed, enumerations, sort order",
    "references": "every ID pointing to another table resolves",
    "dates_plausible": "dates within 1800-1991",
    "coverage": "nothing lost: >= 99.9% of every source's non-whitespace characters lie in a paragraph, "
    "citation or discarded_text span (checked against the raw files)",
}
SCOPE_NOTE = " (per-source tables: the partitions of the run)"


def checks_of(table: str) -> list[str]:
    names = ["contract"]
    if any(r[0] == table for r in quality.REFERENCES):
        names.append("references")
    if table in quality.DATE_COLUMNS:
        names.append("dates_plausible")
    if table == "discarded_text":
        names.append("coverage")
    return names


def evaluate(settings, table: str, name: str, cache: dict, sources: list[str] | None = None) -> quality.CheckOutcome:
    """One check of one table; ``sources``: the partitions to check (None: all)."""
    if name == "contract":
        return quality.check_contract(settings.parquet_dir, table, cache, sources)
    if name == "references":
        return quality.check_references(settings.parquet_dir, table, cache, sources)
    if name == "dates_plausible":
        return quality.check_dates(settings.parquet_dir, table, cache, sources)
    return quality.check_coverage(settings.parquet_dir, settings.raw_dir, settings.include, cache=cache,
                                  sources=sources)


def run_sources(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The sources (partition keys) of the run: its partition, or the keys of its range in
    the partitions' order; None for a run without partitions (then everything is checked)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    span = context.partition_key_range
    keys = context.instance.get_dynamic_partitions(raw_files.name)
    if span.start not in keys or span.end not in keys:
        return None
    return keys[keys.index(span.start): keys.index(span.end) + 1]


def layer_checks(layer: str, tables: list[str]) -> dg.AssetChecksDefinition:
    """All checks of a layer's tables in one step (each still its own check in the UI)."""
    specs = [
        dg.AssetCheckSpec(n, asset=t, blocking=t in BLOCKING,
                          description=f"{t}: {DESCRIPTIONS[n]}" + (SCOPE_NOTE if TABLES[t].__per_source__ else ""))
        for t in tables
        for n in checks_of(t)
    ]
    per_source = all(TABLES[t].__per_source__ for t in tables)

    @dg.multi_asset_check(name=f"{layer}_checks", specs=specs)
    def _checks(context: dg.AssetCheckExecutionContext, dataset: DatasetResource):
        settings, cache = dataset.settings(), {}
        sources = run_sources(context) if per_source else None
        scope = {"scope": "all sources" if sources is None else f"{len(sources)} source(s) of the run"}
        for spec in specs:
            table = spec.asset_key.to_user_string()
            outcome = evaluate(settings, table, spec.name, cache, sources)
            yield dg.AssetCheckResult(asset_key=table, check_name=spec.name, passed=outcome.passed,
                                      metadata={**outcome.metadata, **(scope if per_source else {})})

    return _checks


def all_checks() -> list[dg.AssetChecksDefinition]:
    per_source = [t for t, m in TABLES.items() if m.__per_source__]
    corpus = [t for t, m in TABLES.items() if not m.__per_source__]
    return [layer_checks("per_source", per_source), layer_checks("corpus", corpus)]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=all_checks())
