"""How many treaties were signed each year, and which (pyarrow.dataset).

    python examples/pyarrow_treaties_per_year.py [OUTPUT_DIR]

OUTPUT_DIR defaults to outputs/ (run from the project root after `make build`).
"""

import sys
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds

out = Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")

treaties = ds.dataset(out / "parquet" / "treaties", format="parquet")
print(treaties.schema.field("date_signed").metadata[b"description"].decode())

table = treaties.to_table(columns=["name", "date_signed"], filter=pc.field("date_signed").is_valid())
table = table.append_column("year", pc.year(table["date_signed"]))
per_year = (
    table.group_by("year")
    .aggregate([("name", "count"), ("name", "list")])
    .sort_by("year")
)
for year, n, names in zip(per_year["year"].to_pylist(), per_year["name_count"].to_pylist(), per_year["name_list"].to_pylist()):
    if 1917 <= year <= 1945:
        print(textwrap.fill("; ".join(sorted(names)), 100, initial_indent=f"{year}  {n:2d}  ", subsequent_indent=" " * 10, break_on_hyphens=False))
