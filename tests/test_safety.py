"""Safety of a build: killed at any moment it leaves nothing torn for readers and the next
build recovers; two builds at once never interleave (one waits, or fails with one clear line);
staging leftovers of killed writers are removed."""

import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import storage
from pipelines.build import build_lock
from pipelines.settings import Settings
from schemas import TABLES

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("000_f9aba6af0706464f.txt", "001_a6ed507f8ecbd8e2.txt", "003_2c5013f083e6a43d.txt",
         "004_e46a0e7458e67fc2.txt")


@pytest.fixture
def small_raw(tmp_path, corpus_dir) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SMALL:
        shutil.copy(corpus_dir / name, raw / name)
    return raw


def env_for(raw: Path, out: Path, home: Path, **extra: str) -> dict:
    return {**os.environ, "RAW_DIR": str(raw), "OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home), **extra}


def start_build(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "build", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def assert_readable(out: Path) -> int:
    """What a reader sees is whole: every Parquet file reads, the catalog opens, no temporary
    file lies among the published ones. Returns the number of Parquet files."""
    files = list((out / "parquet").glob("**/*")) if (out / "parquet").exists() else []
    stray = [p for p in files if p.is_file() and p.suffix != ".parquet"]
    assert not stray, stray
    parquet = [p for p in files if p.suffix == ".parquet"]
    for p in parquet:
        pq.read_table(p)
    catalog = out / "corpus.duckdb"
    if catalog.exists():
        con = duckdb.connect(str(catalog), read_only=True)
        con.execute("select count(*) from paragraphs").fetchone()
        con.close()
    return len(parquet)


def assert_lock_free(out: Path) -> None:
    with open(out / ".build.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a dead build still held it
        fcntl.flock(f, fcntl.LOCK_UN)


def test_sigkill_at_random_moments_never_leaves_torn_files(tmp_path, small_raw):
    out, home = tmp_path / "out", tmp_path / "home"
    env = env_for(small_raw, out, home, BUILD_WORKERS="2")
    rng = random.Random(20)
    # how long a whole build takes here, so the kills land inside builds however fast they are
    t0 = time.monotonic()
    first = start_build(env)
    first.communicate(timeout=600)
    span = time.monotonic() - t0
    killed = 0
    for delay in [rng.uniform(0.05, 0.95) * span for _ in range(6)]:
        proc = start_build(env, "--force")  # every attempt rewrites every file
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the build and its parse workers
            killed += 1
        proc.communicate()
        assert_readable(out)
        if (out / ".build.lock").exists():
            assert_lock_free(out)
    assert killed >= 3, "the delays should interrupt most builds"
    # the next build recovers: completes, every table valid, nothing left in staging
    proc = start_build(env)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout + stderr
    assert "checks:" in stdout and " 0 failed" in stdout or "Up to date" in stdout, stdout
    assert assert_readable(out) > 0
    for table in TABLES:
        assert storage.read_table(out / "parquet", table).height > 0, table
    assert sorted(storage.read_table(out / "parquet", "sources")["source_id"]) == sorted(
        Path(n).stem for n in SMALL)
    assert not [p for p in (out / ".staging").rglob("*")], list((out / ".staging").rglob("*"))


def test_a_second_build_fails_with_one_line_when_told_not_to_wait(tmp_path, small_raw):
    out, home = tmp_path / "out", tmp_path / "home"
    settings = Settings(raw_dir=small_raw, output_dir=out)
    with build_lock(settings, wait_seconds=0):
        proc = start_build(env_for(small_raw, out, home, BUILD_LOCK_WAIT="0"))
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stdout + stderr
    errors = [line for line in stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"pid {os.getpid()}" in errors[0] and str(out) in errors[0], stdout
    assert "Traceback" not in stdout + stderr
    assert not (out / "parquet").exists()  # it wrote nothing


def test_a_second_build_waits_for_the_first(tmp_path, small_raw):
    out, home = tmp_path / "out", tmp_path / "home"
    settings = Settings(raw_dir=small_raw, output_dir=out)
    with build_lock(settings, wait_seconds=0):
        proc = start_build(env_for(small_raw, out, home, BUILD_LOCK_WAIT="120"))
        time.sleep(3)
        assert proc.poll() is None  # still waiting
        assert not (out / "parquet").exists()
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout + stderr
    assert "waiting for another build" in stderr
    assert assert_readable(out) > 0


def test_two_builds_started_at_once_both_finish_and_agree(tmp_path, small_raw):
    out, home = tmp_path / "out", tmp_path / "home"
    env = env_for(small_raw, out, home)
    procs = [start_build(env), start_build(env)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    stdouts = [r[0] for r in results]
    assert sum("Up to date" in s for s in stdouts) == 1, stdouts  # the second found nothing to do
    assert assert_readable(out) > 0
    assert storage.read_table(out / "parquet", "sources").height == len(SMALL)


def test_clean_staging_removes_only_dead_writers_leftovers(tmp_path):
    root = tmp_path / ".staging"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (root / f"p{dead.pid}").mkdir(parents=True)
    (root / f"p{dead.pid}" / "paragraphs-x.parquet").write_bytes(b"half")
    alive = root / f"p{os.getppid()}"
    alive.mkdir()
    (alive / "documents-y.parquet").write_bytes(b"in flight")
    old, new = root / "corpus-old.duckdb", root / "corpus-new.duckdb"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    removed = storage.clean_staging(root)
    assert sorted(p.name for p in removed) == sorted([f"p{dead.pid}", "corpus-old.duckdb"])
    assert alive.exists() and new.exists()
    assert storage.clean_staging(tmp_path / "missing") == []
