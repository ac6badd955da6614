"""Incremental rebuilds: the raw-directory sensor's add / change / delete, with the runs it
requests actually executed; the per-source mention and treaty caches; only changed files
re-parsed; an incremental build gives the rows of a full one.

Raw texts are hand-written (invented sentences in the style of the corpus)."""

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines import definitions, mentions_cache, publish, storage, treaty_cache
from pipelines.build import partition_range, run_build
from pipelines.defs.resources import DatasetResource
from pipelines.defs.sources import corpus_job, per_source_job, raw_dir_sensor, raw_files
from pipelines.settings import Settings
from pipelines.versions import extraction_version
from schemas import TABLES

ALPHA = (
    "Notes on the Genoa Conference\n\n"
    "In April 1922 the delegation led by Chicherin arrived at Genoa; Litvinov followed a week later.\n\n"
    "The Rapallo Treaty was signed on 16 April 1922 by Chicherin and Rathenau.\n"
)
BETA = (
    "A Memorandum on Disarmament\n\n"
    "Litvinov put the proposal for complete disarmament before the Preparatory Commission at Geneva in 1927.\n"
)
BETA_CHANGED = (
    "A Memorandum on Disarmament, revised\n\n"
    "Litvinov put a second proposal before the commission in 1928; Chicherin approved it from Moscow.\n\n"
    "The proposal was rejected by the other delegations.\n"
)
DELTA = (
    "Trade and Neighbours\n\n"
    "Just as useful was the Soviet-American trade agreement of 1937, based on fair terms.\n\n"
    "The Soviet-Afghan Treaty was signed in Moscow on February 28, 1921. "
    "The Rapallo Treaty was ratified on 4 July 1922.\n"
)
DELTA_CHANGED = "Trade and Neighbours, revised\n\nThe Soviet-Afghan Treaty was signed in Kabul on February 28, 1921.\n"
GAMMA = "A Short Letter\n\nThe ambassador wrote from Berlin that Chicherin was expected in the spring of 1925.\n"

ROOT = Path(__file__).resolve().parent.parent
PER_SOURCE = [t for t, m in TABLES.items() if m.__per_source__]
CORPUS = [t for t, m in TABLES.items() if not m.__per_source__]


def source_ids_in(out, table: str) -> set[str]:
    df = storage.read_table(out / "parquet", table)
    return set(df["source_id"].drop_nulls()) if "source_id" in df.columns else set()


