"""The DuckDB catalog (full-text search, table macros, self-contained tables, read-only use)
and the Frictionless datapackage + dataset card written beside the data.

The integration tests share one build of the real corpus (``corpus_build`` in conftest, also used by
tests/test_examples.py); expected values were checked by eye against the raw files:
000 line 529 `chairman was transferred to G. V. Chicherin`, 002 line 8200
`16 April—Treaty of Rapallo is signed between RSFSR and Germany.` (chronology of 1922),
002 line 8196 `10 April-19 May—international Genoa Conference`."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import datapackage as dp
from pipelines.catalog import FTS_OPTIONS, FTS_SCHEMA, FTS_SEPARATORS, MACROS, _words, build_catalog, connect
from schemas import TABLES, arrow_schema, enum_values
from schemas.tables import is_nullable

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def out(corpus_build) -> Path:
    out, _, proc = corpus_build
    assert " 0 failed" in proc.stdout, proc.stdout
    return out


@pytest.fixture(scope="module")
def con(out):
    c = connect(out / "corpus.duckdb", read_only=True)
    yield c
    c.close()


def rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# --- full-text search -------------------------------------------------------------------

def test_search_ranks_paragraphs_by_bm25(con):
    hits = rows(con, "SELECT * FROM search('treaty of rapallo')")
    assert len(hits) > 20
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    # the best hits name the treaty; every hit has its document title
    assert all("Rapallo" in h["text"] for h in hits[:5])
    assert all(h["title"] for h in hits)
    # the chronology entry checked in the raw file is found, with its page
    entry = [h for h in hits if h["text"].startswith("16 April—Treaty of Rapallo is signed")]
    assert len(entry) == 1 and entry[0]["kind"] == "chronology_entry"


def test_search_stems_and_ignores_case(con):
    signing = {r["paragraph_id"] for r in rows(con, "SELECT paragraph_id FROM search('SIGNING')")}
    signed = {r["paragraph_id"] for r in rows(con, "SELECT paragraph_id FROM search('signed')")}
    assert signing and signing == signed
    assert not rows(con, "SELECT * FROM search('xyzzyqwerty')")


PLAIN = """
import sys, duckdb
from pipelines.catalog import fts_extension_dir
con = duckdb.connect(sys.argv[1], read_only=True,
                     config={"extension_directory": sys.argv[2], "autoinstall_known_extensions": False})
print("mentions", con.execute("SELECT count(*) FROM mentions_of('Chicherin')").fetchone()[0])
try:
    con.execute("SELECT * FROM search('Rapallo')").fetchall()
    print("search without fts: ok")
except duckdb.Error as e:
    print("search without fts: error", str(e).splitlines()[0])
con.execute(f"SET extension_directory = '{fts_extension_dir()}'")
con.execute("LOAD fts")
print("search with fts", con.execute("SELECT count(*) FROM search('Rapallo')").fetchone()[0])
"""


def test_plain_connection_has_every_macro_but_search(out, tmp_path):
    """Without the fts extension (an empty extension directory, no download), the catalog
    opens and every macro but search() works; loading fts from the wheel makes search() work.
    (In a fresh process: DuckDB shares one database instance per file within a process.)"""
    proc = subprocess.run(
        [sys.executable, "-c", PLAIN, str(out / "corpus.duckdb"), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.rsplit(" ", 1) for line in proc.stdout.splitlines() if not line.startswith("search without"))
    assert int(lines["mentions"]) > 0 and int(lines["search with fts"]) > 0
    assert "search without fts: error" in proc.stdout and "fts" in proc.stdout.split("error", 1)[1]


def index_content(c) -> dict:
    """The full-text index but for its termids, and some searches' scores."""
    s = FTS_SCHEMA
    out = {
        "docs": c.execute(f"SELECT docid, name, len FROM {s}.docs ORDER BY docid").fetchall(),
        "dict": c.execute(f"SELECT term, df FROM {s}.dict ORDER BY term").fetchall(),
        "terms": c.execute(f"""SELECT t.docid, t.fieldid, d.term, count(*) FROM {s}.terms t
            JOIN {s}.dict d USING (termid) GROUP BY ALL ORDER BY ALL""").fetchall(),
        "stats": c.execute(f"SELECT num_docs, avgdl FROM {s}.stats").fetchall(),
        "tables": c.execute("SELECT table_name, sql FROM duckdb_tables() WHERE schema_name = ? ORDER BY ALL", [s]).fetchall(),
    }
    for q in ("treaty of rapallo", "Chicherin disarmament", "soviet government note"):
        out[q] = [(p, round(score, 12)) for p, score in
                  c.execute("SELECT paragraph_id, score FROM search(?) ORDER BY paragraph_id", [q]).fetchall()]
    return out


