"""The works a citation cites, one row per work (DuckDB straight over the Parquet files).

    python examples/duckdb_cited_works.py [OUTPUT_DIR] [CITATION_ID]

OUTPUT_DIR defaults to outputs/ (run from the project root after `make build`). Without
CITATION_ID the first footnote that cites two or more works is shown.
"""

import sys
from pathlib import Path

import duckdb

out = Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")
citations = (out / "parquet" / "citations" / "**" / "*.parquet").as_posix()

con = duckdb.connect()
con.execute(f"CREATE VIEW citations AS SELECT * FROM read_parquet('{citations}', hive_partitioning = true)")
if len(sys.argv) > 2:
    citation_id = sys.argv[2]
else:
    citation_id = con.execute(
        "SELECT citation_id FROM citations WHERE kind = 'footnote' AND len(cited_works) >= 2 "
        "ORDER BY citation_id LIMIT 1"
    ).fetchone()[0]

print(con.execute("SELECT citation_id, marker, text FROM citations WHERE citation_id = ?", [citation_id]).fetchone())
con.sql(f"""
    SELECT w.author, w.title, w.periodical, w.volume, w.page_start, w.page_end, w.year, w.date
    FROM citations, UNNEST(cited_works) AS u(w)
    WHERE citation_id = '{citation_id}'
""").show(max_width=200)

print("works cited most often (by title):")
con.sql("""
    SELECT w.title, count(*) AS n FROM citations, UNNEST(cited_works) AS u(w)
    WHERE w.title IS NOT NULL GROUP BY ALL ORDER BY n DESC, w.title LIMIT 5
""").show(max_width=200)
