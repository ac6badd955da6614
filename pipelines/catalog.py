"""``outputs/corpus.duckdb``: one table per dataset table, loaded from the Parquet datasets,
plus a full-text index over ``paragraphs.text`` (BM25) and table macros for common questions.

Tables (not views over relative paths) so the file works from any directory and on any
machine. A build updates it, at a cost proportional to what changed: the catalog records the
Parquet files its rows came from (``_catalog_files``: path, stat, sha256); a copy of the
published file has the rows of the sources whose files changed replaced (whole corpus-wide
tables where theirs changed) and their paragraphs re-indexed, and is swapped in with
``os.replace``, so readers never see a half-built catalog (those that have the old file open
keep reading it). The first build, or one after a change of format (``catalog_format``: this
code, schemas/, DuckDB's version), builds it from scratch, also in staging. Row order within
a table is not part of the catalog: updated rows come last (use ORDER BY).

Full-text search uses DuckDB's ``fts`` extension, shipped as the pinned wheel
``duckdb-ext-fts`` (no download at build or query time). The index lives in the catalog
(schema ``fts_main_paragraphs``: made by the extension, its tables filled by this module with
the same content, faster: :func:`fill_fts_index`), but a connection must have the extension
loaded to query it: open the catalog with :func:`connect`, which points DuckDB at the wheel's
extension folder and loads ``fts``. Every other table and macro works from a plain ``duckdb.connect``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import duckdb

from schemas import TABLES, arrow_schema
from schemas.tables import CONTRACT_VERSION

_DUCK = {
    "string": "VARCHAR", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
    "date32[day]": "DATE", "bool": "BOOLEAN",
}

FTS_SCHEMA = "fts_main_paragraphs"
# English stemming and stop words, case- and accent-insensitive
FTS_STEMMER = "english"
FTS_OPTIONS = f"stemmer = '{FTS_STEMMER}', stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1"


def duck_type(t) -> str:
    import pyarrow as pa

    if pa.types.is_list(t):
        return f"{duck_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f'"{f.name}" {duck_type(f.type)}' for f in t) + ")"
    return _DUCK[str(t)]


def ddl(table: str) -> str:
    """CREATE TABLE statement derived from the table model."""
    schema = arrow_schema(TABLES[table])
    cols = ",\n  ".join(
        f'"{f.name}" {duck_type(f.type)}' + ("" if f.nullable else " NOT NULL") for f in schema
    )
    return f'CREATE TABLE "{table}" (\n  {cols}\n)'


# --- full-text search ----------------------------------------------------------------------

def fts_extension_dir() -> Path:
    """The ``extensions`` folder of the ``duckdb-ext-fts`` wheel (holds
    ``v<duckdb version>/<platform>/fts.duckdb_extension``)."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the duckdb-ext-fts wheel is not installed (pip install duckdb-ext-fts)")
    for base in spec.submodule_search_locations:
        d = Path(base) / "extensions"
        if d.is_dir():
            return d
    raise RuntimeError("duckdb-ext-fts is installed but has no extensions/ folder")


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the ``fts`` extension from the wheel into ``con`` (no network)."""
    path = str(fts_extension_dir()).replace("'", "''")
    con.execute(f"SET extension_directory = '{path}'")
    con.execute("LOAD fts")


def connect(path: str | os.PathLike = "outputs/corpus.duckdb", read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the catalog with full-text search ready: ``search(q)`` and
    ``fts_main_paragraphs.match_bm25`` need the ``fts`` extension loaded in the connection.

    >>> from pipelines.catalog import connect
    >>> con = connect("outputs/corpus.duckdb")
    >>> con.sql("SELECT title, page, text FROM search('treaty of rapallo') LIMIT 3").show()
    """
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        load_fts(con)
    except Exception:
        con.close()
        raise
    return con


# The extension's tokenize macro (as duckdb_functions() shows it): lower case, accents
# stripped, split at runs of white space (RE2's \s: tab, newline, form feed, carriage return,
# space) and of the characters of its class, which _words() does without regular expressions.
FTS_TOKENIZE = (
    "string_split_regex(regexp_replace(lower(strip_accents(CAST(s AS VARCHAR))), "
    r"""'[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/\|''''"`-]+', ' ', 'g'), '\s+')"""
)
FTS_SEPARATORS = "0123456789!@#$%^&*()_+={}[]:;<>,.?~\\/|'\"`-\t\n\f\r "


