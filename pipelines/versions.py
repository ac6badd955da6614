"""Code versions of the assets, derived from the code and data files they run.

A change to a parser, a gazetteer or a schema changes the version of exactly the assets that
use it, so Dagster marks their outputs stale and the build re-parses what is affected."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _digest(*globs: str) -> str:
    h = hashlib.sha256()
    for pattern in globs:
        for p in sorted(ROOT.glob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(ROOT).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


@cache
def parser_version() -> str:
    return _digest("pipelines/parsing/**/*.py", "pipelines/extraction/text_events.py", "schemas/*.py")


@cache
def extraction_version() -> str:
    return _digest("pipelines/extraction/*.py", "pipelines/extraction/gazetteer/*.yaml", "schemas/*.py",
                   "pipelines/mentions_cache.py", "pipelines/treaty_cache.py")


@cache
def catalog_version() -> str:
    return _digest("pipelines/catalog.py", "pipelines/datapackage.py", "docs/quality/*.md", "schemas/*.py")
