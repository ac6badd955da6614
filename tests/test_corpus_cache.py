"""The corpus step's gathered caches (``pipelines.corpus_cache``): the rows of a computation
from scratch as sources are added, changed and removed, with only the changed sources read
again; the fallback when a source has a mention key twice; the index of cache keys
(``mentions_cache.cached_keys``); the planning's batch check (``publish.needing_parse``).

Raw texts are hand-written (invented sentences in the style of the corpus)."""

import json
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import corpus_cache, mentions_cache, publish, storage, treaty_cache
from pipelines.rawdir import scan
from pipelines.settings import Settings

TEXTS = {
    "alpha": "Notes on Genoa\n\nIn April 1922 Chicherin arrived at Genoa; Litvinov followed a week later.\n\n"
             "The Rapallo Treaty was signed on 16 April 1922 by Chicherin and Rathenau in Rapallo.\n",
    "beta": "A Memorandum\n\nLitvinov put the proposal for disarmament before the commission at Geneva in 1927.\n",
    "delta": "Trade and Neighbours\n\nJust as useful was the Soviet-American trade agreement of 1937.\n\n"
             "The Soviet-Afghan Treaty was signed in Moscow on February 28, 1921.\n",
}


def prepare(tmp_path, texts: dict[str, str]) -> Settings:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir(exist_ok=True)
    for name in {p.stem for p in raw.glob("*.txt")} - set(texts):
        (raw / f"{name}.txt").unlink()
        storage.delete_source(out / "parquet", name)
    for name, text in texts.items():
        (raw / f"{name}.txt").write_text(text)
    settings = Settings(raw_dir=raw, output_dir=out)
    publish.refresh_sources(settings, sorted(texts), "test", workers=1)
    mentions_cache.refresh(settings, "v1", workers=1)
    treaty_cache.refresh(settings, "v1", workers=1)
    return settings


def rows(g: corpus_cache.Gathered) -> dict:
    tm = g.treaty_mentions.select(["entity_id", "doc_id"]).to_pylist()
    return {"mentions": g.mentions.to_pylist(), "treaty_mentions": sorted(tm, key=lambda r: (r["entity_id"], r["doc_id"])),
            "entities": g.entities.to_pylist(), "treaties": g.treaties.to_pylist()}


def gathered(settings: Settings) -> tuple[dict, list[str]]:
    """``gather``'s rows and the sources whose per-source caches it read."""
    read: list[str] = []
    original = mentions_cache.mentions_table

    def spy(s, ids):
        read.extend(ids)
        return original(s, ids)

    mentions_cache.mentions_table = spy
    try:
        g = corpus_cache.gather(settings, mentions_cache.source_ids(settings))
    finally:
        mentions_cache.mentions_table = original
    return rows(g), read


def from_scratch(settings: Settings) -> dict:
    return rows(corpus_cache._read_all(settings, mentions_cache.source_ids(settings)))


def test_gather_gives_the_rows_of_a_computation_from_scratch(tmp_path):
    settings = prepare(tmp_path, TEXTS)
    got, read = gathered(settings)
    assert read == ["alpha", "beta", "delta"]  # no corpus files yet: every source read
    want = from_scratch(settings)
    assert got == want
    assert any(m["method"] == "pattern" for m in want["mentions"])  # the merge is exercised
    assert sorted(p.name for p in corpus_cache.cache_dir(settings).iterdir()) == [
        f"{k}.arrow" for k in sorted(corpus_cache.KINDS)]

    assert gathered(settings) == (want, [])  # nothing changed: nothing read

    changed = {**TEXTS, "beta": TEXTS["beta"].replace("Litvinov", "Chicherin") + "\nThe Rapallo Treaty held.\n"}
    settings = prepare(tmp_path, changed)
    got, read = gathered(settings)
    assert read == ["beta"] and got == from_scratch(settings)

    fewer = {k: v for k, v in changed.items() if k != "alpha"}
    settings = prepare(tmp_path, {**fewer, "gamma": "A Letter\n\nChicherin was expected in Berlin in 1925.\n"})
    got, read = gathered(settings)
    assert read == ["gamma"] and got == from_scratch(settings)
    assert "alpha" not in {m["source_id"] for m in got["mentions"]}


