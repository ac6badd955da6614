"""Publishing the build to object storage through pyarrow/fsspec filesystems."""

from __future__ import annotations

import json
import shutil

import duckdb
import fsspec
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from pipelines.mirror import MANIFEST, MirrorError, filesystem_for, local_files, mirror


@pytest.fixture
def memory_fs():
    mem = fsspec.filesystem("memory")
    mem.store.clear()
    yield pafs.PyFileSystem(pafs.FSSpecHandler(mem))
    mem.store.clear()


def test_uri_resolution():
    fs, root = filesystem_for("memory://bucket/sfp")
    assert isinstance(fs, pafs.PyFileSystem) and root == "/bucket/sfp"
    fs, root = filesystem_for("file:///tmp/sfp-x/")
    assert isinstance(fs, pafs.LocalFileSystem) and root == "/tmp/sfp-x"
    with pytest.raises(MirrorError, match="no filesystem"):
        filesystem_for("nosuchscheme://bucket/x")


def test_unbuilt_output_is_refused(tmp_path, memory_fs):
    (tmp_path / "parquet").mkdir()
    with pytest.raises(MirrorError, match="no finished build"):
        mirror(tmp_path, "memory://b", filesystem=memory_fs, root="/b")


def test_mirror_publishes_the_build_then_only_changes(corpus_build, tmp_path, memory_fs):
    out, _, _ = corpus_build
    work = tmp_path / "out"
    shutil.copytree(out, work)
    published = local_files(work)
    assert "corpus.duckdb" in published and any(p.startswith("parquet/paragraphs/") for p in published)
    assert not any("/." in "/" + p for p in published)  # no cache, staging or lock files

    first = mirror(work, "memory://bucket/sfp", filesystem=memory_fs, root="/bucket/sfp")
    assert sorted(first.uploaded) == sorted(published) and first.unchanged == 0
    # the objects are the tables: read one back through the same filesystem
    rel = next(p for p in published if p.startswith("parquet/sources/"))
    remote = pq.read_table(f"/bucket/sfp/{rel}", filesystem=memory_fs)
    assert remote.equals(pq.read_table(work / rel))
    with memory_fs.open_input_stream(f"/bucket/sfp/{MANIFEST}") as f:
        manifest = json.loads(f.read())
    assert set(manifest["files"]) == set(published)

    # nothing changed: nothing uploaded
    again = mirror(work, "memory://bucket/sfp", filesystem=memory_fs, root="/bucket/sfp")
    assert again.uploaded == [] and again.unchanged == len(published)

    # one table file gone and the catalog changed: one upload, one delete
    gone = next(p for p in published if p.startswith("parquet/events/"))
    (work / gone).unlink()
    con = duckdb.connect(str(work / "corpus.duckdb"))
    con.execute("CREATE TABLE extra AS SELECT 1 AS x")
    con.close()
    third = mirror(work, "memory://bucket/sfp", filesystem=memory_fs, root="/bucket/sfp")
    assert third.uploaded == ["corpus.duckdb"] and third.deleted == [gone]
    assert memory_fs.get_file_info(f"/bucket/sfp/{gone}").type == pafs.FileType.NotFound


def test_mirror_to_a_local_path(corpus_build, tmp_path):
    out, _, _ = corpus_build
    target = tmp_path / "bucket"
    report = mirror(out, str(target))
    assert report.uploaded and (target / MANIFEST).exists()
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{target}/parquet/paragraphs/*/*.parquet')").fetchone()[0]
    con = duckdb.connect(str(out / "corpus.duckdb"), read_only=True)
    try:
        assert n == con.sql("SELECT count(*) FROM paragraphs").fetchone()[0] > 0
    finally:
        con.close()


def test_cli_mirror(corpus_build, tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    out, _, _ = corpus_build
    work = tmp_path / "out"
    shutil.copytree(out, work)
    monkeypatch.delenv("PUBLISH_URI", raising=False)
    assert main(["mirror", "--output-dir", str(work)]) == 2
    assert "set PUBLISH_URI" in capsys.readouterr().out
    target = tmp_path / "bucket"
    assert main(["mirror", str(target), "--output-dir", str(work)]) == 0
    first = capsys.readouterr().out
    assert f"mirrored to {target}" in first and " 0 unchanged" in first
    monkeypatch.setenv("PUBLISH_URI", str(target))
    assert main(["mirror", "--output-dir", str(work)]) == 0
    assert "0 files uploaded" in capsys.readouterr().out
    # an output directory without a build: a clear error, no traceback
    assert main(["mirror", str(target), "--output-dir", str(tmp_path / "empty")]) == 1
    assert "no finished build" in capsys.readouterr().out
