"""Per-source work outside Dagster: decide whether a raw file needs parsing, parse it, and
publish its rows to every per-source table. Used by the Dagster assets and the sensor."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pipelines import mentions_cache, storage
from pipelines.parsing.source import PER_SOURCE, SourceResult, process_source
from pipelines.rawdir import RawFile, file_sha256, scan
from pipelines.settings import Settings
from pipelines.versions import extraction_version

TABLES_OF_A_SOURCE = ("sources", *PER_SOURCE)


class Vanished(Exception):
    """The file was deleted after the raw directory was scanned."""


@dataclass
class Outcome:
    source_id: str
    status: str  # ok / rejected / unchanged / removed
    rows: dict[str, int]
    reason: str | None = None


def is_current(settings: Settings, raw: RawFile, sha256: str, version: str) -> bool:
    """True when this source's published rows came from these bytes and this parser."""
    return _matches(settings, raw, storage.read_source_row(settings.parquet_dir, raw.source_id), sha256, version)


def _matches(settings: Settings, raw: RawFile, row: dict | None, sha256: str, version: str) -> bool:
    """``is_current`` given the source's published ``sources`` row (None: there is none)."""
    if not row or row.get("sha256") != sha256 or row.get("parser_version") != version:
        return False
    if row.get("path") != raw.path:
        return False
    return all(
        storage.partition_path(settings.parquet_dir, t, raw.source_id).exists()
        for t in TABLES_OF_A_SOURCE
    )


def _rejected(raw: RawFile, version: str, reason: str, data: bytes | None = None) -> SourceResult:
    return SourceResult(
        {
            "source_id": raw.source_id,
            "path": raw.path,
            "sha256": hashlib.sha256(data).hexdigest() if data is not None else "",
            "n_bytes": len(data) if data is not None else 0,
            "encoding": None,
            "format": None,
            "title": None,
            "status": "rejected",
            "reject_reason": reason,
            "parser_version": version,
        }
    )


def read_and_parse(settings: Settings, raw: RawFile, version: str) -> SourceResult:
    """Never raises for bad input: every problem becomes a rejected sources row (a file
    deleted meanwhile raises ``Vanished``: its rows are removed, not rejected). A source parsed
    fine also gets its entity and treaty caches filled (``mentions_cache.prime``)."""
    if raw.reject:
        return _rejected(raw, version, raw.reject)
    try:
        size = raw.abspath.stat().st_size
        if size > settings.max_file_bytes:
            return _rejected(raw, version, f"file too large ({size} bytes > limit {settings.max_file_bytes}; raise MAX_FILE_MB)")
        data = raw.abspath.read_bytes()
    except FileNotFoundError:
        raise Vanished(raw.path) from None
    except OSError as e:
        return _rejected(raw, version, f"cannot read file: {e.strerror or e}")
    result = process_source(data, raw.path, raw.source_id, version, settings.max_line_chars)
    for table in PER_SOURCE:
        try:
            storage.validate_rows(table, result.tables[table])
        except ValidationError as e:
            first = e.errors()[0]
            return _rejected(raw, version, f"invalid {table} rows from the parser: {first['loc']} {first['msg']}", data)
    try:
        # link its entities and treaty evidence now, in this (worker) process, while the rows
        # are in memory: the corpus step then finds them cached
        mentions_cache.prime(settings, result, data, extraction_version())
    except Exception:  # noqa: BLE001 - not cached: the corpus step links it again and reports the error there
        pass
    return result


def _write_source(settings: Settings, parquet_dir: Path, raw: RawFile, result: SourceResult) -> Outcome:
    """Write a parsed source's files into ``parquet_dir``, its ``sources`` row last: that row
    (bytes hash, parser version) is what ``is_current`` trusts, so a build killed half-way
    leaves a source that is parsed again, never one with stale tables under a new row."""
    rows = {}
    for table in PER_SOURCE:  # validated already by read_and_parse: publish without a second pass
        rows[table] = storage.write_arrow(parquet_dir, settings.staging_dir, table,
                                          storage.to_arrow(table, result.tables[table]), raw.source_id)
    n = storage.write_table(parquet_dir, settings.staging_dir, "sources", [result.source], raw.source_id)
    return Outcome(raw.source_id, result.source["status"], {"sources": n, **rows}, result.source.get("reject_reason"))


