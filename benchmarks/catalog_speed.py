"""Speed of the DuckDB catalog step (``pipelines.catalog.refresh_catalog``); prints figures.

Copies a build's Parquet directory to WORK, then times (CPU of the process, all DuckDB threads
included, and wall; best of ``--repeat``):

- ``full``: a catalog built from scratch;
- ``incremental``: a copy of that catalog updated after one source changed (its paragraphs
  rewritten with some texts changed, and one of its rows in the corpus-wide entity_mentions),
  as a rebuild after one changed raw file does.

    python benchmarks/catalog_speed.py PARQUET_DIR WORK_DIR [--repeat 3] [--only full|incremental]
        [--compare OTHER.duckdb]

Run it with ``PYTHONPATH=<another checkout>`` (from that directory) to time that code instead.
``--compare`` checks that the catalog built from scratch equals another one (e.g. built by the
code before a change from the same Parquet files): same tables, comments and macros, same rows
in the same order, the same full-text index up to its internal ids, the same ``search()``
results and scores.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.catalog import FTS_SCHEMA, connect, refresh_catalog
from schemas import TABLES

QUERIES = ["treaty of rapallo", "Chicherin disarmament", "soviet government note", "the",
           "conference genoa 1922", "league of nations", "non-aggression pact poland", "zyxwvut"]


def catalog_content(path: Path) -> dict[str, list]:
    """What a catalog holds, as comparable lists (its own catalog_format aside)."""
    s = FTS_SCHEMA
    con = connect(path)
    con.execute("SET enable_progress_bar = false")
    try:
        q = {
            "tables": "SELECT schema_name, table_name, sql, comment FROM duckdb_tables() ORDER BY ALL",
            "columns": "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() ORDER BY ALL",
            "macros": "SELECT schema_name, function_name, macro_definition, comment FROM duckdb_functions() "
                      "WHERE NOT internal AND macro_definition IS NOT NULL ORDER BY ALL",
            "_macros": "SELECT * FROM _macros",
            "_meta": "SELECT contract_version FROM _meta",
            "_catalog_files": "SELECT path, table_name, source_id, size, sha256 FROM _catalog_files",  # not the stat
            "fts docs": f"SELECT docid, name, len FROM {s}.docs ORDER BY docid",
            "fts dict": f"SELECT term, df FROM {s}.dict ORDER BY term",
            "fts terms": f"SELECT t.docid, t.fieldid, d.term, count(*) FROM {s}.terms t JOIN {s}.dict d USING (termid) "
                         "GROUP BY ALL ORDER BY ALL",
            "fts stats": f"SELECT * FROM {s}.stats",
            "fts stopwords": f"SELECT * FROM {s}.stopwords",
            "fts fields": f"SELECT * FROM {s}.fields",
        }
        out = {k: con.execute(v).fetchall() for k, v in q.items()}
        for table in TABLES:  # in the order they are stored
            out[table] = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
        for query in QUERIES:  # BM25 sums vary in the last bit from one query to the next
            out[f"search({query!r})"] = con.execute(
                "SELECT round(score, 12), * EXCLUDE (score) FROM search(?) ORDER BY paragraph_id", [query]).fetchall()
        return out
    finally:
        con.close()


def compare(a: Path, b: Path) -> bool:
    ca, cb = catalog_content(a), catalog_content(b)
    same = True
    for key in ca:
        if ca[key] != cb[key]:
            same = False
            print(f"  DIFFERENT {key}: {len(ca[key])} vs {len(cb[key])} rows; first difference: "
                  + str(next(((x, y) for x, y in zip(ca[key], cb[key]) if x != y), None))[:300])
    print(f"compare {a} with {b}: " + ("identical" if same else "DIFFERENT") + f" ({len(ca)} parts checked)")
    return same


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def rewrite(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def change_one_source(parquet: Path, k: int) -> str:
    """Edit one source's paragraphs (every fifth text gets a word, new each time) and one of
    its entity_mentions rows; returns the source id."""
    parts = sorted((parquet / "paragraphs").iterdir())
    part = parts[len(parts) // 2]
    sid = part.name.split("=", 1)[1]
    path = part / "part-0.parquet"
    t = pq.read_table(path)
    every5 = pa.array([i % 5 == 0 for i in range(t.num_rows)])
    text = pc.if_else(every5, pc.binary_join_element_wise(t["text"], f"quaggaword{k}", " "), t["text"])
    rewrite(path, t.set_column(t.schema.get_field_index("text"), t.schema.field("text"), text))
    path = parquet / "entity_mentions" / "data.parquet"
    m = pq.read_table(path)
    first = pc.index(m["source_id"], sid).as_py()
    if first >= 0:
        surface = m["surface"].to_pylist()
        surface[first] = f"changed{k}"
        rewrite(path, m.set_column(m.schema.get_field_index("surface"), m.schema.field("surface"),
                                   pa.array(surface, m.schema.field("surface").type)))
    return sid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parquet", type=Path)
    ap.add_argument("work", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["full", "incremental"])
    ap.add_argument("--compare", type=Path, help="another catalog the full build should equal")
    args = ap.parse_args()
    parquet = args.work / "parquet"
    if parquet.exists():
        shutil.rmtree(parquet)
    shutil.copytree(args.parquet, parquet)
    staging = args.work / ".staging"
    base = args.work / "full.duckdb"
    print(f"load average at start: {os.getloadavg()}")

    if args.only != "incremental":
        best = None
        for _ in range(args.repeat):
            base.unlink(missing_ok=True)
            r, cpu, wall = timed(lambda: refresh_catalog(parquet, base, staging, full=True))
            if best is None or cpu < best[0]:
                best = (cpu, wall, r.timings)
            print(f"  full: cpu {cpu:.2f} s, wall {wall:.2f} s, phases "
                  + ", ".join(f"{k} {v:.2f}" for k, v in r.timings.items()))
        print(f"full (best of {args.repeat}): cpu {best[0]:.2f} s, wall {best[1]:.2f} s; rows {r.counts}")
        if args.compare:
            compare(base, args.compare)
    else:  # the catalog of this copy (its files stat as recorded), untimed
        refresh_catalog(parquet, base, staging, full=True)

    if args.only != "full":
        best = None
        catalog = args.work / "incremental.duckdb"
        for k in range(args.repeat):
            shutil.copyfile(base, catalog)
            sid = change_one_source(parquet, k)
            r, cpu, wall = timed(lambda: refresh_catalog(parquet, catalog, staging))
            assert r.mode == "incremental", r.mode
            if best is None or cpu < best[0]:
                best = (cpu, wall)
            print(f"  incremental ({sid}; index {r.fts}; replaced {sorted(r.replaced)}): cpu {cpu:.2f} s, "
                  f"wall {wall:.2f} s, phases " + ", ".join(f"{k} {v:.2f}" for k, v in r.timings.items()))
        print(f"incremental (best of {args.repeat}): cpu {best[0]:.2f} s, wall {best[1]:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
