"""Asset checks carrying the contract: schema, keys, references, enumerations, dates, coverage.

Generated for every table from ``schemas/`` and ``pipelines/quality.py``: one step per table
evaluates all of that table's checks (per-step overhead dominates such small work). Checks on
tables that others are built from are blocking: a failure stops the downstream steps."""

import dagster as dg

from pipelines import quality
from pipelines.defs.resources import DatasetResource
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


def checks_of(table: str) -> list[str]:
    names = ["contract"]
    if any(r[0] == table for r in quality.REFERENCES):
        names.append("references")
    if table in quality.DATE_COLUMNS:
        names.append("dates_plausible")
    if table == "discarded_text":
        names.append("coverage")
    return names


def table_checks(table: str) -> dg.AssetChecksDefinition:
    names = checks_of(table)

    @dg.multi_asset_check(
        name=f"{table}_checks",
        specs=[
            dg.AssetCheckSpec(n, asset=table, blocking=table in BLOCKING, description=f"{table}: {DESCRIPTIONS[n]}")
            for n in names
        ],
    )
    def _checks(dataset: DatasetResource):
        s = dataset.settings()
        for n in names:
            if n == "contract":
                outcome = quality.check_contract(s.parquet_dir, table)
            elif n == "references":
                outcome = quality.check_references(s.parquet_dir, table)
            elif n == "dates_plausible":
                outcome = quality.check_dates(s.parquet_dir, table)
            else:
                outcome = quality.check_coverage(s.parquet_dir, s.raw_dir, s.include)
            yield dg.AssetCheckResult(asset_key=table, check_name=n, passed=outcome.passed, metadata=outcome.metadata)

    return _checks


def all_checks() -> list[dg.AssetChecksDefinition]:
    return [table_checks(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=all_checks())
