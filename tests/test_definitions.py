"""The Dagster code location loads, has every table as an asset with checks, and the sensor
follows the raw directory (new, changed, deleted files)."""

import json
import shutil

import dagster as dg

from pipelines import definitions
from pipelines.defs.resources import DatasetResource
from pipelines.defs.sources import raw_dir_sensor, raw_files
from schemas import TABLES


def test_definitions_load_with_every_table_and_checks():
    defs = definitions.defs()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert set(TABLES) | {"catalog"} == keys
    checked = {k.asset_key.to_user_string() for k in graph.asset_check_keys}
    assert checked == set(TABLES)
    for key in graph.get_all_asset_keys():
        assert graph.get(key).code_version, f"{key} has no code_version"
    assert defs.resolve_job_def("build_all")
    assert defs.resolve_schedule_def("daily_rebuild").cron_schedule == "0 3 * * *"


def test_sensor_adds_changes_and_deletes(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text("A first text.\n")
    (raw / "b.txt").write_text("Another text.\n")
    dataset = DatasetResource(raw_dir=str(raw), output_dir=str(out))
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"dataset": dataset})
        result = raw_dir_sensor(ctx)
        assert sorted(r.partition_key for r in result.run_requests) == ["a", "b"]
        assert all(":" in r.run_key for r in result.run_requests)  # content hash in the run key
        (add,) = result.dynamic_partitions_requests
        assert sorted(add.partition_keys) == ["a", "b"]
        instance.add_dynamic_partitions(raw_files.name, ["a", "b"])

        # nothing changed: no runs
        ctx = dg.build_sensor_context(instance=instance, cursor=result.cursor, resources={"dataset": dataset})
        again = raw_dir_sensor(ctx)
        assert again.run_requests == []

        # one file changed, one deleted
        (raw / "a.txt").write_text("A changed text.\n")
        (raw / "b.txt").unlink()
        ctx = dg.build_sensor_context(instance=instance, cursor=again.cursor, resources={"dataset": dataset})
        third = raw_dir_sensor(ctx)
        assert [r.partition_key for r in third.run_requests] == ["a"]
        assert third.run_requests[0].run_key != result.run_requests[0].run_key
        (delete,) = third.dynamic_partitions_requests
        assert list(delete.partition_keys) == ["b"]
        assert json.loads(third.cursor) == {"a": third.run_requests[0].run_key.split(":", 1)[1]}


def test_parse_asset_runs_for_a_partition(tmp_path, corpus_dir):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(corpus_dir / "004_e46a0e7458e67fc2.txt", raw / "excerpt.txt")
    (raw / "empty.txt").write_bytes(b"")
    defs = definitions.defs()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(raw_files.name, ["empty", "excerpt"])
        job = defs.resolve_job_def("parse_sources_job")
        resources = {"dataset": DatasetResource(raw_dir=str(raw), output_dir=str(out))}
        for key in ("empty", "excerpt"):
            res = job.execute_in_process(instance=instance, partition_key=key, resources=resources)
            assert res.success
    from pipelines import storage

    sources = storage.read_table(out / "parquet", "sources").sort("source_id")
    assert sources["status"].to_list() == ["rejected", "ok"]
    assert "empty" in sources["reject_reason"][0]
    assert storage.read_table(out / "parquet", "paragraphs").height > 5


def test_partitions_run_under_the_multiprocess_executor_by_configuration(tmp_path):
    """The same job, two partitions in one run, every step in its own process: only the run
    config differs from `make build` (in process)."""
    raw, out, home = tmp_path / "raw", tmp_path / "out", tmp_path / "home"
    raw.mkdir()
    home.mkdir()
    (raw / "alpha.txt").write_text(
        "A Note on the Conference\n\nThe delegates met at Genoa in April 1922 and Chicherin spoke first.\n")
    (raw / "beta.txt").write_text(
        "Another Short Paper\n\nLitvinov argued for disarmament at Geneva in 1927, without success.\n")
    run_config = {
        "execution": {"config": {"multiprocess": {"max_concurrent": 2}}},
        "resources": {"dataset": {"config": {"raw_dir": str(raw), "output_dir": str(out)}}},
    }
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        instance.add_dynamic_partitions(raw_files.name, ["alpha", "beta"])
        tags = {"dagster/asset_partition_range_start": "alpha", "dagster/asset_partition_range_end": "beta"}
        with dg.execute_job(dg.reconstructable(definitions.build_all_job), instance=instance,
                            run_config=run_config, tags=tags) as result:
            assert result.success
            starts = [e for e in result.all_events if e.event_type_value == "STEP_WORKER_STARTED"]
            assert len(starts) >= 4  # steps ran in worker processes
            mats = {(e.asset_key.to_user_string(), e.partition)
                    for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
        assert {("paragraphs", "alpha"), ("paragraphs", "beta"), ("entities", None), ("catalog", None)} <= mats
    from pipelines import storage

    paragraphs = storage.read_table(out / "parquet", "paragraphs")
    assert set(paragraphs["source_id"]) == {"alpha", "beta"}
    mentions = storage.read_table(out / "parquet", "entity_mentions")
    assert {"person:georgy-chicherin", "person:maxim-litvinov"} <= set(mentions["entity_id"])
    assert (out / "corpus.duckdb").exists()


def test_in_process_is_the_default_executor():
    job = definitions.build_all_job()
    assert job.executor_def.name == "in_process_or_multiprocess"
    assert job.executor_def.config_schema.default_value == {"in_process": {}}


def toy_job(check_passes: bool) -> dg.JobDefinition:
    """Three partitions of an asset and a downstream asset with one check (passing or failing)."""

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b", "c"]))
    def numbers():
        return dg.MaterializeResult(metadata={"n": 1})

    @dg.asset(deps=[numbers], check_specs=[dg.AssetCheckSpec("positive", asset="total")])
    def total():
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="positive", passed=check_passes)])

    return dg.Definitions(assets=[numbers, total], jobs=[dg.define_asset_job("all")]).resolve_job_def("all")


