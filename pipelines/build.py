"""The build without a daemon: sync partitions with the raw directory, then run every asset
(all partitions in one run, in one process) and its checks.

Only new or changed files are parsed (``publish.is_current``); with nothing changed since the
last build, no run is started at all."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.rawdir import file_sha256, scan
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.versions import catalog_version, extraction_version, parser_version

BUILD_JOB = "build_all"


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME defaults to ``.dagster_home/`` in the project, configured by dagster.yaml."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = PROJECT_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    if config.exists() and (not target.exists() or target.read_bytes() != config.read_bytes()):
        target.write_bytes(config.read_bytes())
    return home


class BuildLocked(RuntimeError):
    pass


@contextlib.contextmanager
def build_lock(settings: Settings, wait_seconds: float = 600):
    """One build at a time per output directory; a second one waits, then gives up clearly."""
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    path = settings.output_dir / ".build.lock"
    with open(path, "w") as f:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BuildLocked(
                        f"another build holds {path} for more than {wait_seconds:.0f}s; wait for it to finish"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def state_of(settings: Settings) -> dict:
    """What the outputs depend on: every raw file's hash and every code version."""
    files = {}
    for raw in scan(settings.raw_dir, settings.include):
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


@dataclass
class BuildReport:
    status: str  # built / up_to_date / failed
    seconds: float
    sources: dict[str, list[str]] = field(default_factory=dict)  # added / changed / removed
    rows: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def run_build(settings: Settings, force: bool = False, verbose: bool = False) -> BuildReport:
    import dagster as dg

    from pipelines import storage
    from pipelines.definitions import defs as load_defs
    from pipelines.defs.sources import raw_files

    t0 = time.perf_counter()
    ensure_dagster_home()
    with build_lock(settings):
        state_path = settings.output_dir / ".build-state.json"
        state = state_of(settings)
        previous = json.loads(state_path.read_text()) if state_path.exists() else {}
        prev_files = previous.get("files", {})
        changes = {
            "added": sorted(set(state["files"]) - set(prev_files)),
            "changed": sorted(s for s in state["files"] if s in prev_files and prev_files[s] != state["files"][s]),
            "removed": sorted(set(prev_files) - set(state["files"])),
        }
        outputs_present = settings.catalog_path.exists()
        if state == previous and outputs_present and not force:
            return BuildReport("up_to_date", time.perf_counter() - t0, changes, _catalog_counts(settings))

        instance = dg.DagsterInstance.get()
        keys = set(state["files"])
        known = set(instance.get_dynamic_partitions(raw_files.name))
        stale = sorted(known - keys) + sorted(set(storage.source_ids_on_disk(settings.parquet_dir)) - keys)
        for sid in set(stale):
            storage.delete_source(settings.parquet_dir, sid)
        if known - keys:
            for sid in sorted(known - keys):
                instance.delete_dynamic_partition(raw_files.name, sid)
        new = sorted(keys - known)
        if new:
            instance.add_dynamic_partitions(raw_files.name, new)
        ordered = [k for k in instance.get_dynamic_partitions(raw_files.name) if k in keys]

        defs = load_defs()
        job = defs.resolve_job_def(BUILD_JOB)
        tags = {}
        if ordered:
            tags = {
                "dagster/asset_partition_range_start": ordered[0],
                "dagster/asset_partition_range_end": ordered[-1],
            }
        if force:
            for sid in ordered:
                storage.delete_source(settings.parquet_dir, sid)
        from pipelines.defs.logging import run_logging_config

        run_config = run_logging_config(verbose)
        result = job.execute_in_process(instance=instance, tags=tags, run_config=run_config, raise_on_error=False)
        report = BuildReport("built" if result.success else "failed", 0.0, changes)
        for ev in result.get_asset_check_evaluations():
            if ev.passed:
                report.checks_passed += 1
            else:
                report.checks_failed.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
        if not result.success:
            failed = [e for e in result.all_events if e.is_step_failure]
            msgs = [f"{e.step_key}: {e.event_specific_data.error.message.strip().splitlines()[-1]}" for e in failed]
            report.checks_failed += msgs
        else:
            state_path.write_text(json.dumps(state, indent=1, sort_keys=True))
        report.rows = _catalog_counts(settings)
        sources = storage.read_table(settings.parquet_dir, "sources")
        report.rejected = {
            r["source_id"]: r["reject_reason"] for r in sources.to_dicts() if r["status"] == "rejected"
        }
        report.seconds = time.perf_counter() - t0
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
