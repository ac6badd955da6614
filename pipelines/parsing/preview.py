"""Developer preview: parse one raw file and print what came out.

    python -m pipelines.parsing.preview ../shared/corpus/000_f9aba6af0706464f.txt [table] [n]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from pipelines.parsing.source import process_source, source_id_for


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    table = argv[1] if len(argv) > 1 else None
    limit = int(argv[2]) if len(argv) > 2 else 20
    t0 = time.perf_counter()
    res = process_source(path.read_bytes(), path.name, source_id_for(path.name), "dev")
    dt = time.perf_counter() - t0
    print(res.source, f"({res.format_evidence}) in {dt:.2f}s")
    for name, rows in res.tables.items():
        kinds = Counter(r.get("kind") or r.get("reason") for r in rows)
        print(f"{name}: {len(rows)} {dict(kinds)}")
    if res.text:
        covered = 0
        nonws = sum(1 for c in res.text if not c.isspace())
        disc = sum(len(r["text"].replace(" ", "")) for r in res.tables["discarded_text"])
        other = sum(len(r["text"].replace(" ", "")) for r in res.tables["discarded_text"] if r["reason"] == "other")
        covered = nonws - other
        print(f"non-ws chars {nonws}; discarded {disc / nonws:.2%}; unexplained (other) {other / nonws:.2%}; covered by content+deliberate discards {covered / nonws:.2%}")
    if table:
        for r in res.tables[table][:limit]:
            print({k: v for k, v in r.items() if v is not None and k != "source_id"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
