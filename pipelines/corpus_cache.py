"""The corpus step's own cache: the per-source caches (``pipelines.mentions_cache``,
``pipelines.treaty_cache``) gathered into one file per kind of rows, so that a build where one
source of 500 changed reads four files and that one source's caches, not 1,500 small files.

``<output>/.cache/corpus/<kind>.arrow`` (Arrow IPC, lz4) holds the rows of every source and,
in its schema metadata, the key of each source's per-source caches when its rows were taken
(and a digest of this module: a change here rebuilds the files). ``gather`` reads them back,
drops the rows of sources whose keys changed or that are gone, reads those sources' per-source
caches and writes the files again. Kinds:

- ``mentions``: the final ``entity_mentions`` rows (the treaty linker's pattern mentions merged
  in, ``merge_pattern_mentions``), sorted by MENTION_KEY. The merge only touches rows of one
  paragraph, so merging source by source gives the rows of one merge over the corpus, provided
  no source has two mentions with the same key (then ``gather`` merges the whole corpus every
  time and keeps no file);
- ``treaty_mentions``: (entity_id, doc_id) of the linked ``treaty:`` mentions before that merge
  (they count the treaties' mentions);
- ``entities``: each source's ``entities`` rows, in source order;
- ``treaties``: each source's cached treaty evidence (one row per source), in source order.

The files are a shortcut, never the truth: missing, unreadable or stale ones are rebuilt from the
per-source caches, and tests/test_corpus_cache.py checks the rows equal a computation from
scratch."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from pipelines import mentions_cache, storage, treaty_cache
from pipelines.settings import Settings
from schemas import TABLES, arrow_schema

CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
SOURCE = "_source"  # the source column added to rows that have none
MENTION_KEY = ["entity_id", "paragraph_id", "char_start"]
KINDS = ("mentions", "treaty_mentions", "entities", "treaties")


def cache_dir(settings: Settings) -> Path:
    return settings.output_dir / ".cache" / "corpus"


def _strictly_sorted(df: pl.DataFrame) -> bool:
    """Whether the rows are sorted by MENTION_KEY with no key twice."""
    e, p, c = (pl.col(k) for k in MENTION_KEY)
    later = (e > e.shift()) | ((e == e.shift()) & ((p > p.shift()) | ((p == p.shift()) & (c > c.shift()))))
    return df.height < 2 or df.select(later.slice(1).all()).item()


def merge_pattern_mentions(mentions: pa.Table, pattern: list[dict]) -> pa.Table:
    """Add the treaty linker's pattern mentions; a gazetteer mention inside one of them (the
    place `Moscow` in `Moscow protocol`) gives way: longest match wins. The result is sorted by
    MENTION_KEY, one row per key (a given mention before a pattern one). Mentions come sorted
    so (``mentions_cache.mentions_table``): then only the block of ``treaty:`` rows, where the
    pattern mentions go, is sorted again, not the whole table."""
    if not pattern:
        return mentions
    df = pl.from_arrow(mentions)
    pat = pl.DataFrame(pattern, schema=df.schema)
    spans = pat.select("paragraph_id", pl.col("char_start").alias("ps"), pl.col("char_end").alias("pe"))
    inside = (
        df.with_row_index("_i")
        .filter(pl.col("paragraph_id").is_in(spans["paragraph_id"].implode()))
        .join(spans, on="paragraph_id")
        .filter((pl.col("char_start") >= pl.col("ps")) & (pl.col("char_end") <= pl.col("pe")))
        .get_column("_i")
    )
    kept = df.with_row_index("_i").filter(~pl.col("_i").is_in(inside.implode())).drop("_i")
    if not (_strictly_sorted(kept) and pat["entity_id"].str.starts_with("treaty:").all()):
        merged = pl.concat([kept, pat]).unique(MENTION_KEY, keep="first")
        return merged.sort(MENTION_KEY).to_arrow()
    ent = kept["entity_id"]  # the treaty: rows are one run of the sorted rows
    lo, hi = ent.search_sorted("treaty:", side="left"), ent.search_sorted("treaty;", side="left")
    block = pl.concat([kept.slice(lo, hi - lo), pat]).unique(MENTION_KEY, keep="first").sort(MENTION_KEY)
    return pl.concat([kept.slice(0, lo), block, kept.slice(hi)]).to_arrow()


class _KeysTwice(Exception):
    """A source has two mentions with one key: merging source by source could differ."""


@dataclass
class Gathered:
    mentions: pa.Table  # final entity_mentions rows, in table order
    treaty_mentions: pa.Table  # entity_id, doc_id of the linked treaty: mentions (before the merge)
    entities: pa.Table  # per-source entities rows, in source order
    treaties: pa.Table  # per-source treaty evidence (treaty_cache.SCHEMA), in source order


def gather(settings: Settings, ids: list[str]) -> Gathered:
    """The rows of the per-source caches of ``ids`` (sorted source ids), from the corpus files
    where the sources' keys are unchanged."""
    keys = _keys(settings, ids)
    # the per-source caches of the sources to read again, each read once for all the kinds
    linked = functools.cache(lambda fresh: mentions_cache.mentions_table(settings, list(fresh)))
    evidence = functools.cache(lambda fresh: _treaties(settings, list(fresh)))
    try:
        # mentions first: it checks that merging source by source is exact
        mentions = _union(settings, "mentions", ids, keys,
                          lambda f: _final_mentions(linked(tuple(f)), evidence(tuple(f))),
                          mentions_cache.MENTION_ORDER, "source_id")
    except _KeysTwice:
        for kind in KINDS:
            (cache_dir(settings) / f"{kind}.arrow").unlink(missing_ok=True)
        return _read_all(settings, ids)
    order = [(SOURCE, "ascending")]
    return Gathered(
        mentions,
        _union(settings, "treaty_mentions", ids, keys, lambda f: _treaty_rows(linked(tuple(f))), order),
        _union(settings, "entities", ids, keys, lambda f: _entities(settings, f), order),
        _union(settings, "treaties", ids, keys, lambda f: evidence(tuple(f)), order),
    )


