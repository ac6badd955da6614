"""One dynamic partition per raw file; the sensor that follows the raw directory; the schedule."""


import hashlib
import json

import dagster as dg

from pipelines import publish
from pipelines.defs.resources import DatasetResource
from pipelines.rawdir import file_sha256, scan

raw_files = dg.DynamicPartitionsDefinition(name="raw_files")

per_source_job = dg.define_asset_job(
    "parse_sources_job",
    selection=dg.AssetSelection.groups("per_source"),
    partitions_def=raw_files,
)
corpus_job = dg.define_asset_job(
    "corpus_tables_job",
    selection=dg.AssetSelection.groups("corpus"),
)


def fingerprints(dataset: DatasetResource) -> dict[str, str]:
    """source_id -> sha256 of every raw file (or the reject reason for unreadable ones)."""
    settings = dataset.settings()
    out = {}
    for raw in scan(settings.raw_dir, settings.include):
        try:
            out[raw.source_id] = raw.reject or file_sha256(raw.abspath)
        except OSError:
            out[raw.source_id] = "unreadable"
    return out


@dg.sensor(
    job=per_source_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition per new raw file, re-parses changed files (content hash in the run key) "
    "and removes deleted files' partitions and rows; the corpus-wide tables follow by automation.",
)
def raw_dir_sensor(context: dg.SensorEvaluationContext, dataset: DatasetResource) -> dg.SensorResult:
    previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = fingerprints(dataset)
    known = set(context.instance.get_dynamic_partitions(raw_files.name))
    added = sorted(set(current) - known)
    deleted = sorted(known - set(current))
    for sid in deleted:
        publish.remove_source(dataset.settings(), sid)
    runs = [
        dg.RunRequest(partition_key=sid, run_key=f"{sid}:{digest}")
        for sid, digest in sorted(current.items())
        if previous.get(sid) != digest or sid in added
    ]
    requests = []
    if added:
        requests.append(raw_files.build_add_request(added))
    if deleted:
        requests.append(raw_files.build_delete_request(deleted))
    if deleted and not runs:
        # only deletions: the corpus-wide tables must still drop those sources' rows
        state = hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]
        runs.append(dg.RunRequest(job_name=corpus_job.name, run_key=f"deleted:{','.join(deleted)}:{state}"))
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests, cursor=json.dumps(current, sort_keys=True))


daily_rebuild = dg.ScheduleDefinition(
    name="daily_rebuild",
    job=corpus_job,
    cron_schedule="0 3 * * *",
    description="Daily: rebuild the corpus-wide tables and the catalog (per-source work follows the sensor).",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[per_source_job, corpus_job, build_all_job], sensors=[raw_dir_sensor], schedules=[daily_rebuild])


build_all_job = dg.define_asset_job(
    "build_all",
    selection=dg.AssetSelection.all(),
    description="Everything: per-source tables for a range of partitions (one run), then the corpus-wide "
    "tables, the catalog and all checks. Used by `make build`.",
)