def test_index_is_the_one_the_extension_builds(out, tmp_path):
    """fill_fts_index writes with its own statements what the extension's create_fts_index
    makes of the paragraphs: the same documents (docid: the rowid), terms, document
    frequencies, stats and BM25 scores; only the termids are numbered otherwise."""
    path = tmp_path / "corpus.duckdb"
    shutil.copyfile(out / "corpus.duckdb", path)
    c = connect(path, read_only=False)
    try:
        ours = index_content(c)
        assert len(ours["docs"]) > 1000 and len(ours["dict"]) > 1000 and ours["treaty of rapallo"]
        c.execute(f"PRAGMA create_fts_index('paragraphs', 'paragraph_id', 'text', {FTS_OPTIONS})")
        theirs = index_content(c)
        for part in ours:
            assert ours[part] == theirs[part], part
    finally:
        c.close()


# separators and near-separators: white space but \v and no-break space, every character of the
# macro's class, curly quotes, dashes, accents, sharp s
TEXTS = ["Treaty of Rapallo, 16 April 1922.", "it's \"Soviet\"\tnote\nof\x0b1922\r\x0cend",
         "Café naïve—Zürich (USSR) [sic] «Pravda» ’twas – §3 ¶", "a\u00a0b  c ", "ÉCOLE Straße",
         "x" + "x".join(FTS_SEPARATORS) + "x", "", "   "]


