"""Per-source checks of a run look at the run's partitions only, and still catch what the
whole-corpus checks catch there: duplicate keys (also against other partitions), rows in the
wrong partition, unresolved references (resolved against the whole table), lost text.

Broken rows are written into a copy of the shared build's Parquet files (``corpus_build``)."""

import os
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from pipelines import quality, storage
from pipelines.defs.checks import checks_of, evaluate
from pipelines.settings import Settings
from schemas import TABLES

A, B = "001_a6ed507f8ecbd8e2", "004_e46a0e7458e67fc2"
PER_SOURCE = [t for t, m in TABLES.items() if m.__per_source__]


@pytest.fixture
def settings(corpus_build, corpus_dir, tmp_path) -> Settings:
    out, _, _ = corpus_build
    shutil.copytree(out / "parquet", tmp_path / "parquet")
    return Settings(raw_dir=corpus_dir, output_dir=tmp_path)


def read(s: Settings, table: str, sid: str) -> pl.DataFrame:
    return pl.from_arrow(pq.read_table(storage.partition_path(s.parquet_dir, table, sid)))


def write(s: Settings, table: str, sid: str, df: pl.DataFrame) -> None:
    storage.write_arrow(s.parquet_dir, s.staging_dir, table, df.sort(df.columns[0]).to_arrow(), sid)


def outcomes(s: Settings, sources: list[str] | None) -> dict[str, quality.CheckOutcome]:
    cache: dict = {}
    return {f"{t}:{n}": evaluate(s, t, n, cache, sources) for t in PER_SOURCE for n in checks_of(t)}


def failed(s: Settings, sources: list[str] | None) -> set[str]:
    return {k for k, o in outcomes(s, sources).items() if not o.passed}


def test_scoped_checks_read_only_their_sources(settings):
    res = outcomes(settings, [A])
    assert all(o.passed for o in res.values()), {k: o.metadata for k, o in res.items() if not o.passed}
    assert res["paragraphs:contract"].metadata["rows"] == read(settings, "paragraphs", A).height
    cov = res["discarded_text:coverage"].metadata
    assert [k for k in cov if k.startswith("coverage/")] == [f"coverage/{A}"] and cov["minimum"] == 1.0
    # the whole corpus, as before
    assert outcomes(settings, None)["paragraphs:contract"].metadata["rows"] == \
        storage.read_table(settings.parquet_dir, "paragraphs").height


def test_a_duplicate_key_fails_the_check_of_its_partition_only(settings):
    p = read(settings, "paragraphs", A)
    write(settings, "paragraphs", A, pl.concat([p, p.head(1)]))
    assert "paragraphs:contract" in failed(settings, [A])
    assert "paragraphs:contract" in failed(settings, None)
    assert not failed(settings, [B])


def test_keys_are_checked_against_other_partitions(settings):
    # B holds a paragraph under one of A's IDs (its own source_id): a clash across partitions
    a, b = read(settings, "paragraphs", A), read(settings, "paragraphs", B)
    stray = a.head(1).with_columns(pl.lit(B).alias("source_id"), pl.lit(b["doc_id"][0]).alias("doc_id"))
    write(settings, "paragraphs", B, pl.concat([b, stray]))
    outcome = outcomes(settings, [B])["paragraphs:contract"]
    assert not outcome.passed and "1 duplicate keys" in outcome.metadata["problems"]
    assert not outcomes(settings, None)["paragraphs:contract"].passed


def test_rows_in_another_sources_partition_fail(settings):
    a, b = read(settings, "documents", A), read(settings, "documents", B)
    assert a.height
    write(settings, "documents", B, pl.concat([b, a.head(1)]))
    outcome = outcomes(settings, [B])["documents:contract"]
    assert not outcome.passed and "1 rows outside their source's partition" in outcome.metadata["problems"]


def test_references_resolve_against_the_whole_table(settings):
    a_doc = read(settings, "documents", A)["doc_id"][0]
    b = read(settings, "paragraphs", B)
    # pointing into another source: resolves (as in the whole-corpus check)
    write(settings, "paragraphs", B, b.with_columns(pl.lit(a_doc).alias("doc_id")))
    assert outcomes(settings, [B])["paragraphs:references"].passed
    assert outcomes(settings, None)["paragraphs:references"].passed
    # pointing nowhere: fails
    write(settings, "paragraphs", B, b.with_columns(pl.lit(f"{B}:d999999999.00").alias("doc_id")))
    outcome = outcomes(settings, [B])["paragraphs:references"]
    assert not outcome.passed and "not in documents.doc_id" in outcome.metadata["problems"]


def test_lost_text_fails_coverage_of_its_source(settings):
    p = read(settings, "paragraphs", A)
    write(settings, "paragraphs", A, p.head(p.height // 2))
    assert "discarded_text:coverage" in failed(settings, [A])
    assert "discarded_text:coverage" not in failed(settings, [B])


def latest_check(home: Path, table: str, check: str) -> dict:
    os.environ["DAGSTER_HOME"] = str(home)
    instance = dg.DagsterInstance.get()
    try:
        record = instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(dg.AssetKey(table), check))
        data = record.event.dagster_event.event_specific_data
        return {"passed": data.passed, **{k: v.value for k, v in data.metadata.items()}}
    finally:
        instance.dispose()


def test_a_build_checks_the_partitions_it_parsed(tmp_path, corpus_dir, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    for sid in (A, B):
        shutil.copy(corpus_dir / f"{sid}.txt", raw / f"{sid}.txt")
    out, home = tmp_path / "out", tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    run_cli(raw, out, home)
    assert latest_check(home, "paragraphs", "contract")["scope"] == "2 source(s) of the run"
    with open(raw / f"{B}.txt", "a", encoding="utf-8") as f:
        f.write("\nA closing remark added by the test.\n")
    proc = run_cli(raw, out, home)
    assert " 0 failed" in proc.stdout
    contract = latest_check(home, "paragraphs", "contract")
    assert contract["passed"] and contract["scope"] == "1 source(s) of the run"
    assert contract["rows"] == storage.read_table(out / "parquet", "paragraphs").filter(pl.col("source_id") == B).height
    coverage = latest_check(home, "discarded_text", "coverage")
    assert [k for k in coverage if k.startswith("coverage/")] == [f"coverage/{B}"]
    # corpus-wide checks still read everything
    assert latest_check(home, "entity_mentions", "references")["passed"]