def _words(con: duckdb.DuckDBPyConnection, column: str) -> str:
    """SQL for the words of ``column`` as the index's ``tokenize`` macro splits them, but for
    empty words (callers drop them, as the extension does). When the macro is the one of
    ``FTS_TOKENIZE``: every separator made a space with ``translate`` and the text split at
    spaces, a quarter less CPU than the macro's two regular expressions over every text (the
    largest part of building the index); else the macro itself."""
    macro = con.execute(
        "SELECT macro_definition FROM duckdb_functions() WHERE schema_name = ? AND function_name = 'tokenize'",
        [FTS_SCHEMA],
    ).fetchone()
    if macro is None or macro[0] != FTS_TOKENIZE:
        return f"{FTS_SCHEMA}.tokenize({column})"
    seps = FTS_SEPARATORS.replace("'", "''")
    return f"string_split(translate(lower(strip_accents({column})), '{seps}', '{' ' * len(FTS_SEPARATORS)}'), ' ')"


# The index tables, as the extension's create_fts_index makes them.
FTS_TABLES = {
    "docs": 'docid BIGINT, "name" VARCHAR, len BIGINT',
    "terms": "docid BIGINT, fieldid BIGINT, termid BIGINT",
    "dict": "termid BIGINT, term VARCHAR, df BIGINT",
    "stats": "num_docs BIGINT, avgdl DOUBLE",
}


def create_fts_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The index's schema as the extension makes it (stop words, fields, the ``tokenize`` and
    ``match_bm25`` macros), over the still empty ``paragraphs`` table: cheap. Its tables are
    filled by :func:`fill_fts_index` once the rows are in."""
    load_fts(con)
    if con.execute("SELECT count(*) FROM paragraphs").fetchone()[0]:
        raise RuntimeError("create_fts_schema wants an empty paragraphs table (fill_fts_index indexes the rows)")
    con.execute(f"PRAGMA create_fts_index('paragraphs', 'paragraph_id', 'text', {FTS_OPTIONS})")


def fill_fts_index(con: duckdb.DuckDBPyConnection) -> None:
    """Index every paragraph: the index tables replaced by what ``create_fts_index`` makes of
    the rows (same documents, docid being the rowid as there, terms, document frequencies and
    stats, hence the same BM25 scores; termids numbered in the terms' alphabetical order).
    The paragraphs must be committed (rows the running transaction inserted have provisional
    rowids).
    The extension's own script stems every word occurrence and fills three columns with
    correlated UPDATEs, 60% of the catalog's CPU time on the 100x corpus; here the texts are
    split once (:func:`_words`), each distinct word is stemmed once and each table is written
    by one INSERT, in half the time (benchmarks/catalog_speed.py)."""
    s = FTS_SCHEMA
    for table, cols in FTS_TABLES.items():
        con.execute(f"CREATE OR REPLACE TABLE {s}.{table} ({cols})")
    # every word occurrence but empty words and stop words (as the extension drops them)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fts_words AS
        SELECT docid, w FROM (SELECT rowid AS docid, unnest({_words(con, 'text')}) AS w FROM paragraphs)
        WHERE len(w) > 0 AND w NOT IN (SELECT sw FROM {s}.stopwords)""")
    # each distinct word's term (its stem) and the terms' ids
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fts_vocab AS
        SELECT w, stem(w, '{FTS_STEMMER}') AS term FROM (SELECT DISTINCT w FROM _fts_words)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _fts_termids AS
        SELECT row_number() OVER (ORDER BY term) - 1 AS termid, term FROM (SELECT DISTINCT term FROM _fts_vocab)""")
    con.execute(f"""INSERT INTO {s}.terms
        SELECT w.docid, (SELECT fieldid FROM {s}.fields WHERE field = 'text'), v.termid
        FROM _fts_words w JOIN (SELECT v.w, t.termid FROM _fts_vocab v JOIN _fts_termids t USING (term)) v USING (w)""")
    con.execute(f"""INSERT INTO {s}.dict
        SELECT t.termid, t.term, d.df FROM _fts_termids t
        JOIN (SELECT termid, count(*) AS df FROM (SELECT DISTINCT docid, termid FROM {s}.terms) GROUP BY termid) d USING (termid)
        ORDER BY t.termid""")
    con.execute(f"""INSERT INTO {s}.docs
        SELECT p.rowid, p.paragraph_id, coalesce(n.len, 0) FROM paragraphs p
        LEFT JOIN (SELECT docid, count(*) AS len FROM {s}.terms GROUP BY docid) n ON n.docid = p.rowid
        ORDER BY p.rowid""")
    con.execute(f"INSERT INTO {s}.stats SELECT count(docs.docid), sum(docs.len) / count(docs.len) FROM {s}.docs AS docs")
    for t in ("_fts_words", "_fts_vocab", "_fts_termids"):
        con.execute(f"DROP TABLE {t}")


# --- table macros --------------------------------------------------------------------------

@dataclass(frozen=True)
class Macro:
    name: str
    signature: str  # as called
    returns: str  # the columns it returns
    description: str
    sql: str  # CREATE MACRO statement


# entities whose canonical name, one of whose aliases, or whose entity_id equals `name`
# (case-insensitive); every macro that takes a name resolves it this way
_RESOLVE = """
    SELECT r.entity_id FROM entities r
    WHERE lower(r.name) = lower({p}) OR lower(r.entity_id) = lower({p})
       OR list_contains(list_transform(r.aliases, a -> lower(a)), lower({p}))"""

MACROS = [
    Macro(
        "entities_named", "entities_named(name)",
        "entity_id, type, name, aliases, n_mentions, n_documents",
        "The entities whose canonical name, an alias or entity_id equals `name` (case-insensitive). "
        "The other macros that take a name resolve it this way.",
        f"""CREATE OR REPLACE MACRO entities_named(name) AS TABLE