def test_words_split_as_the_extensions_tokenize_macro(con):
    words = _words(con, "t")
    assert "translate(" in words  # the macro is the known one: its split is done without regexes
    for text in TEXTS:
        ours = con.execute(f"SELECT list_filter({words}, w -> len(w) > 0) FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()[0]
        theirs = con.execute(f"SELECT list_filter({FTS_SCHEMA}.tokenize(?), w -> len(w) > 0)", [text]).fetchone()[0]
        assert ours == theirs, text


def test_words_use_the_macro_itself_when_it_is_another():
    c = duckdb.connect()
    c.execute(f"CREATE SCHEMA {FTS_SCHEMA}")
    c.execute(f"CREATE MACRO {FTS_SCHEMA}.tokenize(s) AS string_split(lower(s), ' ')")
    assert _words(c, "text") == f"{FTS_SCHEMA}.tokenize(text)"


# --- table macros -------------------------------------------------------------------------

def test_mentions_of_by_name_or_alias_any_case(con):
    n = con.execute("SELECT n_mentions FROM entities WHERE entity_id = 'person:georgy-chicherin'").fetchone()[0]
    assert n > 50
    for name in ("Georgy Chicherin", "CHICHERIN", "g. v. chicherin", "person:georgy-chicherin"):
        assert con.execute("SELECT count(*) FROM mentions_of(?)", [name]).fetchone()[0] == n, name
    ms = rows(con, "SELECT * FROM mentions_of('Chicherin')")
    assert {m["entity"] for m in ms} == {"Georgy Chicherin"}
    # the mention sits at char_start..char_end of the paragraph text given as context
    assert all(m["text"][m["char_start"]:m["char_end"]] == m["surface"] for m in ms)
    genoa = [m for m in ms if m["surface"] == "G. V. Chicherin" and m["source_id"].startswith("000_")]
    assert any("office of chairman was transferred to G. V. Chicherin" in m["text"] for m in genoa)
    assert not rows(con, "SELECT * FROM mentions_of('Nobody Atall')")


def test_treaties_of_germany(con):
    ts = rows(con, "SELECT * FROM treaties_of('Germany')")
    assert ts and all("Germany" in t["parties"] for t in ts)
    dates = [t["date_signed"] for t in ts if t["date_signed"]]
    assert dates == sorted(dates)
    (rapallo,) = [t for t in ts if t["treaty_id"] == "treaty:treaty-of-rapallo"]
    assert rapallo["date_signed"] == dt.date(1922, 4, 16) and rapallo["place_signed"] == "Rapallo"
    assert set(rapallo["parties"]) == {"Soviet Union", "Germany"}
    signed = [e for e in rapallo["events"] if e["event"] == "signed"]
    assert signed and signed[0]["date"] == dt.date(1922, 4, 16)
    evidence = con.execute("SELECT text FROM paragraphs WHERE paragraph_id = ?", [signed[0]["paragraph_id"]]).fetchone()[0]
    assert evidence.startswith("16 April—Treaty of Rapallo is signed between RSFSR and Germany")
    # aliases of the state and any case: the Soviet side of the same treaty
    for state in ("RSFSR", "soviet union", "USSR"):
        ids = {r["treaty_id"] for r in rows(con, "SELECT treaty_id FROM treaties_of(?)", [state])}
        assert "treaty:treaty-of-rapallo" in ids and "treaty:treaty-of-brest-litovsk" in ids, state


def test_timeline_april_1922(con):
    tl = rows(con, "SELECT * FROM timeline('1922-04-01', '1922-04-30')")
    lo, hi = dt.date(1922, 4, 1), dt.date(1922, 4, 30)
    assert all(r["date"] <= hi and (r["date_end"] or r["date"]) >= lo for r in tl)
    assert [r["date"] for r in tl] == sorted(r["date"] for r in tl)
    assert {"chronology", "text", "treaty"} <= {r["kind"] for r in tl}
    treaty = [r for r in tl if r["kind"] == "treaty" and r["treaty_id"] == "treaty:treaty-of-rapallo"]
    assert treaty and treaty[0]["event"] == "signed" and treaty[0]["date"] == dt.date(1922, 4, 16)
    genoa = [r for r in tl if r["kind"] == "chronology" and "Genoa Conference" in r["text"]]
    assert genoa and genoa[0]["date"] == dt.date(1922, 4, 10) and genoa[0]["date_end"] == dt.date(1922, 5, 19)
    # DATE arguments work as well as strings
    n = con.execute("SELECT count(*) FROM timeline(DATE '1922-04-01', DATE '1922-04-30')").fetchone()[0]
    assert n == len(tl)


def test_co_mentioned_matches_a_direct_count(con, out):
    top = rows(con, "SELECT * FROM co_mentioned('Chicherin', 5)")
    assert len(top) == 5 and "person:georgy-chicherin" not in {r["entity_id"] for r in top}
    assert "person:vladimir-lenin" in {r["entity_id"] for r in top}
    assert len(rows(con, "SELECT * FROM co_mentioned('Chicherin')")) == 10
    m = pl.read_parquet(out / "parquet" / "entity_mentions")
    paras = m.filter(pl.col("entity_id") == "person:georgy-chicherin")["paragraph_id"].unique().implode()
    expected = (
        m.filter(pl.col("paragraph_id").is_in(paras) & (pl.col("entity_id") != "person:georgy-chicherin"))
        .group_by("entity_id").agg(pl.col("paragraph_id").n_unique().alias("n"))
    )
    n = dict(zip(expected["entity_id"], expected["n"]))
    assert all(r["n_paragraphs"] == n[r["entity_id"]] for r in top)
    assert top[0]["n_paragraphs"] == max(n.values())


def test_macros_are_documented(con):
    documented = {r["name"]: r for r in rows(con, "SELECT * FROM _macros")}
    comments = dict(con.execute(
        "SELECT function_name, comment FROM duckdb_functions() WHERE function_type = 'table_macro'"
    ).fetchall())
    queries = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    for m in MACROS:
        assert documented[m.name]["signature"] == m.signature
        assert comments[m.name].startswith(m.signature)
        assert f"`{m.signature}`" in queries, m.name


def test_docs_queries_run(con):
    """Every SQL block of docs/queries.md runs and returns rows."""
    blocks = re.findall(r"```sql\n(.*?)```", (ROOT / "docs" / "queries.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= len(MACROS)
    for sql in blocks:
        assert con.execute(sql).fetchall(), sql


# --- a self-contained file, read-only use ----------------------------------------------------

def test_catalog_holds_tables_and_opens_from_another_directory(out, tmp_path):
    moved = tmp_path / "elsewhere" / "copy.duckdb"
    moved.parent.mkdir()
    shutil.copy(out / "corpus.duckdb", moved)
    code = (
        "import sys; from pipelines.catalog import connect; c = connect(sys.argv[1]);"
        "print(c.execute(\"SELECT count(*) FROM paragraphs\").fetchone()[0],"
        " c.execute(\"SELECT count(*) FROM search('Rapallo')\").fetchone()[0],"
        " c.execute(\"SELECT count(*) FROM treaties_of('Germany')\").fetchone()[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code, str(moved)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    n_par, n_search, n_treaties = map(int, proc.stdout.split())
    assert n_par == pl.read_parquet(out / "parquet" / "paragraphs").height and n_search > 0 and n_treaties > 0
    c = duckdb.connect(str(moved), read_only=True)
    try:
        tables = {r[0] for r in c.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        views = c.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0]
    finally:
        c.close()
    assert set(TABLES) <= tables and views == 0


def test_read_only_connections_side_by_side(out):
    path = out / "corpus.duckdb"
    a = connect(path, read_only=True)
    b = connect(path, read_only=True)
    try:
        # another process reads at the same time
        code = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute('SELECT count(*) FROM entities').fetchone()[0])"
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert int(proc.stdout) == a.execute("SELECT count(*) FROM entities").fetchone()[0]
        assert b.execute("SELECT count(*) FROM search('Genoa')").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            a.execute("CREATE TABLE x (i INTEGER)")
    finally:
        a.close()
        b.close()


def test_build_catalog_swaps_in_a_complete_file_and_times_the_index(out, tmp_path):
    timings: dict[str, float] = {}
    target = tmp_path / "corpus.duckdb"
    counts = build_catalog(out / "parquet", target, tmp_path / ".staging", timings)
    assert counts["paragraphs"] > 1000 and set(timings) == {"tables", "fts_index", "macros"}
    assert not list((tmp_path / ".staging").iterdir())
    c = connect(target)
    try:
        assert c.execute("SELECT count(*) FROM fts_main_paragraphs.docs").fetchone()[0] == counts["paragraphs"]
    finally:
        c.close()


# --- datapackage.json and the dataset card --------------------------------------------------

# the structure of a Data Package v2 as this project uses it (the official profile cannot be
# fetched offline): every resource has a name, path(s), format and a schema of described fields
DATAPACKAGE_SHAPE = {
    "type": "object",
    "required": ["$schema", "name", "resources"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9._-]+$"},
        "resources": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "path", "format", "schema"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9._-]+$"},
                    "path": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
                    "schema": {
                        "type": "object", "required": ["fields"],
                        "properties": {"fields": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["name", "type", "description"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "type": {"enum": ["string", "integer", "number", "boolean", "date", "datetime", "array", "object"]},
                                "description": {"type": "string", "minLength": 1},
                            },
                        }}},
                    },
                },
            },
        },
    },
}