def test_stale_or_damaged_corpus_files_are_rebuilt(tmp_path):
    settings = prepare(tmp_path, TEXTS)
    want, _ = gathered(settings)
    path = corpus_cache.cache_dir(settings) / "entities.arrow"
    path.write_bytes(b"not arrow")
    assert gathered(settings)[0] == want
    # written by another version of the module: not trusted
    table = pa.ipc.open_file(path).read_all()
    meta = {**table.schema.metadata, b"code": b"other"}
    with pa.OSFile(str(path), "wb") as f, pa.ipc.new_file(f, table.schema.with_metadata(meta)) as w:
        w.write_table(table.replace_schema_metadata(meta).slice(0, 1))
    assert gathered(settings)[0] == want


def test_a_source_with_a_mention_key_twice_is_merged_with_the_whole_corpus(tmp_path):
    settings = prepare(tmp_path, TEXTS)
    gathered(settings)
    path = mentions_cache._paths(settings, "alpha")[0]
    table = pq.read_table(path)
    key = table.schema.metadata[mentions_cache.KEY].decode()
    twice = pa.concat_tables([table, table.slice(0, 1)]).replace_schema_metadata(None)
    mentions_cache.write_cached(settings, twice, path, key + "-twice")
    got, _ = gathered(settings)
    assert got == from_scratch(settings)
    assert not corpus_cache.cache_dir(settings).exists() or not list(corpus_cache.cache_dir(settings).iterdir())


def test_cached_keys_remembers_old_files_and_sees_rewrites(tmp_path):
    settings = Settings(raw_dir=tmp_path, output_dir=tmp_path / "out")
    data = pa.table({"x": [1, 2, 3]})
    a, b = tmp_path / "out" / "a.parquet", tmp_path / "out" / "b.parquet"
    mentions_cache.write_cached(settings, data, a, "k1")
    mentions_cache.write_cached(settings, data, b, "k1")
    old = time.time() - 60
    os.utime(a, (old, old))  # b is new: not remembered (a rewrite within the clock's resolution)
    assert mentions_cache.cached_keys([a, b, tmp_path / "out" / "none.parquet"]) == {
        a: "k1", b: "k1", tmp_path / "out" / "none.parquet": None}
    index = json.loads((tmp_path / "out" / mentions_cache.KEYS_FILE).read_text())
    assert list(index) == ["a.parquet"]

    mentions_cache.write_cached(settings, data, a, "k2")  # rewritten: new inode and mtime
    assert mentions_cache.cached_keys([a])[a] == "k2"
    os.utime(a, (old, old))
    index_path = tmp_path / "out" / mentions_cache.KEYS_FILE
    mentions_cache.cached_keys([a])
    assert json.loads(index_path.read_text())["a.parquet"][0] == "k2"
    index_path.write_text("{broken")
    assert mentions_cache.cached_keys([a])[a] == "k2"


@pytest.mark.parametrize("damage", ["none", "changed", "partition", "sources_row"])
def test_needing_parse_agrees_with_needs_parse(tmp_path, damage):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name, text in TEXTS.items():
        (raw / f"{name}.txt").write_text(text)
    (raw / "empty.txt").write_bytes(b"")
    settings = Settings(raw_dir=raw, output_dir=out)
    publish.refresh_sources(settings, [*TEXTS, "empty"], "test", workers=1)
    if damage == "changed":
        (raw / "beta.txt").write_text(TEXTS["beta"] + "\nA line added.\n")
    elif damage == "partition":
        storage.partition_path(settings.parquet_dir, "events", "delta").unlink()
    elif damage == "sources_row":
        storage.partition_path(settings.parquet_dir, "sources", "alpha").write_bytes(b"damaged")
    raws = scan(raw, settings.include)
    expected = {r.source_id for r in raws if publish.needs_parse(settings, r, "test")}
    assert publish.needing_parse(settings, raws, "test") == expected
    assert publish.needing_parse(settings, raws, "other") == {r.source_id for r in raws}
    assert expected == {"none": set(), "changed": {"beta"}, "partition": {"delta"}, "sources_row": {"alpha"}}[damage]