WITH target AS ({_RESOLVE.format(p="name")})
SELECT e.* FROM entities e WHERE e.entity_id IN (SELECT entity_id FROM target)
ORDER BY e.n_mentions DESC, e.entity_id""",
    ),
    Macro(
        "search", "search(q, all_words := false)",
        "score, paragraph_id, source_id, doc_id, title, page, kind, text",
        "Paragraphs matching the words of `q`, ranked by BM25 (English stemming, stop words, "
        "case and accents ignored). By default any word may match (more matches rank higher); with "
        "`all_words := true` every word must. `title` is the "
        "title of the paragraph's document (the source's title where the document has none). "
        "Needs the fts extension loaded: open the catalog with pipelines.catalog.connect().",
        f"""CREATE OR REPLACE MACRO search(q, all_words := false) AS TABLE
SELECT m.score, p.paragraph_id, p.source_id, p.doc_id, coalesce(d.title, s.title) AS title,
       p.page, p.kind, p.text
FROM (
    -- stop words are left out of the query, else `all_words` would ask for them too
    SELECT paragraph_id, {FTS_SCHEMA}.match_bm25(
        paragraph_id,
        (SELECT coalesce(string_agg(w, ' '), '') FROM (SELECT unnest({FTS_SCHEMA}.tokenize(q)) AS w)
         WHERE w NOT IN (SELECT sw FROM {FTS_SCHEMA}.stopwords)),
        conjunctive := CAST(all_words AS INTEGER)) AS score
    FROM paragraphs
) m
JOIN paragraphs p USING (paragraph_id)
LEFT JOIN documents d ON d.doc_id = p.doc_id
LEFT JOIN sources s ON s.source_id = p.source_id
WHERE m.score IS NOT NULL
ORDER BY m.score DESC, p.paragraph_id""",
    ),
    Macro(
        "mentions_of", "mentions_of(name)",
        "entity_id, entity, type, surface, source_id, doc_id, paragraph_id, page, char_start, char_end, text",
        "Every mention of the entity named `name` (canonical name, alias or entity_id, "
        "case-insensitive), in document order, with the paragraph's text as context "
        "(`char_start`/`char_end` locate the mention in `text`).",
        f"""CREATE OR REPLACE MACRO mentions_of(name) AS TABLE
WITH target AS ({_RESOLVE.format(p="name")})
SELECT m.entity_id, e.name AS entity, e.type, m.surface, m.source_id, m.doc_id, m.paragraph_id,
       p.page, m.char_start, m.char_end, p.text
FROM entity_mentions m
JOIN entities e ON e.entity_id = m.entity_id
JOIN paragraphs p ON p.paragraph_id = m.paragraph_id
WHERE m.entity_id IN (SELECT entity_id FROM target)
ORDER BY m.source_id, p.seq, m.char_start, m.entity_id""",
    ),
    Macro(
        "treaties_of", "treaties_of(state)",
        "treaty_id, name, treaty_type, parties, date_signed, place_signed, n_mentions, events",
        "The treaties to which `state` (canonical name or alias of a state, case-insensitive) is a "
        "party, by signing date, with their life events as a list of "
        "{event, date, date_text, paragraph_id} (the paragraph is the evidence).",
        f"""CREATE OR REPLACE MACRO treaties_of(state) AS TABLE
