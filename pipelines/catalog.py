"""``outputs/corpus.duckdb``: one table per dataset table, loaded from the Parquet datasets,
plus a full-text index over ``paragraphs.text`` (BM25) and table macros for common questions.

Tables (not views over relative paths) so the file works from any directory and on any
machine; it is rebuilt into a staging file and swapped in with ``os.replace``, so readers
never see a half-built catalog.

Full-text search uses DuckDB's ``fts`` extension, shipped as the pinned wheel
``duckdb-ext-fts`` (no download at build or query time). The index lives in the catalog
(schema ``fts_main_paragraphs``), but a connection must have the extension loaded to query it:
open the catalog with :func:`connect`, which points DuckDB at the wheel's extension folder and
loads ``fts``. Every other table and macro works from a plain ``duckdb.connect``.
"""

from __future__ import annotations

import importlib.util
import os
import time
import uuid
from dataclasses import dataclass
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
FTS_OPTIONS = "stemmer = 'english', stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1"


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


def create_fts_index(con: duckdb.DuckDBPyConnection) -> None:
    load_fts(con)
    con.execute(f"PRAGMA create_fts_index('paragraphs', 'paragraph_id', 'text', {FTS_OPTIONS})")


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

def build_catalog(parquet_dir: Path, catalog_path: Path, staging_dir: Path,
                  timings: dict[str, float] | None = None) -> dict[str, int]:
    """Build the catalog into a staging file and swap it in; returns row counts per table.
    ``timings`` (if given) receives the seconds spent on tables, the FTS index and macros."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir / f"corpus-{uuid.uuid4().hex}.duckdb"
    counts: dict[str, int] = {}
    timings = {} if timings is None else timings
    try:
        con = duckdb.connect(str(tmp))
        t0 = time.perf_counter()
        for table, model in TABLES.items():
            con.execute(ddl(table))
            files = sorted((parquet_dir / table).glob("**/*.parquet"))
            if files:
                cols = ", ".join(f'"{c}"' for c in model.model_fields)
                con.execute(
                    f'INSERT INTO "{table}" SELECT {cols} FROM read_parquet(?, union_by_name = true)',
                    [[str(f) for f in files]],
                )
            col = model.__doc__.strip().replace("'", "''") if model.__doc__ else ""
            con.execute(f"COMMENT ON TABLE \"{table}\" IS '{col}'")
            for name, field in model.model_fields.items():
                desc = (field.description or "").replace("'", "''")
                con.execute(f"COMMENT ON COLUMN \"{table}\".\"{name}\" IS '{desc}'")
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.execute("CREATE TABLE _meta AS SELECT ? AS contract_version", [CONTRACT_VERSION])
        t1 = time.perf_counter()
        create_fts_index(con)
        t2 = time.perf_counter()
        create_macros(con)
        timings.update(tables=t1 - t0, fts_index=t2 - t1, macros=time.perf_counter() - t2)
        con.close()
        catalog_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, catalog_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return counts