class Harness:
    """Evaluates the sensor and does what the daemon would: apply its partition requests,
    execute the runs it asks for, then the corpus job (automation in production)."""

    def __init__(self, instance, raw, out):
        self.instance, self.raw, self.out = instance, raw, out
        self.dataset = DatasetResource(raw_dir=str(raw), output_dir=str(out))
        self.defs = definitions.defs()
        self.cursor = None
        self.run_keys: set[str] = set()

    def tick(self) -> dg.SensorResult:
        ctx = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources={"dataset": self.dataset})
        result = raw_dir_sensor(ctx)
        self.cursor = result.cursor
        for req in result.dynamic_partitions_requests:
            if isinstance(req, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
            else:
                for key in req.partition_keys:
                    self.instance.delete_dynamic_partition(req.partitions_def_name, key)
        resources = {"dataset": self.dataset}
        for req in result.run_requests:
            assert req.run_key not in self.run_keys, "run keys deduplicate forever: each must be new"
            self.run_keys.add(req.run_key)
            job = self.defs.resolve_job_def(req.job_name or per_source_job.name)
            res = job.execute_in_process(instance=self.instance, partition_key=req.partition_key, resources=resources)
            assert res.success
        res = self.defs.resolve_job_def(corpus_job.name).execute_in_process(instance=self.instance, resources=resources)
        assert res.success
        return result


@pytest.fixture
def harness(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    with dg.instance_for_test() as instance:
        yield Harness(instance, raw, out)


def test_sensor_add_change_delete_with_runs_executed(harness):
    raw, out = harness.raw, harness.out
    (raw / "alpha.txt").write_text(ALPHA)
    (raw / "beta.txt").write_text(BETA)

    # add: both parsed, corpus tables built from both
    first = harness.tick()
    assert sorted(r.partition_key for r in first.run_requests) == ["alpha", "beta"]
    for table in PER_SOURCE:
        if table not in ("citations", "events", "discarded_text"):
            assert source_ids_in(out, table) == {"alpha", "beta"}, table
    assert source_ids_in(out, "entity_mentions") == {"alpha", "beta"}
    assert "treaty:treaty-of-rapallo" in set(storage.read_table(out / "parquet", "treaties")["treaty_id"])
    con = duckdb.connect(str(out / "corpus.duckdb"), read_only=True)
    assert con.execute("select count(distinct source_id) from paragraphs").fetchone()[0] == 2
    con.close()

    # nothing changed: no run
    assert harness.tick().run_requests == []

    # change: beta re-parsed (new run key), its new text everywhere, alpha untouched
    alpha_files = {p: p.stat().st_mtime_ns for p in (out / "parquet").glob("*/source_id=alpha/*.parquet")}
    (raw / "beta.txt").write_text(BETA_CHANGED)
    changed = harness.tick()
    assert [r.partition_key for r in changed.run_requests] == ["beta"]
    texts = " ".join(storage.read_table(out / "parquet", "paragraphs").filter(
        pl.col("source_id") == "beta")["text"])
    assert "second proposal" in texts and "complete disarmament" not in texts
    assert {p: p.stat().st_mtime_ns for p in alpha_files} == alpha_files
    beta_people = set(storage.read_table(out / "parquet", "entity_mentions").filter(
        pl.col("source_id") == "beta")["entity_id"])
    assert "person:georgy-chicherin" in beta_people  # named only in the changed text

    # delete: alpha's rows leave every per-source table, the corpus tables and the catalog
    (raw / "alpha.txt").unlink()
    deleted = harness.tick()
    assert [r.job_name for r in deleted.run_requests] == [corpus_job.name]
    assert harness.instance.get_dynamic_partitions(raw_files.name) == ["beta"]
    for table in TABLES:
        assert "alpha" not in source_ids_in(out, table), table
    assert not list((out / "parquet").glob("*/source_id=alpha"))
    paragraph_ids = set(storage.read_table(out / "parquet", "paragraphs")["paragraph_id"])
    for table in ("entity_mentions", "treaty_events"):
        assert set(storage.read_table(out / "parquet", table)["paragraph_id"]) <= paragraph_ids, table
    # the Rapallo treaty was named only in alpha
    assert "treaty:treaty-of-rapallo" not in set(storage.read_table(out / "parquet", "treaties")["treaty_id"])
    con = duckdb.connect(str(out / "corpus.duckdb"), read_only=True)
    for table in ("sources", "paragraphs", "entity_mentions"):
        assert con.execute(f"select count(*) from {table} where source_id = 'alpha'").fetchone()[0] == 0
    con.close()
    assert mentions_cache.source_ids(Settings(raw_dir=raw, output_dir=out)) == ["beta"]

    # delete and add in one tick: the new file is parsed, the old one's rows go
    (raw / "beta.txt").unlink()
    (raw / "gamma.txt").write_text(GAMMA)
    both = harness.tick()
    assert [r.partition_key for r in both.run_requests] == ["gamma"]
    for table in ("sources", "paragraphs", "entity_mentions"):
        assert source_ids_in(out, table) == {"gamma"}, table


def test_mention_cache_gives_the_corpus_wide_rows(tmp_path):
    from pipelines.extraction.entities import build_entity_tables

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name, text in {"alpha": ALPHA, "beta": BETA, "gamma": GAMMA}.items():
        (raw / f"{name}.txt").write_text(text)
    settings = Settings(raw_dir=raw, output_dir=out)
    publish.refresh_sources(settings, ["alpha", "beta", "gamma"], "test", workers=1)
    assert mentions_cache.refresh(settings, "v1", workers=1) == {"reused": 0, "computed": 3, "dropped": 0}
    ids = mentions_cache.source_ids(settings)
    paragraphs = storage.read_table(out / "parquet", "paragraphs").to_dicts()
    documents = storage.read_table(out / "parquet", "documents").to_dicts()
    entities, mentions = build_entity_tables(paragraphs, documents)
    assert mentions_cache.entity_rows(settings, ids) == entities
    assert mentions_cache.mentions_table(settings, ids).to_pylist() == storage.to_arrow("entity_mentions", mentions).to_pylist()
    # Chicherin is named in two sources: counts add up, aliases are the union
    chicherin = next(e for e in entities if e["entity_id"] == "person:georgy-chicherin")
    assert chicherin["n_mentions"] == 3 and chicherin["n_documents"] == 2

    # one source changes: only it is linked again; a new extraction version recomputes all
    (raw / "gamma.txt").write_text(GAMMA.replace("Chicherin", "Litvinov"))
    publish.refresh_sources(settings, ["gamma"], "test", workers=1)
    assert mentions_cache.refresh(settings, "v1", workers=1) == {"reused": 2, "computed": 1, "dropped": 0}
    assert mentions_cache.refresh(settings, "v1", workers=1)["computed"] == 0
    storage.delete_source(out / "parquet", "beta")
    assert mentions_cache.refresh(settings, "v2", workers=2) == {"reused": 0, "computed": 2, "dropped": 1}


def test_partition_range_is_the_tightest_span():
    order = ["a", "b", "c", "d", "e"]
    assert partition_range(order, {"e"}) == ("e", "e")
    assert partition_range(order, {"b", "d"}) == ("b", "d")
    assert partition_range(order, set()) is None
    assert partition_range(order, set(order)) == ("a", "e")


def test_build_reparses_only_the_changed_file(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BUILD_WORKERS", "2")
    for i in range(6):
        (raw / f"paper{i}.txt").write_text(f"Paper {i}\n\nChicherin wrote to the embassy in 192{i} about trade.\n")
    settings = Settings(raw_dir=raw, output_dir=out, workers=2)
    first = run_build(settings)
    assert first.status == "built" and len(first.parsed) == 6 and not first.checks_failed
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "parquet").glob("*/source_id=*/*.parquet")}

    assert run_build(settings).status == "up_to_date"

    (raw / "paper3.txt").write_text("Paper 3\n\nLitvinov answered from Geneva in 1929.\n")
    second = run_build(settings)
    assert second.status == "built" and second.parsed == ["paper3"], second.parsed
    assert second.sources["changed"] == ["paper3"]
    for p, t in mtimes.items():
        if "source_id=paper3" not in str(p):
            assert p.stat().st_mtime_ns == t, p  # the others were not rewritten
    stats = mentions_cache.refresh(settings, extraction_version())
    assert stats["computed"] == 0  # the build left the cache current

    (raw / "paper5.txt").unlink()
    third = run_build(settings)
    assert third.status == "built" and third.parsed == [] and third.sources["removed"] == ["paper5"]
    for table in TABLES:
        assert "paper5" not in source_ids_in(out, table), table
    assert third.rows["sources"] == 5


def test_force_reparses_everything(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name, text in {"alpha": ALPHA, "beta": BETA}.items():
        (raw / f"{name}.txt").write_text(text)
    settings = Settings(raw_dir=raw, output_dir=out, workers=1)
    run_build(settings)
    before = {p: p.stat().st_mtime_ns for p in (out / "parquet").glob("paragraphs/*/*.parquet")}
    forced = run_build(settings, force=True)
    assert forced.parsed == ["alpha", "beta"]
    assert all(p.stat().st_mtime_ns != t for p, t in before.items())


def test_parse_pool_matches_in_process(tmp_path, corpus_dir):
    """Parsing in worker processes publishes the same bytes as parsing in process."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("001_a6ed507f8ecbd8e2.txt", "003_2c5013f083e6a43d.txt", "004_e46a0e7458e67fc2.txt"):
        shutil.copy(corpus_dir / name, raw / name)
    keys = sorted(p.stem for p in raw.glob("*.txt"))
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        outcomes = publish.refresh_sources(Settings(raw_dir=raw, output_dir=out), keys, "v", workers=workers)
        assert {o.status for o in outcomes.values()} == {"ok"}
        digests.append({p.relative_to(out): p.read_bytes() for p in sorted(out.glob("parquet/**/*.parquet"))})
        assert not [p for p in (out / ".staging").glob("**/*") if p.is_file()]
    assert digests[0] == digests[1] and len(digests[0]) == 3 * 6


def test_parse_fills_the_caches_with_the_rows_the_corpus_step_would_make(tmp_path):
    """The parse links each source it parsed (``mentions_cache.prime``): the corpus step then
    computes nothing, and the cached rows are byte for byte those computed from the published
    files afterwards — for a plain text and a TEI file with marked-up names."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "delta.txt").write_text(DELTA)
    shutil.copy(ROOT / "tests" / "fixtures" / "layouts" / "frus1918russia_excerpt.xml", raw / "frus.xml")
    settings = Settings(raw_dir=raw, output_dir=out, include=["*.txt", "*.xml"])
    outcomes = publish.refresh_sources(settings, ["delta", "frus"], "test", workers=1)
    assert {o.status for o in outcomes.values()} == {"ok"}
    version = extraction_version()
    caches = sorted((out / ".cache").glob("*/*.parquet"))
    assert len(caches) == 2 * 3  # mentions, entities, treaty evidence of each source
    primed = {p: p.read_bytes() for p in caches}
    methods = set(mentions_cache.mentions_table(settings, ["frus"])["method"].to_pylist())
    assert "markup" in methods  # the TEI names were placed from the raw bytes in the worker
    assert mentions_cache.refresh(settings, version, workers=1)["computed"] == 0
    assert treaty_cache.refresh(settings, version, workers=1)["computed"] == 0

    for p in caches:
        p.unlink()
    assert mentions_cache.refresh(settings, version, workers=1)["computed"] == 2
    assert treaty_cache.refresh(settings, version, workers=1)["computed"] == 2
    assert {p: p.read_bytes() for p in sorted((out / ".cache").glob("*/*.parquet"))} == primed


def cached_treaty_tables(settings: Settings):
    """Treaty rows as the corpus step makes them: merged from the per-source caches."""
    from pipelines.extraction.treaties import treaty_tables

    ids = mentions_cache.source_ids(settings)
    parts = treaty_cache.read_parts(settings, ids)
    pattern = [m for part in parts for m in part.pattern]
    mentions = mentions_cache.mentions_table(settings, ids).to_pylist()
    n_mentions = Counter(m["entity_id"] for m in mentions + pattern if m["entity_id"].startswith("treaty:"))
    provenance: dict = {}
    rows, events = treaty_tables(parts, n_mentions, provenance=provenance)
    return rows, events, pattern, provenance


def full_treaty_tables(settings: Settings):
    """Treaty rows computed from scratch over every paragraph of the corpus."""
    from pipelines.extraction.treaties import build_treaty_tables

    paragraphs = storage.read_table(settings.parquet_dir, "paragraphs").to_dicts()
    events = storage.read_table(settings.parquet_dir, "events").to_dicts()
    mentions = mentions_cache.mentions_table(settings, mentions_cache.source_ids(settings)).to_pylist()
    pattern: list = []
    provenance: dict = {}
    rows, evs = build_treaty_tables(paragraphs, events, mentions, provenance=provenance, mentions_out=pattern)
    return rows, evs, pattern, provenance


def test_treaty_cache_gives_the_corpus_wide_rows(tmp_path, corpus_dir):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(corpus_dir / "002_278814a42839b995.txt", raw / "book.txt")  # a printed chronology
    for name, text in {"alpha": ALPHA, "delta": DELTA}.items():
        (raw / f"{name}.txt").write_text(text)
    settings = Settings(raw_dir=raw, output_dir=out)

    def refresh(version="v1", workers=1):
        mentions_cache.refresh(settings, version, workers=workers)
        return treaty_cache.refresh(settings, version, workers=workers)

    publish.refresh_sources(settings, ["alpha", "book", "delta"], "test", workers=1)
    assert refresh() == {"reused": 0, "computed": 3, "dropped": 0}
    rows, events, pattern, provenance = cached_treaty_tables(settings)
    assert (rows, events, pattern, provenance) == full_treaty_tables(settings)
    assert {e["source_id"] for e in events} == {"alpha", "book", "delta"}
    assert {m["source_id"] for m in pattern} == {"book", "delta"}
    rapallo = [(e["event"], e["source_id"]) for e in events if e["treaty_id"] == "treaty:treaty-of-rapallo"]
    assert ("signed", "alpha") in rapallo and ("ratified", "delta") in rapallo

    # one source changes: only it is read again, and the rows are those of a full pass
    (raw / "delta.txt").write_text(DELTA_CHANGED)
    publish.refresh_sources(settings, ["delta"], "test", workers=1)
    assert refresh() == {"reused": 2, "computed": 1, "dropped": 0}
    changed = cached_treaty_tables(settings)
    assert changed == full_treaty_tables(settings) and changed[0] != rows
    assert ("treaty:treaty-of-rapallo", "ratified") not in {(e["treaty_id"], e["event"]) for e in changed[1]}
    assert refresh()["computed"] == 0

    # one source goes: its file is dropped, its evidence with it
    (raw / "alpha.txt").unlink()
    publish.refresh_sources(settings, ["alpha"], "test", workers=1)
    assert refresh() == {"reused": 2, "computed": 0, "dropped": 1}
    removed = cached_treaty_tables(settings)
    assert removed == full_treaty_tables(settings)
    assert "alpha" not in {e["source_id"] for e in removed[1]}
    # a new extraction version computes everything again (in worker processes)
    assert refresh("v2", workers=2) == {"reused": 0, "computed": 2, "dropped": 0}
    assert cached_treaty_tables(settings) == removed


def test_treaty_cache_keeps_every_field(tmp_path):
    """A source's evidence reads back as it was written: chronology ranks, ranges, parties,
    places and the treaties a chronology adds to the gazetteer (hand-written entries)."""
    from pipelines.extraction.treaties import source_evidence

    def entry(pid, d, text, d_end=None):
        return {"event_id": pid, "source_id": "book", "paragraph_id": pid, "date_start": d, "date_end": d_end,
                "date_precision": "day", "date_text": d.isoformat(), "text": text, "kind": "chronology",
                "date_old_style": None}

    events = [
        entry("book:c1", dt.date(1921, 2, 28), "Soviet-Afghan Treaty is signed in Moscow."),
        entry("book:c2", dt.date(1938, 9, 29), "agreement on partition of Czechoslovakia is signed by Britain, "
              "France, Germany and Italy in Munich.", dt.date(1938, 9, 30)),
        entry("book:c3", dt.date(1926, 12, 15), "Soviet-Norwegian trade agreement is signed between USSR and Norway."),
    ]
    paragraphs = [{"paragraph_id": e["paragraph_id"], "doc_id": "book:d0", "source_id": "book",
                   "kind": "chronology_entry", "text": e["text"]} for e in events]
    part = source_evidence(paragraphs, events, [])
    assert part.new and part.pattern and any(e.date_end for e in part.evidence)
    assert any(e.place for e in part.evidence) and any(e.parties for e in part.evidence)
    settings = Settings(raw_dir=tmp_path, output_dir=tmp_path / "out")
    treaty_cache.write_part(settings, "book", part, "k")
    assert treaty_cache.read_parts(settings, ["book"]) == [part]


def test_incremental_build_gives_the_full_build_rows(tmp_path, monkeypatch):
    """After one source changed and one was removed, the corpus tables of the incremental build
    are those of a build from scratch of the same files."""
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name, text in {"alpha": ALPHA, "beta": BETA, "delta": DELTA}.items():
        (raw / f"{name}.txt").write_text(text)
    incremental = Settings(raw_dir=raw, output_dir=tmp_path / "inc", workers=1)
    assert run_build(incremental).status == "built"
    assert "treaty:treaty-of-rapallo" in set(storage.read_table(incremental.parquet_dir, "treaties")["treaty_id"])

    (raw / "delta.txt").write_text(DELTA_CHANGED)
    (raw / "alpha.txt").unlink()
    second = run_build(incremental)
    assert second.parsed == ["delta"] and second.sources["removed"] == ["alpha"]
    assert treaty_cache.refresh(incremental, extraction_version())["computed"] == 0  # the build left it current

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home-full"))
    full = Settings(raw_dir=raw, output_dir=tmp_path / "full", workers=1)
    assert run_build(full).status == "built"
    for table in ("entities", "entity_mentions", "treaties", "treaty_events"):
        assert storage.read_table(incremental.parquet_dir, table).equals(storage.read_table(full.parquet_dir, table)), table
    # the Rapallo treaty was named only in alpha
    assert "treaty:treaty-of-rapallo" not in set(storage.read_table(incremental.parquet_dir, "treaties")["treaty_id"])