WITH st AS (
    SELECT lower(se.name) AS party FROM ({_RESOLVE.format(p="state")}) x
    JOIN entities se ON se.entity_id = x.entity_id WHERE se.type = 'state'
    UNION SELECT lower(state)
)
SELECT t.treaty_id, t.name, t.treaty_type, t.parties, t.date_signed, t.place_signed, t.n_mentions,
       (SELECT list({{'event': ev.event, 'date': ev.date, 'date_text': ev.date_text,
                      'paragraph_id': ev.paragraph_id}}
                    ORDER BY ev.date NULLS LAST, ev.event, ev.paragraph_id)
        FROM treaty_events ev WHERE ev.treaty_id = t.treaty_id) AS events
FROM treaties t
WHERE list_has_any(list_transform(t.parties, x -> lower(x)), (SELECT list(party) FROM st))
ORDER BY t.date_signed NULLS LAST, t.treaty_id""",
    ),
    Macro(
        "timeline", "timeline(from_date, to_date)",
        "date, date_end, date_precision, kind, event, text, treaty_id, date_text, source_id, paragraph_id",
        "Dated events (chronology entries and events found in running text) and treaty events "
        "between two dates (inclusive; a range counts if it overlaps), in date order. Dates as "
        "DATE or 'YYYY-MM-DD'. `kind` is `chronology`, `text` or `treaty`; for treaty rows "
        "`event` is what happened (signed, ratified, ...) and `text` is the treaty's name.",
        """CREATE OR REPLACE MACRO timeline(from_date, to_date) AS TABLE
SELECT * FROM (
    SELECT ev.date_start AS date, ev.date_end, ev.date_precision, ev.kind, NULL::VARCHAR AS event,
           ev.text, NULL::VARCHAR AS treaty_id, ev.date_text, ev.source_id, ev.paragraph_id
    FROM events ev
    WHERE ev.date_start <= CAST(to_date AS DATE)
      AND coalesce(ev.date_end, ev.date_start) >= CAST(from_date AS DATE)
    UNION ALL
    SELECT te.date, NULL, NULL, 'treaty', te.event, t.name, te.treaty_id, te.date_text,
           te.source_id, te.paragraph_id
    FROM treaty_events te JOIN treaties t ON t.treaty_id = te.treaty_id
    WHERE te.date BETWEEN CAST(from_date AS DATE) AND CAST(to_date AS DATE)
)
ORDER BY date, kind, paragraph_id, text""",
    ),
    Macro(
        "co_mentioned", "co_mentioned(name, n := 10)",
        "entity_id, name, type, n_paragraphs, n_mentions",
        "The `n` entities (default 10) most often named in the same paragraphs as the entity "
        "named `name`: `n_paragraphs` shared paragraphs, `n_mentions` their mentions there.",
        f"""CREATE OR REPLACE MACRO co_mentioned(name, n := 10) AS TABLE
WITH target AS ({_RESOLVE.format(p="name")}),
     ps AS (SELECT DISTINCT m.paragraph_id FROM entity_mentions m WHERE m.entity_id IN (SELECT entity_id FROM target))
SELECT e.entity_id, e.name, e.type, count(DISTINCT m.paragraph_id) AS n_paragraphs, count(*) AS n_mentions
FROM entity_mentions m
JOIN ps ON ps.paragraph_id = m.paragraph_id
JOIN entities e ON e.entity_id = m.entity_id
WHERE m.entity_id NOT IN (SELECT entity_id FROM target)
GROUP BY ALL
ORDER BY n_paragraphs DESC, n_mentions DESC, e.entity_id
LIMIT n""",
    ),
]


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    for m in MACROS:
        con.execute(m.sql)
        comment = f"{m.signature} -> ({m.returns}): {m.description}".replace("'", "''")
        con.execute(f"COMMENT ON MACRO TABLE {m.name} IS '{comment}'")
    con.execute(
        "CREATE TABLE _macros AS SELECT * FROM (VALUES "
        + ", ".join("(?, ?, ?, ?)" for _ in MACROS)
        + ") t(name, signature, returns, description)",
        [v for m in MACROS for v in (m.name, m.signature, m.returns, m.description)],
    )


# --- build ---------------------------------------------------------------------------------

FILES_TABLE = "_catalog_files"  # the Parquet files the catalog's rows come from (path, stat, sha256)
# Replaced rows leave partly filled blocks behind (measured at 10x: +30% after 12 updates of
# one source each); past this factor of its size when built from scratch, the file is rebuilt.
MAX_GROWTH = 1.5


@dataclass(frozen=True)
class PartFile:
    """One published Parquet file: where it is (relative to the Parquet directory), which
    table and source it holds, its stat signature and (once known) its content hash."""

    path: str
    table: str
    source_id: str | None  # None: a corpus-wide file
    size: int
    mtime_ns: int
    inode: int
    sha256: str = ""

    def same_stat(self, other: PartFile) -> bool:
        return (self.size, self.mtime_ns, self.inode) == (other.size, other.mtime_ns, other.inode)


@dataclass
class CatalogResult:
    counts: dict[str, int]  # rows per table
    mode: str  # "full" (built from scratch), "incremental" (a copy updated), "unchanged"
    replaced: dict[str, list[str]] = field(default_factory=dict)  # table -> sources replaced ("*": all)
    fts: str = "none"  # the full-text index: "built" (from scratch), "updated" (incrementally), "none"
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


def catalog_format() -> str:
    """What a catalog's content depends on besides the rows: this module (DDL, index options,
    macros), the tables' columns and descriptions, the contract and DuckDB's version. A
    published catalog of another format is rebuilt in full."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for table, model in TABLES.items():
        h.update(ddl(table).encode())
        h.update((model.__doc__ or "").encode())
        h.update(repr([(n, f.description) for n, f in model.model_fields.items()]).encode())
    h.update(f"{CONTRACT_VERSION}/{duckdb.__version__}".encode())
    return h.hexdigest()[:16]


