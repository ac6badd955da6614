"""The build without a daemon: sync partitions with the raw directory, then run the assets
of the partitions that need work (one run, in one process) and every corpus-wide asset and check.

- Nothing changed since the last successful build (raw bytes, paths, code versions): no
  Dagster import, no run; a second or so even at 100× the corpus.
- Otherwise the run's partition range spans only the sources that need parsing (new, changed,
  parser changed); deleted sources lose their rows and partitions first. When no source needs
  parsing (only deletions, or an extraction/catalog change) the run has the corpus-wide assets
  only.
- Safety: one build per output directory (``build_lock``, an OS lock released when the process
  dies, even by SIGKILL); every file is published by ``os.replace`` from a per-process staging
  folder, and what a killed build left there is removed at the next start."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.rawdir import RawFile, file_sha256, scan
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.versions import catalog_version, extraction_version, parser_version

BUILD_JOB = "build_all"
FORCE_TAG = "sfp/force"  # same value as pipelines.defs.parse.FORCE_TAG (not imported: no dagster here)


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME defaults to ``.dagster_home/`` in the project, configured by dagster.yaml."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = PROJECT_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    if config.exists() and (not target.exists() or target.read_bytes() != config.read_bytes()):
        tmp = target.with_name(f".dagster.yaml.{os.getpid()}")
        tmp.write_bytes(config.read_bytes())
        os.replace(tmp, target)
    return home


class BuildLocked(RuntimeError):
    pass


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


@contextlib.contextmanager
def build_lock(settings: Settings, wait_seconds: float | None = None, notify=None):
    """One build at a time per output directory. A second one waits (``notify`` is called once
    with a one-line message) up to ``wait_seconds``, then raises ``BuildLocked``. The lock is an
    ``flock``: the OS releases it when the holder exits, however it exits."""
    wait_seconds = settings.lock_wait_seconds if wait_seconds is None else wait_seconds
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    path = settings.output_dir / ".build.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLocked(
                        f"another build ({_holder(path)}) is writing {settings.output_dir}; "
                        f"gave up after {wait_seconds:.0f}s (set BUILD_LOCK_WAIT to wait longer)"
                    ) from None
                if notify and not told:
                    notify(f"waiting for another build ({_holder(path)}) of {settings.output_dir} to finish ...")
                    told = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def state_of(settings: Settings, raws: list[RawFile] | None = None) -> dict:
    """What the outputs depend on: every raw file's hash and every code version (``raws``: the
    raw directory's files, scanned here when not given)."""
    files = {}
    for raw in scan(settings.raw_dir, settings.include) if raws is None else raws:
        try:
            files[raw.source_id] = [raw.path, raw.reject or file_sha256(raw.abspath)]
        except OSError:
            files[raw.source_id] = [raw.path, "unreadable"]
    return {
        "raw_dir": str(settings.raw_dir),
        "files": files,
        "versions": {
            "parser": parser_version(),
            "extraction": extraction_version(),
            "catalog": catalog_version(),
        },
    }


def _write_json(path: Path, value: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True))
    os.replace(tmp, path)


@dataclass
class BuildReport:
    status: str  # built / up_to_date / failed
    seconds: float
    sources: dict[str, list[str]] = field(default_factory=dict)  # added / changed / removed
    rows: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    parsed: list[str] = field(default_factory=list)  # sources whose partitions the run covered
    timings: dict[str, float] = field(default_factory=dict)


def partition_range(ordered: list[str], todo: set[str]) -> tuple[str, str] | None:
    """The smallest contiguous range of ``ordered`` (the partitions' order) holding ``todo``.
    New files are added at the end, so new and single changed files give tight ranges; the
    sources inside the range that are current are skipped by the asset (``publish``)."""
    idx = [i for i, k in enumerate(ordered) if k in todo]
    return (ordered[idx[0]], ordered[idx[-1]]) if idx else None


