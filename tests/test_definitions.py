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