def refresh_source(settings: Settings, raw: RawFile, version: str, force: bool = False) -> Outcome:
    """Parse and publish one source unless its published rows are current."""
    sha = None
    if not raw.reject:
        try:
            sha = file_sha256(raw.abspath)
        except OSError:
            sha = None
    if not force and sha and is_current(settings, raw, sha, version):
        return Outcome(raw.source_id, "unchanged", {})
    try:
        result = read_and_parse(settings, raw, version)
    except Vanished:
        return remove_source(settings, raw.source_id)
    return _write_source(settings, settings.parquet_dir, raw, result)


def needs_parse(settings: Settings, raw: RawFile, version: str) -> bool:
    """True unless this source's published rows came from its current bytes and ``version``."""
    return bool(needing_parse(settings, [raw], version))


def needing_parse(settings: Settings, raws: list[RawFile], version: str,
                  hashes: dict[str, str] | None = None) -> set[str]:
    """The source ids of ``raws`` that ``needs_parse``. ``hashes``: the raw files' digests where
    known already (``build.state_of`` has just hashed every file), the others are hashed here."""
    rows = published_sources(settings, [raw.source_id for raw in raws])
    out = set()
    for raw in raws:
        row = rows.get(raw.source_id)
        if raw.reject:
            current = bool(row) and row.get("reject_reason") == raw.reject and row.get("parser_version") == version
        else:
            try:
                sha = (hashes or {}).get(raw.source_id) or file_sha256(raw.abspath)
            except OSError:
                sha = None
            current = sha is not None and _matches(settings, raw, row, sha, version)
        if not current:
            out.add(raw.source_id)
    return out


def published_sources(settings: Settings, source_ids: list[str]) -> dict[str, dict]:
    """The published ``sources`` row of each of ``source_ids`` that has a readable one
    (``storage.read_source_row`` of each; ``ParquetFile`` reads a small file several times
    faster than ``pq.read_table``: 500 sources 0.6 -> 0.2 CPU-s)."""
    import pyarrow.parquet as pq

    out = {}
    for sid in source_ids:
        try:
            rows = pq.ParquetFile(storage.partition_path(settings.parquet_dir, "sources", sid)).read(use_threads=False).to_pylist()
        except Exception:  # noqa: BLE001 - missing, or an unreadable leftover: treated as missing, it will be rebuilt
            continue
        if rows:
            out[sid] = rows[0]
    return out


def published_rows(settings: Settings, source_id: str) -> dict[str, int]:
    """Row counts of a source's published files (from their footers)."""
    out = {}
    for table in TABLES_OF_A_SOURCE:
        n = storage.partition_rows(settings.parquet_dir, table, source_id)
        if n is not None:
            out[table] = n
    return out


def _refresh_in_worker(args) -> Outcome:
    settings, raw, version, force = args
    try:
        return refresh_source(settings, raw, version, force)
    finally:
        _drop_staging(settings)


def _drop_staging(settings: Settings) -> None:
    """In a worker, after a source: remove its own staging folder (``.staging/p<pid>``) when
    empty, so that nothing is left behind for a later build to clean up."""
    with contextlib.suppress(OSError):
        settings.staging_dir.rmdir()


def _parser_modules() -> list[str]:
    from pipelines.parsing.formats import PARSERS

    names = sorted({f"pipelines.parsing.formats.{v.partition(':')[0]}" for v in PARSERS.values()})
    return [*names, "pipelines.extraction.text_events", "pipelines.parsing.references"]


def warm_up() -> None:
    """Import every layout parser and the enrichment passes (regexes compile at import), so
    that forked workers inherit them instead of each importing them again."""
    import importlib

    for name in _parser_modules():
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            pass


