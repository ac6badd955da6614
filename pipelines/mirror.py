"""Publish the build products to object storage (S3, GCS, Azure, HDFS, any fsspec filesystem).

The build itself writes to a local output directory, where POSIX gives what safety needs
(``os.replace`` for atomic files, ``flock`` for one writer). ``mirror`` then copies the
products to a target URI through a pyarrow filesystem — ``pyarrow.fs.FileSystem.from_uri``
for ``s3://``, ``gs://``, ``abfs://``, ``hdfs://``, ``file://`` and plain paths; an fsspec
filesystem (``memory://``, or any fsspec protocol pyarrow lacks) through ``FSSpecHandler``:

- only files whose content changed since the last mirror are uploaded (the previous manifest
  holds every file's sha256), files that are gone from the build are deleted afterwards;
- every object is written whole in one PUT, so a reader never sees half a Parquet file;
- ``_manifest.json`` (files, sizes, sha256, build time) is written **last**: a reader that
  goes by the manifest sees either the previous set or the new one.

What is published: ``parquet/`` (every table), ``corpus.duckdb``, ``datapackage.json`` and
the dataset card ``README.md``; never the build's private state (``.cache``, ``.staging``,
locks). Readers query the Parquet directly, e.g. DuckDB with ``httpfs``:
``SELECT * FROM read_parquet('s3://bucket/sfp/parquet/paragraphs/*/*.parquet')``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.fs as pafs

MANIFEST = "_manifest.json"
PUBLISHED = ("parquet", "corpus.duckdb", "datapackage.json", "README.md")


class MirrorError(RuntimeError):
    """The target cannot be reached or written; the message says which and why."""


@dataclass
class MirrorReport:
    target: str
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    bytes_uploaded: int = 0


def filesystem_for(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and the root path inside it for ``uri``."""
    if "://" not in uri:
        return pafs.LocalFileSystem(), str(Path(uri).resolve())
    try:
        fs, root = pafs.FileSystem.from_uri(uri)
        return fs, root.rstrip("/")
    except (ValueError, OSError):  # pyarrow.ArrowInvalid is a ValueError: a scheme pyarrow lacks
        pass
    protocol, _, rest = uri.partition("://")
    if not rest:
        raise MirrorError(f"{uri!r} is neither a local path nor a URI with a scheme")
    try:
        import fsspec

        ffs = fsspec.filesystem(protocol)
    except (ImportError, ValueError) as e:
        raise MirrorError(f"no filesystem for {uri!r}: {e}") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(ffs)), "/" + rest.strip("/")


def local_files(output_dir: Path) -> dict[str, Path]:
    """Relative POSIX path -> local file, for everything that is published."""
    out: dict[str, Path] = {}
    for name in PUBLISHED:
        p = output_dir / name
        if p.is_file():
            out[name] = p
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(output_dir).parts):
                    out[f.relative_to(output_dir).as_posix()] = f
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(fs: pafs.FileSystem, root: str) -> dict:
    path = f"{root}/{MANIFEST}"
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return {"files": {}}
    with fs.open_input_stream(path) as f:
        try:
            return json.loads(f.read().decode())
        except ValueError:
            return {"files": {}}  # a damaged manifest: upload everything again


def _put(fs: pafs.FileSystem, target: str, local: Path) -> None:
    parent = target.rsplit("/", 1)[0]
    if parent:
        fs.create_dir(parent, recursive=True)
    with local.open("rb") as src, fs.open_output_stream(target) as dst:
        for chunk in iter(lambda: src.read(8 << 20), b""):
            dst.write(chunk)


def mirror(output_dir: Path, uri: str, filesystem: pafs.FileSystem | None = None,
           root: str | None = None) -> MirrorReport:
    """Copy the published files of ``output_dir`` to ``uri`` (or ``filesystem``/``root``)."""
    if filesystem is None:
        filesystem, root = filesystem_for(uri)
    root = (root or "").rstrip("/")
    files = local_files(output_dir)
    if "corpus.duckdb" not in files:
        raise MirrorError(f"{output_dir} holds no finished build (no corpus.duckdb): run `make build` first")
    report = MirrorReport(target=uri)
    try:
        previous = read_manifest(filesystem, root).get("files", {})
        manifest: dict[str, dict] = {}
        for rel, path in files.items():
            digest = _sha256(path)
            size = path.stat().st_size
            manifest[rel] = {"sha256": digest, "bytes": size}
            if previous.get(rel, {}).get("sha256") == digest:
                report.unchanged += 1
                continue
            _put(filesystem, f"{root}/{rel}", path)
            report.uploaded.append(rel)
            report.bytes_uploaded += size
        body = {"built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": manifest}
        with filesystem.open_output_stream(f"{root}/{MANIFEST}") as f:
            f.write(json.dumps(body, indent=1, sort_keys=True).encode())
        for rel in sorted(set(previous) - set(manifest)):
            try:
                filesystem.delete_file(f"{root}/{rel}")
            except FileNotFoundError:
                pass
            report.deleted.append(rel)
    except OSError as e:
        raise MirrorError(f"cannot write to {uri}: {e}") from None
    return report
