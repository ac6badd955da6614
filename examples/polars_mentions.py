"""Every mention of a person, with the paragraph it stands in (polars).

    python examples/polars_mentions.py [OUTPUT_DIR] [ENTITY_ID]

OUTPUT_DIR defaults to outputs/ (run from the project root after `make build`);
ENTITY_ID defaults to person:georgy-chicherin.
"""

import sys
from pathlib import Path

import polars as pl

out = Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")
entity_id = sys.argv[2] if len(sys.argv) > 2 else "person:georgy-chicherin"

entities = pl.read_parquet(out / "parquet" / "entities")
mentions = pl.read_parquet(out / "parquet" / "entity_mentions")
paragraphs = pl.read_parquet(out / "parquet" / "paragraphs", hive_partitioning=True)

name = entities.filter(pl.col("entity_id") == entity_id)["name"].item()
context = (
    mentions.filter(pl.col("entity_id") == entity_id)
    .join(paragraphs.select("paragraph_id", "seq", "page", "text"), on="paragraph_id")
    # up to 60 characters either side of the mention, cut from the paragraph's clean text
    .with_columns(start=pl.max_horizontal(pl.col("char_start") - 60, 0))
    .with_columns(context=pl.col("text").str.slice(pl.col("start"), pl.col("char_end") + 60 - pl.col("start")))
    .sort("source_id", "seq", "char_start")
)
print(f"{name}: {context.height} mentions in {context['paragraph_id'].n_unique()} paragraphs")
print(context.group_by("source_id").len().sort("source_id"))
with pl.Config(fmt_str_lengths=110, tbl_rows=5, tbl_width_chars=170):
    print(context.select("source_id", "page", "surface", "context").head(5))
