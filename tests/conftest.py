"""Shared fixtures: the real corpus, and one build of it per test session."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"the real corpus is expected at {CORPUS}"
    return CORPUS


def run_cli(raw: Path, out: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m pipelines.cli build`` (what ``make build`` runs) in a subprocess."""
    env = {**os.environ, "RAW_DIR": str(raw), "OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "build", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory, corpus_dir):
    """One build of the real corpus shared by the integration tests: (out, home, build stdout).
    Tests must not change it (build elsewhere to test changes)."""
    base = tmp_path_factory.mktemp("corpus-build")
    out, home = base / "out", base / "home"
    proc = run_cli(corpus_dir, out, home)
    return out, home, proc