def run_build(settings: Settings, force: bool = False, verbose: bool = False, notify=None) -> BuildReport:
    from pipelines import storage

    if notify is None:
        def notify(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 3)
        return now

    home = ensure_dagster_home()
    with build_lock(settings, notify=notify):
        storage.clean_staging(settings.staging_root)
        state_path = settings.output_dir / ".build-state.json"
        raws = scan(settings.raw_dir, settings.include)
        state = state_of(settings, raws)
        try:
            previous = json.loads(state_path.read_text()) if state_path.exists() else {}
        except ValueError:
            previous = {}
        prev_files = previous.get("files", {})
        changes = {
            "added": sorted(set(state["files"]) - set(prev_files)),
            "changed": sorted(s for s in state["files"] if s in prev_files and prev_files[s] != state["files"][s]),
            "removed": sorted(set(prev_files) - set(state["files"])),
        }
        t = lap("scan", t0)
        if state == previous and settings.catalog_path.exists() and not force:
            return BuildReport("up_to_date", time.perf_counter() - t0, changes, _catalog_counts(settings),
                               timings=timings)

        from pipelines import publish

        keys = set(state["files"])
        by_id = {r.source_id: r for r in raws}
        version = parser_version()
        # one pass over the published sources rows, with the hashes state_of has just computed
        hashes = {k: v[1] for k, v in state["files"].items() if not by_id[k].reject and v[1] != "unreadable"}
        todo = keys if force else publish.needing_parse(settings, raws, version, hashes)
        ahead = None
        if todo and settings.workers > 1:
            # parse in worker processes while Dagster is imported and the run is created; the
            # parse asset publishes the results (publish.ParseAhead)
            ahead = publish.ParseAhead(settings, [by_id[k] for k in sorted(todo) if k in by_id], version,
                                       min(settings.workers, len(todo)))
        t = lap("plan", t)
        try:
            report = _run(settings, home, keys, todo, force, verbose, lap, t)
        finally:
            if ahead:
                ahead.close()
        report.sources = changes
        if report.status == "built":
            _write_json(state_path, state)
        t = time.perf_counter()
        report.rows = _catalog_counts(settings)
        sources = storage.read_table(settings.parquet_dir, "sources", ["source_id", "status", "reject_reason"])
        report.rejected = {
            r["source_id"]: r["reject_reason"] for r in sources.to_dicts() if r["status"] == "rejected"
        }
        storage.clean_staging(settings.staging_root)
        lap("summary", t)
        report.seconds = time.perf_counter() - t0
        report.timings = timings
        return report


def _run(settings: Settings, home: Path, keys: set[str], todo: set[str], force: bool, verbose: bool,
         lap, t: float) -> BuildReport:
    """Sync the dynamic partitions with ``keys``, then run ``build_all`` in process over the
    partition range holding ``todo`` (or the corpus-wide assets alone)."""
    from pipelines import publish, storage
    from pipelines.defs.sources import raw_files
    from pipelines.instance import build_instance

    instance = build_instance(home)
    try:
        t = lap("instance", t)
        known = instance.get_dynamic_partitions(raw_files.name)
        gone = (set(known) - keys) | (storage.source_ids_on_disk(settings.parquet_dir) - keys)
        for sid in sorted(gone):
            publish.remove_source(settings, sid)
        for sid in sorted(set(known) - keys):
            instance.delete_dynamic_partition(raw_files.name, sid)
        new = sorted(keys - set(known))
        if new:
            instance.add_dynamic_partitions(raw_files.name, new)
        ordered = [k for k in known if k in keys] + new
        span = partition_range(ordered, todo)
        t = lap("partitions", t)

        from pipelines.definitions import build_defs
        from pipelines.defs.logging import run_logging_config

        defs = build_defs()
        job = defs.resolve_job_def(BUILD_JOB)
        tags: dict[str, str] = {}
        selection = None
        if span:
            tags = {"dagster/asset_partition_range_start": span[0], "dagster/asset_partition_range_end": span[1]}
            if force:
                tags[FORCE_TAG] = "true"
        else:  # nothing to parse: only the corpus-wide assets (and their checks)
            graph = defs.resolve_asset_graph()
            selection = [k for k in graph.get_all_asset_keys() if not graph.get(k).partitions_def]
        t = lap("definitions", t)
        run_config = {
            **run_logging_config(verbose),
            # the run reads and writes where this build does (other settings: the environment)
            "resources": {"dataset": {"config": {"raw_dir": str(settings.raw_dir),
                                                 "output_dir": str(settings.output_dir)}}},
        }
        result = job.execute_in_process(instance=instance, tags=tags, run_config=run_config,
                                        raise_on_error=False, asset_selection=selection)
        lap("run", t)
    finally:
        instance.dispose()
    report = BuildReport("built" if result.success else "failed", 0.0)
    if span:
        report.parsed = ordered[ordered.index(span[0]): ordered.index(span[1]) + 1]
    for ev in result.get_asset_check_evaluations():
        if ev.passed:
            report.checks_passed += 1
        else:
            report.checks_failed.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        msgs = [f"{e.step_key}: {e.event_specific_data.error.message.strip().splitlines()[-1]}" for e in failed]
        report.checks_failed += msgs
    return report


def _catalog_counts(settings: Settings) -> dict[str, int]:
    if not settings.catalog_path.exists():
        return {}
    import duckdb

    from schemas import TABLES

    con = duckdb.connect(str(settings.catalog_path), read_only=True)
    try:
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in TABLES}
    finally:
        con.close()
