"""Per-source work outside Dagster: decide whether a raw file needs parsing, parse it, and
publish its rows to every per-source table. Used by the Dagster assets and the sensor."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import ValidationError

from pipelines import storage
from pipelines.parsing.source import PER_SOURCE, SourceResult, process_source
from pipelines.rawdir import RawFile, file_sha256
from pipelines.settings import Settings

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
    row = storage.read_source_row(settings.parquet_dir, raw.source_id)
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
    deleted meanwhile raises ``Vanished``: its rows are removed, not rejected)."""
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
    return result


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
    rows = {"sources": storage.write_table(
        settings.parquet_dir, settings.staging_dir, "sources", [result.source], raw.source_id)}
    for table in PER_SOURCE:
        rows[table] = storage.write_table(
            settings.parquet_dir, settings.staging_dir, table, result.tables[table], raw.source_id)
    status = result.source["status"]
    return Outcome(raw.source_id, status, rows, result.source.get("reject_reason"))


def remove_source(settings: Settings, source_id: str) -> Outcome:
    storage.delete_source(settings.parquet_dir, source_id)
    return Outcome(source_id, "removed", {})