def _exit_with(parent: int) -> None:
    """In a worker: exit as soon as the build process ``parent`` is gone (killed builds must
    not leave workers running on)."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True).start()


def process_pool(workers: int):
    """A process pool for a build: ``fork`` when this process runs no other thread (cheap:
    nothing is imported again), else ``forkserver`` preloaded with the parsers (forking a
    threaded process can deadlock; Dagster's log capture runs threads). Workers exit when
    this process dies."""
    import multiprocessing as mp
    import threading
    from concurrent.futures import ProcessPoolExecutor

    if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        warm_up()
        ctx = mp.get_context("fork")
    else:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["pipelines.publish", "pipelines.mentions_cache", *_parser_modules()])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with,
                               initargs=(os.getpid(),))


def _size(raw: RawFile) -> int:
    try:
        return raw.abspath.stat().st_size
    except OSError:
        return 0


def _parse_in_worker(args) -> Outcome:
    """Parse one source and write its files into ``folder`` (not the dataset)."""
    settings, raw, version, folder = args
    try:
        result = read_and_parse(settings, raw, version)
    except Vanished:
        return Outcome(raw.source_id, "removed", {})
    try:
        return _write_source(settings, folder, raw, result)
    finally:
        _drop_staging(settings)


class ParseAhead:
    """Sources parsed by worker processes while the build process imports Dagster and creates
    the run (``run_build`` starts it; on 2 CPUs the parse overlaps those ~3 s), published by
    the parse asset: ``refresh_sources`` takes the results and moves the files into place.
    Workers write into a private folder of this process's staging area, so the dataset changes
    only in the asset's step, as without it; ``close`` drops whatever was not taken (a run
    that failed before the asset). One per output directory in a process."""

    _open: dict[Path, ParseAhead] = {}

    def __init__(self, settings: Settings, raws: list[RawFile], version: str, workers: int):
        self.settings, self.version = settings, version
        self.folder = settings.staging_dir / "ahead"
        self.pool = process_pool(workers)
        self.futures = {
            raw.source_id: self.pool.submit(_parse_in_worker, (settings, raw, version, self.folder))
            for raw in sorted(raws, key=_size, reverse=True)  # largest first: it does not start last
        }
        ParseAhead._open[settings.parquet_dir] = self

    @classmethod
    def of(cls, settings: Settings) -> ParseAhead | None:
        return cls._open.get(settings.parquet_dir)

    def take(self, source_id: str, version: str):
        """The future of ``source_id``'s parse (None if it was not parsed ahead with ``version``)."""
        return self.futures.pop(source_id, None) if version == self.version else None

    def publish(self, outcome: Outcome) -> Outcome:
        """Move a source parsed ahead into the dataset, its ``sources`` row last (see
        ``_write_source``); a file deleted meanwhile has its rows removed."""
        sid = outcome.source_id
        if outcome.status == "removed":
            return remove_source(self.settings, sid)
        for table in (*PER_SOURCE, "sources"):
            target = storage.partition_path(self.settings.parquet_dir, table, sid)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(storage.partition_path(self.folder, table, sid), target)
        return outcome

    def close(self) -> None:
        ParseAhead._open.pop(self.settings.parquet_dir, None)
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def refresh_sources(settings: Settings, keys: list[str], version: str, force: bool = False,
                    workers: int | None = None, progress=None) -> dict[str, Outcome]:
    """``refresh_source`` for every key (a key without a raw file has its rows removed);
    sources needing a parse are taken from the ``ParseAhead`` of this build if it parsed them,
    else parsed by up to ``workers`` processes (largest first, so the biggest file does not
    start last). ``progress(outcome)`` is called as each one ends."""
    from concurrent.futures import as_completed

    by_id = {r.source_id: r for r in scan(settings.raw_dir, settings.include)}
    out: dict[str, Outcome] = {}
    todo: list[RawFile] = []
    for key in keys:
        raw = by_id.get(key)
        if raw is None:
            out[key] = remove_source(settings, key)
        elif force or needs_parse(settings, raw, version):
            todo.append(raw)
        else:
            out[key] = Outcome(key, "unchanged", published_rows(settings, key))
    for o in out.values():
        if progress:
            progress(o)
    ahead = ParseAhead.of(settings)
    if ahead:
        taken = {f: raw.source_id for raw in todo if (f := ahead.take(raw.source_id, version))}
        done = set(taken.values())
        todo = [raw for raw in todo if raw.source_id not in done]
        for fut in as_completed(taken):
            out[taken[fut]] = o = ahead.publish(fut.result())
            if progress:
                progress(o)
        if not ahead.futures:
            ahead.close()  # its workers are idle from now on: free them
    workers = min(workers if workers is not None else settings.workers, len(todo))
    if workers <= 1:
        for raw in todo:
            out[raw.source_id] = o = refresh_source(settings, raw, version, force=True)
            if progress:
                progress(o)
        return out

    todo.sort(key=_size, reverse=True)
    with process_pool(workers) as pool:
        futures = {pool.submit(_refresh_in_worker, (settings, raw, version, True)): raw for raw in todo}
        for fut in as_completed(futures):
            out[futures[fut].source_id] = o = fut.result()
            if progress:
                progress(o)
    return out


def remove_source(settings: Settings, source_id: str) -> Outcome:
    storage.delete_source(settings.parquet_dir, source_id)
    return Outcome(source_id, "removed", {})
