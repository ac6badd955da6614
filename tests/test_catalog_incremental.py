"""The catalog is updated, not rebuilt, when some sources change: the updated file holds the
same rows and the same full-text index (BM25 scores) as a catalog built from scratch, and is
still swapped in whole.

Changes are made to a copy of the shared build's Parquet files (``corpus_build``): one source's
paragraphs edited and partly dropped, one source removed, one source added (a copy of another
under a new id), a corpus-wide table rewritten without one source's rows and with a row of
another changed, another rewritten byte for byte."""

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipelines import catalog as catalog_module
from pipelines import storage
from pipelines.catalog import FTS_SCHEMA, connect, refresh_catalog
from schemas import TABLES

EDITED, REMOVED, TEMPLATE = "001_a6ed507f8ecbd8e2", "003_2c5013f083e6a43d", "004_e46a0e7458e67fc2"
ADDED = "zz_added_copy"
SMALL = ("003_2c5013f083e6a43d", "004_e46a0e7458e67fc2")  # copied under new ids: more sources
QUERIES = ["treaty of rapallo", "Chicherin disarmament", "zyxwvut quagga", "soviet government note",
           "the", "conference genoa 1922"]


@pytest.fixture(scope="module")
def parquet(corpus_build, tmp_path_factory) -> Path:
    out, _, _ = corpus_build
    base = tmp_path_factory.mktemp("catalog-incremental")
    parquet = base / "parquet"
    shutil.copytree(out / "parquet", parquet)
    # more sources than the five (so that three changed ones are a minority, re-indexed alone)
    for k in range(3):
        for sid in SMALL:
            copy_source(parquet, sid, f"{sid}_copy{k}")
    return parquet


def read(parquet: Path, table: str, source_id: str | None = None) -> pl.DataFrame:
    return pl.from_arrow(pq.read_table(storage.partition_path(parquet, table, source_id)))


def write(parquet: Path, table: str, df: pl.DataFrame, source_id: str | None = None) -> None:
    storage.write_arrow(parquet, parquet.parent / ".staging", table, df.to_arrow(), source_id)


def copy_source(parquet: Path, source_id: str, new_id: str) -> None:
    """Another source's rows under a new id."""
    for table, model in TABLES.items():
        if model.__per_source__:
            df = read(parquet, table, source_id)
            df = df.with_columns(pl.col(c).str.replace_all(source_id, new_id, literal=True)
                                 for c, t in df.schema.items() if t == pl.String)
            write(parquet, table, df, new_id)


def change_sources(parquet: Path) -> None:
    # one source's paragraphs: every third dropped, some texts changed (a new word, known words)
    p = read(parquet, "paragraphs", EDITED).with_row_index("_i")
    p = p.filter(pl.col("_i") % 3 != 1).with_columns(
        pl.when(pl.col("_i") % 5 == 0).then(pl.col("text") + " zyxwvut quagga treaty Chicherin")
        .otherwise(pl.col("text")).alias("text")
    ).drop("_i")
    write(parquet, "paragraphs", p, EDITED)
    kept = p["paragraph_id"].implode()
    for table in ("events", "citations"):
        df = read(parquet, table, EDITED)
        write(parquet, table, df.filter(pl.col("paragraph_id").is_in(kept) | pl.col("paragraph_id").is_null()), EDITED)
    # one source removed, one added (another's rows under a new id)
    storage.delete_source(parquet, REMOVED)
    copy_source(parquet, TEMPLATE, ADDED)
    # corpus-wide: one table loses a source's rows and has one row of another changed (only
    # those sources' rows are replaced), another is rewritten with the same bytes
    m = read(parquet, "entity_mentions").filter(pl.col("source_id") != REMOVED).with_row_index("_i")
    first = m.filter(pl.col("source_id") == EDITED)["_i"][0]
    m = m.with_columns(pl.when(pl.col("_i") == first).then(pl.lit("changed")).otherwise(pl.col("surface")).alias("surface"))
    write(parquet, "entity_mentions", m.drop("_i"))
    target = storage.partition_path(parquet, "entities", None)
    copy = target.with_name("copy.tmp")
    shutil.copyfile(target, copy)
    os.replace(copy, target)


def table_rows(con, table: str) -> list[tuple]:
    return con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()


def index_content(con) -> dict:
    """The full-text index without its internal ids."""
    s = FTS_SCHEMA
    return {
        "docs": con.execute(f"SELECT name, len FROM {s}.docs ORDER BY ALL").fetchall(),
        "dict": con.execute(f"SELECT term, df FROM {s}.dict ORDER BY ALL").fetchall(),
        "terms": con.execute(f"""SELECT d.name, t.fieldid, w.term, count(*) FROM {s}.terms t
            JOIN {s}.docs d USING (docid) JOIN {s}.dict w USING (termid) GROUP BY ALL ORDER BY ALL""").fetchall(),
        "stats": con.execute(f"SELECT num_docs, avgdl FROM {s}.stats").fetchall(),
    }


def search(con, q: str) -> list[tuple]:
    return [(r[0], round(r[1], 9)) for r in
            con.execute("SELECT paragraph_id, score FROM search(?) ORDER BY paragraph_id", [q]).fetchall()]