def test_field_type_maps_arrow_types():
    assert dp.field_type(pa.string()) == "string"
    assert {dp.field_type(t) for t in (pa.int16(), pa.int32(), pa.int64())} == {"integer"}
    assert dp.field_type(pa.date32()) == "date" and dp.field_type(pa.bool_()) == "boolean"
    assert dp.field_type(pa.list_(pa.string())) == "array"
    assert dp.field_type(pa.struct([pa.field("a", pa.string())])) == "object"
    with pytest.raises(TypeError):
        dp.field_type(pa.binary())


def test_datapackage_is_valid_and_matches_schemas(out):
    pkg = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    jsonschema.validate(pkg, DATAPACKAGE_SHAPE)
    # generated, never hand-written: the file is exactly what the code derives now
    assert pkg == dp.datapackage(dp.data_files(out))
    assert [r["name"] for r in pkg["resources"]] == list(TABLES)
    names = {r["name"] for r in pkg["resources"]}
    for res in pkg["resources"]:
        model = TABLES[res["name"]]
        paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
        for p in paths:
            assert (out / p).is_file(), p
        expected = arrow_schema(model)
        fields = res["schema"]["fields"]
        assert [f["name"] for f in fields] == expected.names
        on_disk = pq.read_schema(out / paths[0])
        enums = enum_values(model)
        for f in fields:
            field = model.model_fields[f["name"]]
            assert f["type"] == dp.field_type(on_disk.field(f["name"]).type)
            assert f["description"].startswith(field.description)
            assert f.get("constraints", {}).get("required", False) == (not is_nullable(field))
            assert f.get("constraints", {}).get("enum") == enums.get(f["name"])
        for fk in res["schema"].get("foreignKeys", []):
            target = fk["reference"]["resource"] or res["name"]
            assert target in names
    citations = next(r for r in pkg["resources"] if r["name"] == "citations")
    cited = next(f for f in citations["schema"]["fields"] if f["name"] == "cited_works")
    assert "page_start (integer, First page as a number)" in cited["description"]
    paragraphs = next(r for r in pkg["resources"] if r["name"] == "paragraphs")
    assert paragraphs["schema"]["primaryKey"] == ["paragraph_id"]
    assert len(paragraphs["path"]) == len(list((out / "parquet" / "paragraphs").glob("source_id=*")))


