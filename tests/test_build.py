"""Integration: build the real corpus (as `make build` does) and check the contract.

One build into a temporary directory is shared by the tests of this module; a second build
of the same input checks incrementality and determinism; a third adds damaged files."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import run_cli

from pipelines import quality, storage
from schemas import TABLES

ROOT = Path(__file__).resolve().parents[1]


def run_build(raw: Path, out: Path, home: Path, *args: str):
    return run_cli(raw, out, home, *args)


def digests(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "parquet").glob("**/*.parquet"))
    }


@pytest.fixture(scope="module")
def built(corpus_build):
    return corpus_build


def test_every_table_is_built_and_valid(built, corpus_dir):
    out, _, proc = built
    parquet = out / "parquet"
    for table in TABLES:
        assert quality.check_contract(parquet, table).passed, quality.check_contract(parquet, table).metadata
        assert storage.read_table(parquet, table).height > 0, f"{table} is empty"
    for table in {r[0] for r in quality.REFERENCES}:
        outcome = quality.check_references(parquet, table)
        assert outcome.passed, outcome.metadata
    for table in quality.DATE_COLUMNS:
        assert quality.check_dates(parquet, table).passed
    assert "checks:" in proc.stdout and " 0 failed" in proc.stdout


def test_per_source_tables_are_hive_partitioned(built, corpus_dir):
    out, _, _ = built
    ids = {p.stem.lower() for p in corpus_dir.glob("*.txt")}
    for table in ("sources", "documents", "paragraphs", "discarded_text"):
        parts = {p.name for p in (out / "parquet" / table).iterdir()}
        assert parts == {f"source_id={i}" for i in ids}
    df = pl.read_parquet(out / "parquet" / "paragraphs")
    assert set(df["source_id"].unique()) == ids


def test_nothing_lost(built, corpus_dir):
    out, _, _ = built
    outcome = quality.check_coverage(out / "parquet", corpus_dir, ["*.txt"])
    assert outcome.passed and outcome.metadata["minimum"] == 1.0, outcome.metadata


def test_one_root_document_per_source_and_sorted_ids(built):
    out, _, _ = built
    docs = storage.read_table(out / "parquet", "documents")
    roots = docs.filter(pl.col("parent_doc_id").is_null())
    assert sorted(roots["source_id"]) == sorted(docs["source_id"].unique())
    assert set(roots["kind"]) <= {"book", "collection", "page"}


def test_second_build_reparses_nothing_and_is_identical(built, corpus_dir, tmp_path):
    out, home, _ = built
    before = digests(out)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "parquet").glob("**/*.parquet")}
    proc = run_build(corpus_dir, out, home)
    assert "Up to date" in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in (out / "parquet").glob("**/*.parquet")} == mtimes
    # a separate build of the same input gives byte-identical tables
    run_build(corpus_dir, tmp_path / "out", tmp_path / "home")
    assert digests(tmp_path / "out") == before


def test_damaged_files_are_rejected_and_the_rest_unchanged(built, corpus_dir, tmp_path):
    out, _, _ = built
    raw = tmp_path / "raw"
    shutil.copytree(corpus_dir, raw)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "noise.txt").write_bytes(bytes(range(256)) * 64)
    (raw / "utf16.txt").write_bytes("A short note on the Treaty of Rapallo.\n".encode("utf-16"))
    run_build(raw, tmp_path / "out", tmp_path / "home")
    sources = storage.read_table(tmp_path / "out" / "parquet", "sources")
    status = dict(zip(sources["source_id"], sources["status"]))
    assert status["empty"] == "rejected" and status["noise"] == "rejected"
    assert status["utf16"] == "ok"
    enc = dict(zip(sources["source_id"], sources["encoding"]))
    assert enc["utf16"] == "utf-16"
    reasons = dict(zip(sources["source_id"], sources["reject_reason"]))
    assert "empty" in reasons["empty"] and "binary" in reasons["noise"]
    good = digests(out)
    damaged = digests(tmp_path / "out")
    per_source = {p: d for p, d in good.items() if "source_id=" in p}
    assert per_source and all(damaged[p] == d for p, d in per_source.items())


def readme_blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_sql_examples_run(built):
    out, _, _ = built
    con = duckdb.connect(str(out / "corpus.duckdb"), read_only=True)
    blocks = readme_blocks("sql")
    assert len(blocks) >= 3
    for sql in blocks:
        assert con.execute(sql).fetchall(), sql


def test_readme_python_example_runs(built, tmp_path):
    out, _, _ = built
    (code,) = readme_blocks("python")
    # the README reads outputs/... from the project root: run it where outputs/ is this build
    (tmp_path / "outputs").symlink_to(out)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "chicherin" in proc.stdout.lower() or "Chicherin" in proc.stdout


def _two_sources(tmp_path: Path):
    from pipelines.settings import Settings

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "alpha.txt").write_text("A Note on Genoa\n\nThe delegates met at Genoa in April 1922 and Chicherin spoke first.\n")
    (raw / "beta.txt").write_text("Another Short Paper\n\nLitvinov argued for disarmament at Geneva in 1927.\n")
    return Settings(raw_dir=raw, output_dir=tmp_path / "out", workers=2)


def test_sources_parsed_ahead_reach_the_dataset_only_through_the_parse_asset(tmp_path):
    """`run_build` parses while Dagster starts (publish.ParseAhead): nothing is published until
    the asset's `refresh_sources` takes the results, which are those of a plain parse."""
    from pipelines import publish
    from pipelines.rawdir import scan
    from pipelines.versions import parser_version

    settings = _two_sources(tmp_path)
    raws = scan(settings.raw_dir, settings.include)
    version = parser_version()
    ahead = publish.ParseAhead(settings, raws, version, workers=2)
    try:
        for fut in list(ahead.futures.values()):
            fut.result()
        assert not (settings.parquet_dir / "sources").exists()  # parsed, not published
        outcomes = publish.refresh_sources(settings, ["alpha", "beta"], version)
        assert {k: o.status for k, o in outcomes.items()} == {"alpha": "ok", "beta": "ok"}
        assert publish.ParseAhead.of(settings) is None and not ahead.folder.exists()  # all taken: closed
    finally:
        ahead.close()
    ahead_rows = {t: storage.read_table(settings.parquet_dir, t) for t in publish.TABLES_OF_A_SOURCE}
    assert all(not publish.needs_parse(settings, raw, version) for raw in raws)

    plain = settings.model_copy(update={"output_dir": tmp_path / "plain"})
    publish.refresh_sources(plain, ["alpha", "beta"], version, workers=1)
    for table, rows in ahead_rows.items():
        assert rows.equals(storage.read_table(plain.parquet_dir, table)), table


def test_sources_parsed_ahead_but_never_taken_leave_the_dataset_untouched(tmp_path):
    from pipelines import publish
    from pipelines.rawdir import scan
    from pipelines.versions import parser_version

    settings = _two_sources(tmp_path)
    ahead = publish.ParseAhead(settings, scan(settings.raw_dir, settings.include), parser_version(), workers=2)
    for fut in list(ahead.futures.values()):
        fut.result()
    assert ahead.folder.exists()
    ahead.close()  # the run failed before the parse asset
    assert not ahead.folder.exists() and publish.ParseAhead.of(settings) is None
    assert not (settings.parquet_dir / "sources").exists()
