"""CPU time of the per-source parse (``process_source``: decode, detect, parse, enrich,
assemble), per file and in total, best of N passes in one process (prints figures; not a test).

CPU time (``time.process_time``), not wall time, so that the figures hold on a shared machine
(a busy one still inflates them somewhat: the load average is printed with them).

    python benchmarks/parse_cpu.py [DIR ...] [--runs 3]

Without a directory: the raw files of the settings (``RAW_DIR``, by default the real corpus).
The ``raw`` folder of a corpus made by ``build_scale.py --keep`` works too.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.parsing.source import process_source, source_id_for  # noqa: E402
from pipelines.parsing.text import zipf  # noqa: E402
from pipelines.settings import load_settings  # noqa: E402


def main() -> None:
    settings = load_settings()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", type=Path, default=[settings.raw_dir])
    ap.add_argument("--runs", type=int, default=3, help="passes over the files; each file's best counts")
    args = ap.parse_args()
    files = sorted(
        p for d in args.dirs for p in d.iterdir()
        if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in settings.include)
    )
    data = {p: p.read_bytes() for p in files}
    zipf("warm")  # the word-frequency list loads once per process (in a build: per worker)
    best: dict[Path, float] = {}
    formats: dict[Path, str | None] = {}
    for _ in range(args.runs):
        for p, raw in data.items():
            t = time.process_time()
            result = process_source(raw, p.name, source_id_for(p.name), "bench", settings.max_line_chars)
            cpu = time.process_time() - t
            best[p] = min(best.get(p, cpu), cpu)
            formats[p] = result.source["format"]
    if len(files) <= 20:
        for p, raw in data.items():
            print(f"{p.name:40s} {formats[p]!s:16s} {len(raw) / 1e6:6.2f} MB {best[p]:7.3f} CPU-s")
    total = sum(best.values())
    size = sum(map(len, data.values())) / 1e6
    print(f"{len(files)} files, {size:.1f} MB: {total:.2f} CPU-s ({total / max(len(files), 1):.3f} per file; "
          f"best of {args.runs} per file), load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