def test_build_instance_keeps_one_connection_and_stock_dagster_reads_and_writes_alongside(tmp_path, monkeypatch):
    """The build's run and event storages (pipelines.instance) open each SQLite file once, not
    per call, and write the stock layout: a stock instance on the same DAGSTER_HOME (the UI,
    the daemon) reads its runs, materializations and check results and writes while it is
    open; once both are closed no write-ahead log is left behind."""
    import sqlite3

    from dagster._core.instance.ref import InstanceRef

    from pipelines.instance import build_instance

    job = toy_job(check_passes=True)
    tags = {"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "c"}
    home = tmp_path / "home"
    home.mkdir()
    instance = build_instance(home)
    assert job.execute_in_process(instance=instance, tags=tags).success
    opened = []
    real_connect = sqlite3.dbapi2.connect
    monkeypatch.setattr(sqlite3.dbapi2, "connect", lambda *a, **k: opened.append(a[0]) or real_connect(*a, **k))
    assert job.execute_in_process(instance=instance, tags=tags).success  # ~40 events stored
    event_files = [p for p in opened if "history/runs/" in p]
    assert len(event_files) == len(set(event_files)) <= 2, event_files  # the new run's file, maybe the index
    assert [p for p in opened if p.endswith("history/runs.db")] == []  # still open from the first run
    monkeypatch.undo()

    stock = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert [r.dagster_run.status.value for r in stock.get_run_records()] == ["SUCCESS", "SUCCESS"]
        mats = stock.fetch_materializations(dg.AssetKey("numbers"), limit=100).records
        assert sorted(m.partition_key for m in mats) == ["a", "a", "b", "b", "c", "c"]
        history = stock.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("total"), "positive"), limit=10)
        assert [h.status.value for h in history] == ["SUCCEEDED", "SUCCEEDED"]
        stock.add_dynamic_partitions("raw_files", ["x"])  # written while the build holds its connections
        assert instance.get_dynamic_partitions("raw_files") == ["x"]
    finally:
        stock.dispose()
        instance.dispose()
    assert not list(home.rglob("*.db-wal")), list(home.rglob("*.db-wal"))


def test_build_definitions_are_the_code_location_without_the_component_library():
    """`make build` loads the defs folder without the UI's component-type catalogue: the same
    assets, checks, jobs, sensors, schedules, resources and loggers as the code location."""
    location, build = definitions.defs(), definitions.build_defs()

    def shape(d: dg.Definitions) -> dict:
        graph = d.resolve_asset_graph()
        return {
            "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
            "checks": sorted(k.to_user_string() for k in graph.asset_check_keys),
            "code_versions": sorted((k.to_user_string(), graph.get(k).code_version) for k in graph.get_all_asset_keys()),
            "jobs": sorted(j.name for j in d.jobs),
            "sensors": sorted(s.name for s in d.sensors),
            "schedules": sorted(s.name for s in d.schedules),
            "resources": sorted(d.resources),
            "loggers": sorted(d.loggers),
            "executor": d.executor.name,
        }

    assert shape(build) == shape(location)
    assert "raw_dir_sensor" in shape(build)["sensors"] and shape(build)["assets"]
    assert definitions.build_all_job().executor_def.name == "in_process_or_multiprocess"


def test_batched_event_storage_writes_what_the_stock_storage_writes(tmp_path):
    """One run's asset and check events stored by `FastSqliteEventLogStorage.store_event_batch`
    leave the index database exactly as the stock one-event-at-a-time storage does."""
    import sqlite3

    from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from pipelines.instance import FastSqliteEventLogStorage

    job = toy_job(check_passes=False)
    with dg.instance_for_test() as instance:
        run = job.execute_in_process(instance=instance, tags={
            "dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "c"})
        entries = instance.all_logs(run.run_id)
    batch = [e for e in entries if e.is_dagster_event and e.dagster_event_type in ASSET_EVENTS | ASSET_CHECK_EVENTS]
    assert {e.dagster_event_type.value for e in batch} == {
        "ASSET_MATERIALIZATION_PLANNED", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION_PLANNED",
        "ASSET_CHECK_EVALUATION"}
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    for e in batch:
        stock.store_event(e)
    fast = FastSqliteEventLogStorage(str(tmp_path / "fast"))
    fast.store_event_batch(batch)
    stock.dispose()
    fast.dispose()

    def index(folder) -> dict[str, list]:
        con = sqlite3.connect(folder / "index.db")
        out = {}
        for (table,) in con.execute("select name from sqlite_master where type = 'table'"):
            cols = [r[1] for r in con.execute(f"pragma table_info({table})")
                    if r[1] not in ("create_timestamp", "updated_timestamp", "migration_completed")]
            names = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(map(repr, con.execute(f"select {names} from {table}")))
        con.close()
        return out

    stock_rows, fast_rows = index(tmp_path / "stock"), index(tmp_path / "fast")
    assert len(stock_rows["event_logs"]) == len(batch) and stock_rows["asset_check_executions"]
    assert fast_rows == stock_rows