def _read_all(settings: Settings, ids: list[str]) -> Gathered:
    """``gather`` from the per-source caches alone: one merge over the corpus."""
    mentions = mentions_cache.mentions_table(settings, ids)
    treaties = _treaties(settings, ids)
    pattern = [m for part in treaty_cache.parts_of(treaties) for m in part.pattern]
    return Gathered(merge_pattern_mentions(mentions, pattern).cast(mentions.schema), _treaty_rows(mentions),
                    _entities(settings, ids), treaties)


def _keys(settings: Settings, ids: list[str]) -> dict[str, str | None]:
    """Per source, the keys of its three cache files (None when one has none)."""
    paths = {sid: [*mentions_cache._paths(settings, sid), treaty_cache._path(settings, sid)] for sid in ids}
    found = mentions_cache.cached_keys([p for ps in paths.values() for p in ps])
    out = {}
    for sid, ps in paths.items():
        ks = [found[p] for p in ps]
        out[sid] = None if None in ks else "|".join(ks)
    return out


def _final_mentions(mentions: pa.Table, treaties: pa.Table) -> pa.Table:
    """Linked mentions (sorted) with the pattern mentions of the treaty evidence merged in."""
    if not _strictly_sorted(pl.from_arrow(mentions)):
        raise _KeysTwice
    pattern = [m for part in treaty_cache.parts_of(treaties) for m in part.pattern]
    return merge_pattern_mentions(mentions, pattern).cast(mentions.schema)


def _treaty_rows(mentions: pa.Table) -> pa.Table:
    rows = mentions.filter(pc.starts_with(mentions["entity_id"], "treaty:"))
    return pa.table({"entity_id": rows["entity_id"], "doc_id": rows["doc_id"], SOURCE: rows["source_id"]})


def _with_source(table: pa.Table, ids: list[str], counts: list[int]) -> pa.Table:
    return table.append_column(SOURCE, pa.array([sid for sid, n in zip(ids, counts) for _ in range(n)], pa.string()))


def _entities(settings: Settings, ids: list[str]) -> pa.Table:
    tables = mentions_cache.entity_tables(settings, ids)
    return _with_source(pa.concat_tables(tables) if tables else arrow_schema(TABLES["entities"]).empty_table(),
                        ids, [t.num_rows for t in tables])


def _treaties(settings: Settings, ids: list[str]) -> pa.Table:
    table = treaty_cache.read_table(settings, ids)
    return _with_source(table, ids, [1] * len(ids))


def _union(settings: Settings, kind: str, ids: list[str], keys: dict[str, str | None],
           read: Callable[[list[str]], pa.Table], order: list[tuple[str, str]], source: str = SOURCE) -> pa.Table:
    """``read(ids)`` sorted by ``order``, where the rows of the sources whose key is the one
    recorded in ``<kind>.arrow`` come from that file; the file is then written again if that
    changed anything. ``source``: the column naming each row's source."""
    path = cache_dir(settings) / f"{kind}.arrow"
    old, old_keys = None, {}
    try:
        old = feather.read_table(path)
        meta = old.schema.metadata or {}
        if meta.get(b"code") == CODE.encode():
            old_keys = json.loads(meta[b"sources"])
    except (OSError, ValueError, KeyError, pa.ArrowException):
        old = None
    reuse = {sid for sid in ids if keys[sid] is not None and old_keys.get(sid) == keys[sid]}
    if old is not None and len(reuse) == len(ids) == len(old_keys):
        return old.replace_schema_metadata(None)
    parts = []
    if reuse:
        parts.append(old.replace_schema_metadata(None).filter(pc.is_in(old[source], pa.array(sorted(reuse)))))
    fresh = [sid for sid in ids if sid not in reuse]
    if fresh or not parts:
        parts.append(read(fresh))
    table = pa.concat_tables(parts).sort_by(order)
    known = {sid: keys[sid] for sid in ids if keys[sid] is not None}
    _write(settings, path, table.replace_schema_metadata({"code": CODE, "sources": json.dumps(known, sort_keys=True)}))
    return table


def _write(settings: Settings, path: Path, table: pa.Table) -> None:
    """Written to staging, then moved in place (a killed build never leaves half a file)."""
    storage.write_atomically(settings.staging_dir, path, lambda tmp: feather.write_feather(table, tmp, compression="lz4"))