def test_changed_sources_give_the_same_catalog_as_a_fresh_build(parquet, tmp_path, monkeypatch):
    catalog, staging = tmp_path / "corpus.duckdb", tmp_path / ".staging"
    first = refresh_catalog(parquet, catalog, staging)
    assert first.mode == "full"
    change_sources(parquet)
    updated = refresh_catalog(parquet, catalog, staging)
    assert updated.mode == "incremental" and updated.fts == "updated"
    assert updated.replaced["paragraphs"] == sorted([EDITED, REMOVED, ADDED])
    assert updated.replaced["entity_mentions"] == [EDITED, REMOVED] and "entities" not in updated.replaced
    assert "sources" in updated.replaced and EDITED not in updated.replaced["sources"]
    assert not list(staging.iterdir())
    fresh = refresh_catalog(parquet, tmp_path / "fresh.duckdb", tmp_path / ".staging2", full=True)
    assert updated.counts == fresh.counts

    a, b = connect(catalog), connect(tmp_path / "fresh.duckdb")
    try:
        for table in TABLES:
            assert table_rows(a, table) == table_rows(b, table), table
        ia, ib = index_content(a), index_content(b)
        for part in ia:
            assert ia[part] == ib[part], part
        assert any(term == "zyxwvut" for term, _ in ia["dict"])
        for q in QUERIES:
            assert search(a, q) == search(b, q), q
        assert search(a, "zyxwvut quagga") and not [p for p, _ in search(a, "rapallo") if p.startswith(REMOVED)]
        assert table_rows(a, "_macros") == table_rows(b, "_macros")
        meta = "SELECT contract_version, catalog_format FROM _meta"
        assert a.execute(meta).fetchall() == b.execute(meta).fetchall()
    finally:
        a.close()
        b.close()

    # nothing changed since: the published file is left as it is (growth aside: this update of
    # 3 of 11 small sources adds 13 blocks to 29-30, about MAX_GROWTH; that rule is tested below)
    monkeypatch.setattr(catalog_module, "MAX_GROWTH", 3.0)
    inode = catalog.stat().st_ino
    again = refresh_catalog(parquet, catalog, staging)
    assert again.mode == "unchanged" and again.counts == fresh.counts and catalog.stat().st_ino == inode


def test_most_paragraphs_changed_rebuild_the_index_in_the_copy(parquet, tmp_path):
    """Past half the paragraphs changed, the copy's index is rebuilt from all its paragraphs
    (not patched): the same index and scores as a fresh catalog's."""
    own = tmp_path / "parquet"
    shutil.copytree(parquet, own)
    catalog, staging = tmp_path / "corpus.duckdb", tmp_path / ".staging"
    refresh_catalog(own, catalog, staging)
    sources = sorted(p.name.split("=", 1)[1] for p in (own / "paragraphs").iterdir())
    for sid in sources[1:]:
        p = read(own, "paragraphs", sid)
        write(own, "paragraphs", p.with_columns(pl.col("text") + " zyxwvut quagga"), sid)
    updated = refresh_catalog(own, catalog, staging)
    assert updated.mode == "incremental" and updated.fts == "built"
    fresh = tmp_path / "fresh.duckdb"
    refresh_catalog(own, fresh, tmp_path / ".staging2", full=True)
    a, b = connect(catalog), connect(fresh)
    try:
        assert index_content(a) == index_content(b)
        for q in QUERIES:
            assert search(a, q) == search(b, q), q
        assert len(search(a, "quagga")) == a.execute(
            "SELECT count(*) FROM paragraphs WHERE source_id <> ?", [sources[0]]).fetchone()[0]
    finally:
        a.close()
        b.close()


def test_readers_keep_the_catalog_they_opened(parquet, tmp_path):
    catalog, staging = tmp_path / "corpus.duckdb", tmp_path / ".staging"
    refresh_catalog(parquet, catalog, staging)
    reader = duckdb.connect(str(catalog), read_only=True)
    try:
        before = reader.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
        p = read(parquet, "paragraphs", EDITED)
        write(parquet, "paragraphs", p.head(p.height // 2), EDITED)
        result = refresh_catalog(parquet, catalog, staging)
        assert result.mode == "incremental" and result.fts == "updated" and result.counts["paragraphs"] == before - (p.height - p.height // 2)
        # the open connection still reads the whole old file; a new one sees the new file
        assert reader.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == before
    finally:
        reader.close()
    fresh = duckdb.connect(str(catalog), read_only=True)
    try:
        assert fresh.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == result.counts["paragraphs"]
    finally:
        fresh.close()


@pytest.mark.parametrize("change", ["UPDATE _meta SET catalog_format = 'older'",
                                    "UPDATE _meta SET built_blocks = built_blocks // 2"])
def test_a_catalog_of_another_format_or_grown_is_rebuilt(parquet, tmp_path, change):
    catalog, staging = tmp_path / "corpus.duckdb", tmp_path / ".staging"
    refresh_catalog(parquet, catalog, staging)
    con = duckdb.connect(str(catalog))
    con.execute(change)
    con.close()
    assert refresh_catalog(parquet, catalog, staging).mode == "full"
    assert refresh_catalog(parquet, catalog, staging).mode == "unchanged"
