"""Settings of a build, from the environment (with sensible defaults).

RAW_DIR        raw directory (default: ../shared/corpus next to the project)
OUTPUT_DIR     where Parquet datasets and corpus.duckdb go (default: outputs/)
RAW_INCLUDE    comma-separated glob patterns of raw files (default: *.txt)
MAX_FILE_MB    files larger than this are rejected, not read (default: 64)
MAX_LINE_CHARS files with a longer line are rejected (default: 1000000)
BUILD_WORKERS  processes parsing sources in parallel (default: the number of CPUs; 1 = in process)
BUILD_LOCK_WAIT seconds a build waits for another build of the same outputs (default: 600)
PUBLISH_URI    after a successful build, mirror the outputs there (s3://..., gs://..., a path;
               default: none) — see pipelines/mirror.py
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseModel):
    raw_dir: Path = Field(description="Directory of raw source files")
    output_dir: Path = Field(description="Directory of build products")
    include: list[str] = Field(default=["*.txt"], description="Glob patterns of raw files to read")
    max_file_bytes: int = Field(default=64 * 1024 * 1024, description="Larger files are rejected")
    max_line_chars: int = Field(default=1_000_000, description="Files with a longer line are rejected")
    workers: int = Field(default=1, description="Processes parsing sources in parallel")
    lock_wait_seconds: float = Field(default=600, description="How long a build waits for another one")
    publish_uri: str | None = Field(default=None, description="Object storage the outputs are mirrored to")

    @property
    def parquet_dir(self) -> Path:
        return self.output_dir / "parquet"

    @property
    def catalog_path(self) -> Path:
        return self.output_dir / "corpus.duckdb"

    @property
    def staging_root(self) -> Path:
        return self.output_dir / ".staging"

    @property
    def staging_dir(self) -> Path:
        """This process's staging folder (``.staging/p<pid>``): files are written here, then
        ``os.replace``d into place; a folder whose process is gone holds only leftovers of a
        killed writer, removed by ``storage.clean_staging``."""
        return self.staging_root / f"p{os.getpid()}"


def load_settings() -> Settings:
    env = os.environ
    raw = env.get("RAW_DIR") or str(PROJECT_ROOT.parent / "shared" / "corpus")
    out = env.get("OUTPUT_DIR") or str(PROJECT_ROOT / "outputs")
    include = [p.strip() for p in env.get("RAW_INCLUDE", "*.txt").split(",") if p.strip()]
    max_mb = float(env.get("MAX_FILE_MB", "64"))
    max_line = int(env.get("MAX_LINE_CHARS", "1000000"))
    workers = int(env.get("BUILD_WORKERS") or os.cpu_count() or 1)
    lock_wait = float(env.get("BUILD_LOCK_WAIT", "600"))
    return Settings(
        raw_dir=Path(raw).expanduser().resolve(),
        output_dir=Path(out).expanduser().resolve(),
        include=include,
        max_file_bytes=int(max_mb * 1024 * 1024),
        max_line_chars=max_line,
        workers=max(1, workers),
        lock_wait_seconds=lock_wait,
        publish_uri=env.get("PUBLISH_URI") or None,
    )
