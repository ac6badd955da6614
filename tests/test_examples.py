"""Every recipe in examples/ runs against a fresh build of the real corpus, both with the build
directory as argument and, from a project-like directory, against outputs/ by default.

Expected values checked against the raw files: Chicherin is named in all five sources (000
line 529 `G. V. Chicherin`; 003 line 15 `Chicherin either has already made`); the chronology
of 002 gives `16 April—Treaty of Rapallo is signed` under 1922; 002 note 18 cites `Collected
Works, Vol. 26, Notes, p. 571` and `Soviet Foreign Policy Documents, Vol. I, p. 71`."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def out(corpus_build) -> Path:
    return corpus_build[0]


def run(script: str, *args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def check_polars_mentions(stdout: str, out: Path) -> None:
    n = pl.read_parquet(out / "parquet" / "entities").filter(
        pl.col("entity_id") == "person:georgy-chicherin")["n_mentions"].item()
    assert f"Georgy Chicherin: {n} mentions" in stdout
    for sid in ("000_f9aba6af0706464f", "003_2c5013f083e6a43d"):
        assert sid in stdout
    assert "transferred to G. V. Chicherin" in stdout


def check_treaties_per_year(stdout: str, out: Path) -> None:
    years: dict[str, str] = {}  # year -> its line and the wrapped lines after it
    for line in stdout.splitlines():
        if line[:4].isdigit():
            year = line[:4]
            years[year] = line
        elif years and line.startswith(" " * 10):
            years[year] += " " + line.strip()
    assert "Treaty of Rapallo" in years["1922"]
    t = pl.read_parquet(out / "parquet" / "treaties").drop_nulls("date_signed")
    n1939 = t.filter(pl.col("date_signed").dt.year() == 1939).height
    assert int(years["1939"].split()[1]) == n1939 > 0
    assert "Date of signature" in stdout  # the column description, read from the Parquet schema


def check_cited_works(stdout: str, out: Path) -> None:
    assert "Collected Works" in stdout and "Soviet Foreign Policy Documents" in stdout
    assert "works cited most often" in stdout


CHECKS = {
    "polars_mentions.py": check_polars_mentions,
    "pyarrow_treaties_per_year.py": check_treaties_per_year,
    "duckdb_cited_works.py": check_cited_works,
}


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(CHECKS)


@pytest.mark.parametrize("script", sorted(CHECKS))
def test_example_runs_on_a_build(script, out):
    CHECKS[script](run(script, str(out)), out)


@pytest.mark.parametrize("script", sorted(CHECKS))
def test_example_defaults_to_outputs(script, out, tmp_path):
    # a directory laid out like the project root after `make build`
    (tmp_path / "outputs").symlink_to(out, target_is_directory=True)
    CHECKS[script](run(script, cwd=tmp_path), out)


def test_cited_works_of_a_given_citation(out):
    import polars as pl

    # the footnote of 002 citing Collected Works, Notes p. 571, Note 155 (checked against the raw text)
    cites = pl.read_parquet(out / "parquet" / "citations")
    (cid,) = cites.filter(pl.col("text").str.contains("Note 155"))["citation_id"].to_list()
    stdout = run("duckdb_cited_works.py", str(out), cid)
    assert "Notes, p. 571, Note 155" in stdout
    assert "│ V. I. Lenin │ Collected Works" in stdout
