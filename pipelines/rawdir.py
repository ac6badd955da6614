"""The raw directory: which files are sources, their IDs and content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from pipelines.parsing.source import source_id_for


@dataclass(frozen=True)
class RawFile:
    source_id: str
    path: str  # relative to the raw directory, POSIX form
    abspath: Path
    reject: str | None = None  # reason not to read it at all (outside the raw dir, ...)


def scan(raw_dir: Path, include: list[str]) -> list[RawFile]:
    """Files of ``raw_dir`` (recursively) matching ``include``; hidden files and folders are
    skipped. A symlink resolving outside the raw directory is listed with a ``reject`` reason
    and never read. Two files
    whose names reduce to the same source_id get a short path-hash suffix (the first, by
    path order, keeps the plain ID)."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory not found: {raw_dir}")
    root = raw_dir.resolve()
    found: list[tuple[str, Path, str | None]] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not any(fnmatch(p.name, pat) for pat in include):
            continue
        reject = None
        try:
            real = p.resolve(strict=True)
            if not real.is_relative_to(root):
                reject = "symlink pointing outside the raw directory (not read)"
            elif not real.is_file():
                continue
        except (OSError, RuntimeError):
            reject = "dangling or looping symlink (nothing to read)"
        found.append((rel.as_posix(), p, reject))
    out, seen = [], set()
    for rel, p, reject in found:
        sid = source_id_for(rel)
        if sid in seen:
            sid = f"{sid}-{hashlib.sha256(rel.encode()).hexdigest()[:8]}"
        seen.add(sid)
        out.append(RawFile(sid, rel, p, reject))
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