def scan_files(parquet_dir: Path) -> dict[str, PartFile]:
    """Every Parquet file of every table, by path (without hashing: a stat each)."""
    out: dict[str, PartFile] = {}
    root = str(parquet_dir)
    for table in TABLES:
        for folder, dirs, names in os.walk(os.path.join(root, table)):
            dirs.sort()
            rel_dir = folder[len(root) + 1:].replace(os.sep, "/")
            sid = next((p.split("=", 1)[1] for p in rel_dir.split("/") if p.startswith("source_id=")), None)
            for name in sorted(names):
                if name.endswith(".parquet"):
                    st = os.stat(os.path.join(folder, name))
                    rel = f"{rel_dir}/{name}"
                    out[rel] = PartFile(rel, table, sid, st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def with_hashes(parquet_dir: Path, current: dict[str, PartFile], recorded: dict[str, PartFile],
                memo: dict[str, str] | None = None) -> dict[str, PartFile]:
    """``current`` with content hashes: the recorded one where the stat is unchanged (no read),
    else the file's (``memo``: path -> hash already computed in this build)."""
    memo = {} if memo is None else memo
    out = {}
    for path, f in current.items():
        rec = recorded.get(path)
        if rec is not None and rec.sha256 and f.same_stat(rec):
            sha = rec.sha256
        else:
            key = f"{path}:{f.size}:{f.mtime_ns}:{f.inode}"
            if key not in memo:
                memo[key] = _sha256(parquet_dir / path)
            sha = memo[key]
        out[path] = replace(f, sha256=sha)
    return out


def changed_sources(current: dict[str, PartFile], recorded: dict[str, PartFile]) -> dict[str, set[str | None]]:
    """table -> the sources whose rows differ between the recorded files and the current
    ones (by content hash; added and removed files count), None standing for a file that is
    not one source's (a corpus-wide table: all its rows)."""
    out: dict[str, set[str | None]] = {}
    for path in sorted(current.keys() | recorded.keys()):
        cur, rec = current.get(path), recorded.get(path)
        if cur is not None and rec is not None and cur.sha256 == rec.sha256:
            continue
        f = cur or rec
        out.setdefault(f.table, set()).add(f.source_id)
    return out


def _columns(table: str) -> str:
    return ", ".join(f'"{c}"' for c in TABLES[table].model_fields)


def _insert(con: duckdb.DuckDBPyConnection, table: str, parquet_dir: Path, paths: list[str],
            sources: list[str] | None = None) -> None:
    """Insert the rows of these files (only those of ``sources``, if given)."""
    if paths:
        where = " WHERE source_id IN (SELECT unnest(?))" if sources is not None else ""
        con.execute(
            f'INSERT INTO "{table}" SELECT {_columns(table)} FROM read_parquet(?, union_by_name = true){where}',
            [[str(parquet_dir / p) for p in sorted(paths)], *([sources] if sources is not None else [])],
        )


def differing_sources(con: duckdb.DuckDBPyConnection, table: str, parquet_dir: Path, paths: list[str]) -> list[str] | None:
    """For a corpus-wide table with a source_id column whose file changed: the sources whose
    rows differ between the catalog and the file (per source: row count and sum of row
    hashes), so that only theirs are replaced; None when rows without a source differ."""
    cols = _columns(table)
    digest = f"count(*) AS n, sum(hash({cols})::HUGEINT) AS h"
    rows = con.execute(
        f"""SELECT source_id FROM (SELECT source_id, {digest} FROM "{table}" GROUP BY source_id) a
        FULL JOIN (SELECT source_id, {digest} FROM read_parquet(?, union_by_name = true) GROUP BY source_id) b
        USING (source_id) WHERE a.n IS DISTINCT FROM b.n OR a.h IS DISTINCT FROM b.h""",
        [[str(parquet_dir / p) for p in sorted(paths)]],
    ).fetchall()
    sids = [r[0] for r in rows]
    return None if None in sids else sorted(sids)


def _record_files(con: duckdb.DuckDBPyConnection, files: dict[str, PartFile]) -> None:
    import pyarrow as pa

    rows = pa.Table.from_pylist([asdict(f) for f in files.values()], schema=pa.schema([
        ("path", pa.string()), ("table", pa.string()), ("source_id", pa.string()), ("size", pa.int64()),
        ("mtime_ns", pa.int64()), ("inode", pa.int64()), ("sha256", pa.string()),
    ]))
    con.execute(f"DELETE FROM {FILES_TABLE}")
    con.register("_files_now", rows)
    con.execute(f"INSERT INTO {FILES_TABLE} SELECT * FROM _files_now")
    con.unregister("_files_now")


def _recorded_files(con: duckdb.DuckDBPyConnection) -> dict[str, PartFile]:
    rows = con.execute(f"SELECT path, table_name, source_id, size, mtime_ns, inode, sha256 FROM {FILES_TABLE}").fetchall()
    return {r[0]: PartFile(*r) for r in rows}


def _blocks(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT total_blocks FROM pragma_database_size()").fetchone()[0]


def _published_state(catalog_path: Path) -> tuple[dict[str, PartFile], dict[str, int]] | None:
    """The files a published catalog was built from and its row counts, or None when it
    should be built from scratch (missing, unreadable, another format, no FTS index, grown
    past ``MAX_GROWTH``)."""
    if not catalog_path.exists():
        return None
    try:
        con = duckdb.connect(str(catalog_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        fmt, built_blocks = con.execute("SELECT catalog_format, built_blocks FROM _meta").fetchone()
        has_index = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'docs'", [FTS_SCHEMA]
        ).fetchone()[0]
        if fmt != catalog_format() or not has_index or _blocks(con) > MAX_GROWTH * built_blocks:
            return None
        return _recorded_files(con), _counts(con)
    except duckdb.Error:
        return None
    finally:
        con.close()


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}


# --- incremental full-text index ---------------------------------------------------------------
# DuckDB's fts extension has no update: ``create_fts_index`` re-reads the whole table. Its index
# is plain tables (docs: one row per paragraph with its length in terms; terms: one row per
# term occurrence; dict: each term's document frequency; stats: number of documents and mean
# length), so replacing some paragraphs is: forget their docs and terms, tokenize the new
# paragraphs as the extension does (its ``tokenize`` macro, stop words, stemmer), add them,
# and adjust the document frequencies and stats. BM25 scores are then those of a fresh index
# (only internal ids differ); tests/test_catalog_incremental.py checks that.

def fts_forget(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """Remove the index entries of these sources' paragraphs (call before deleting the rows);
    their document frequencies are kept in ``_fts_delta`` until ``fts_add``."""
    s = FTS_SCHEMA
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fts_old AS SELECT d.docid FROM {s}.docs d
        WHERE d.name IN (SELECT paragraph_id FROM paragraphs WHERE source_id IN (SELECT unnest(?)))""",
        [sources],
    )
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fts_delta AS
        SELECT termid, -count(DISTINCT docid) AS n FROM {s}.terms
        WHERE docid IN (SELECT docid FROM _fts_old) GROUP BY termid""")
    con.execute(f"DELETE FROM {s}.terms WHERE docid IN (SELECT docid FROM _fts_old)")
    con.execute(f"DELETE FROM {s}.docs WHERE docid IN (SELECT docid FROM _fts_old)")


def fts_add(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """Index these sources' paragraphs (after inserting them) and bring the document
    frequencies and stats up to date."""
    s = FTS_SCHEMA
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fts_new AS
        SELECT (SELECT coalesce(max(docid) + 1, 0) FROM {s}.docs) + row_number() OVER (ORDER BY paragraph_id) - 1
               AS docid, paragraph_id AS name, text
        FROM paragraphs WHERE source_id IN (SELECT unnest(?))""",
        [sources],
    )
    # as create_fts_index: tokenize, drop empty words and stop words, then stem
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fts_terms AS
        SELECT stem(w, '{FTS_STEMMER}') AS term, docid
        FROM (SELECT unnest({_words(con, 'text')}) AS w, docid FROM _fts_new)
        WHERE w IS NOT NULL AND len(w) > 0 AND w NOT IN (SELECT sw FROM {s}.stopwords)""")
    con.execute(f"""INSERT INTO {s}.dict (termid, term, df)
        SELECT (SELECT coalesce(max(termid) + 1, 0) FROM {s}.dict) + row_number() OVER (ORDER BY term) - 1, term, 0
        FROM (SELECT DISTINCT term FROM _fts_terms WHERE term NOT IN (SELECT term FROM {s}.dict))""")
    con.execute(f"""INSERT INTO {s}.terms (docid, fieldid, termid)
        SELECT t.docid, (SELECT fieldid FROM {s}.fields WHERE field = 'text'), d.termid
        FROM _fts_terms t JOIN {s}.dict d ON d.term = t.term""")
    con.execute(f"""INSERT INTO {s}.docs (docid, name, len)
        SELECT n.docid, n.name, count(t.term) FROM _fts_new n LEFT JOIN _fts_terms t ON t.docid = n.docid
        GROUP BY n.docid, n.name""")
    con.execute(f"""INSERT INTO _fts_delta
        SELECT d.termid, count(DISTINCT t.docid) FROM _fts_terms t JOIN {s}.dict d ON d.term = t.term
        GROUP BY d.termid""")
    con.execute(f"""UPDATE {s}.dict SET df = dict.df + x.n
        FROM (SELECT termid, CAST(sum(n) AS BIGINT) AS n FROM _fts_delta GROUP BY termid) x
        WHERE dict.termid = x.termid""")
    con.execute(f"DELETE FROM {s}.dict WHERE df = 0")
    con.execute(f"DELETE FROM {s}.stats")
    con.execute(f"INSERT INTO {s}.stats SELECT count(docs.docid), sum(docs.len) / count(docs.len) FROM {s}.docs AS docs")
    for t in ("_fts_old", "_fts_new", "_fts_terms", "_fts_delta"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


# --- build and update ---------------------------------------------------------------------

def _build_new(con: duckdb.DuckDBPyConnection, parquet_dir: Path, files: dict[str, PartFile],
               timings: dict[str, float]) -> None:
    t0 = time.perf_counter()
    con.execute("BEGIN")  # 120 small statements in one commit (one WAL sync), not one each
    for table, model in TABLES.items():
        con.execute(ddl(table))
        col = model.__doc__.strip().replace("'", "''") if model.__doc__ else ""
        con.execute(f"COMMENT ON TABLE \"{table}\" IS '{col}'")
        for name, fld in model.model_fields.items():
            desc = (fld.description or "").replace("'", "''")
            con.execute(f"COMMENT ON COLUMN \"{table}\".\"{name}\" IS '{desc}'")
    create_fts_schema(con)  # while paragraphs is empty
    con.execute("COMMIT")
    for table in TABLES:
        _insert(con, table, parquet_dir, [p for p, f in files.items() if f.table == table])
    con.execute("CREATE TABLE _meta AS SELECT ? AS contract_version, ? AS catalog_format, 0 AS built_blocks",
                [CONTRACT_VERSION, catalog_format()])
    con.execute(f"""CREATE TABLE {FILES_TABLE} (path VARCHAR, table_name VARCHAR, source_id VARCHAR,
        size BIGINT, mtime_ns BIGINT, inode BIGINT, sha256 VARCHAR)""")
    _record_files(con, files)
    t1 = time.perf_counter()
    fill_fts_index(con)
    t2 = time.perf_counter()
    con.execute("BEGIN")
    create_macros(con)
    con.execute("COMMIT")
    con.execute("CHECKPOINT")  # the file's size as built, to see how much updates make it grow
    con.execute("UPDATE _meta SET built_blocks = ?", [_blocks(con)])
    timings.update(tables=t1 - t0, fts_index=t2 - t1, macros=time.perf_counter() - t2)


def _update(con: duckdb.DuckDBPyConnection, parquet_dir: Path, files: dict[str, PartFile],
            changed: dict[str, set[str | None]], timings: dict[str, float]) -> tuple[dict[str, list[str]], str]:
    """Replace the changed sources' rows (whole tables where a corpus-wide file changed) and
    the index entries of their paragraphs. Returns table -> the sources replaced, and how the
    index was brought up to date (``CatalogResult.fts``)."""
    t0 = time.perf_counter()
    replaced: dict[str, list[str]] = {}
    fts = "none"
    con.execute("BEGIN")  # the tables in one commit (one WAL sync), not one per statement
    for table, sources in changed.items():
        whole = None in sources
        sids = sorted(s for s in sources if s is not None)
        paths = [p for p, f in files.items() if f.table == table and (whole or f.source_id in sources)]
        if whole and "source_id" in TABLES[table].model_fields and not TABLES[table].__per_source__:
            # a corpus-wide table (entity_mentions: the largest) most often differs in a few sources' rows
            differing = differing_sources(con, table, parquet_dir, paths)
            if differing is not None:
                if differing:
                    con.execute(f'DELETE FROM "{table}" WHERE source_id IN (SELECT unnest(?))', [differing])
                    _insert(con, table, parquet_dir, paths, differing)
                    replaced[table] = differing
                continue
        if table == "paragraphs":
            # the incremental index pays per changed paragraph: past half the table (in bytes) a
            # new one is cheaper
            size = sum(f.size for f in files.values() if f.table == table)
            fts = "built" if whole or 2 * sum(files[p].size for p in paths) > size else "updated"
        if table == "paragraphs" and fts == "updated":
            fts_forget(con, sids)
        if whole:
            con.execute(f'DELETE FROM "{table}"')
        else:
            con.execute(f'DELETE FROM "{table}" WHERE source_id IN (SELECT unnest(?))', [sids])
        _insert(con, table, parquet_dir, paths)
        replaced[table] = ["*"] if whole else sids
    _record_files(con, files)
    con.execute("COMMIT")  # before indexing: the paragraphs' rowids are final once committed
    t1 = time.perf_counter()
    con.execute("BEGIN")
    if fts == "updated":
        fts_add(con, replaced["paragraphs"])
    elif fts == "built":
        fill_fts_index(con)
    con.execute("COMMIT")
    timings.update(tables=t1 - t0, fts_index=time.perf_counter() - t1)
    return replaced, fts


def refresh_catalog(parquet_dir: Path, catalog_path: Path, staging_dir: Path, full: bool = False) -> CatalogResult:
    """Bring ``catalog_path`` up to date with the Parquet files, readers never seeing a
    half-written file: unchanged files, nothing to do; else a copy of the published catalog
    has the rows of the changed sources replaced (and their paragraphs re-indexed) and is
    swapped in with ``os.replace``. Built from scratch (also in staging) when there is no
    catalog of the current format, or with ``full``."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    current = scan_files(parquet_dir)
    published = None if full else _published_state(catalog_path)
    memo: dict[str, str] = {}
    if published is not None:
        recorded, counts = published
        current = with_hashes(parquet_dir, current, recorded, memo)
        if current == recorded:
            timings["scan"] = time.perf_counter() - t0
            return CatalogResult(counts, "unchanged", {}, "none", timings)
    staging_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir / f"corpus-{uuid.uuid4().hex}.duckdb"
    try:
        if published is not None:
            t1 = time.perf_counter()
            shutil.copyfile(catalog_path, tmp)
            timings["copy"] = time.perf_counter() - t1
            con = duckdb.connect(str(tmp))
            con.execute("SET enable_progress_bar = false")  # no bar on the build's terminal
            load_fts(con)
            # diff against the copy itself: another build may have swapped in a newer catalog
            recorded = _recorded_files(con)
            current = with_hashes(parquet_dir, current, recorded, memo)
            replaced, fts = _update(con, parquet_dir, current, changed_sources(current, recorded), timings)
            mode = "incremental"
        else:
            con = duckdb.connect(str(tmp))
            con.execute("SET enable_progress_bar = false")  # no bar on the build's terminal
            current = with_hashes(parquet_dir, current, {}, memo)
            _build_new(con, parquet_dir, current, timings)
            replaced, mode, fts = {t: ["*"] for t in TABLES}, "full", "built"
        counts = _counts(con)
        t1 = time.perf_counter()
        con.close()
        catalog_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, catalog_path)
        timings["publish"] = time.perf_counter() - t1
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    timings["total"] = time.perf_counter() - t0
    return CatalogResult(counts, mode, replaced, fts, timings)


def build_catalog(parquet_dir: Path, catalog_path: Path, staging_dir: Path,
                  timings: dict[str, float] | None = None) -> dict[str, int]:
    """Build the catalog from scratch into a staging file and swap it in; returns row counts
    per table. ``timings`` (if given) receives the seconds spent on tables, the FTS index and
    macros."""
    result = refresh_catalog(parquet_dir, catalog_path, staging_dir, full=True)
    if timings is not None:
        timings.update({k: result.timings[k] for k in ("tables", "fts_index", "macros")})
    return result.counts