def test_dataset_card(out, con):
    card = (out / "README.md").read_text(encoding="utf-8")
    for table in TABLES:
        n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        assert re.search(rf"^\| {table} \| {n:,} \|", card, re.M), table
    assert "check the rights of each source" in card
    # known limits come from docs/quality/*.md
    treaty_limits = dp.known_limits((ROOT / "docs" / "quality" / "treaties.md").read_text(encoding="utf-8"))
    assert treaty_limits and f"- {treaty_limits[0]}" in card
    for m in MACROS:
        assert f"`{m.signature}`" in card


KNOWN = """\
# Quality of an invented parser

## Figures

- 98 % of headings found.

## Known problems

- Dates in footers are
  read as event dates.
- Speed: the tokenizer is quadratic on long lines.

### A detail

- Tables split over pages stay two tables.

## Next section

- not a limit
"""


def test_known_limits_reads_only_the_known_problems_section():
    items = dp.known_limits(KNOWN)
    assert items == [
        "Dates in footers are read as event dates.",
        "Speed: the tokenizer is quadratic on long lines.",
        "Tables split over pages stay two tables.",
    ]
    assert [i for i in items if dp.about_the_data(i)] == [items[0], items[2]]
    assert dp.doc_title(KNOWN, "x.md") == "Quality of an invented parser"


def test_card_without_quality_docs_says_so():
    card = dp.dataset_card({"sources": 1}, [{"source_id": "a", "format": "plain", "title": "T|x", "status": "ok"}], {})
    assert "No known-problems section" in card and "| a | plain | T\\|x | ok |" in card
