"""Build speed at 1x, 10x and 100x the real corpus (run by `make bench`; prints figures).

Synthetic corpora are made by varying the real files (never byte copies): each copy gets a
new name, its blank-line separated blocks shuffled within windows, years shifted and a few
names swapped. For each scale: full build wall time and peak RSS; then at the largest scale a
rebuild with nothing changed, a rebuild after changing one file, and five analyst queries on
the catalog.

    python benchmarks/build_scale.py [--scales 1,10,100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

SWAPS = [("Chicherin", "Litvinov"), ("Germany", "Italy"), ("Poland", "Romania"), ("Britain", "France")]

QUERIES = {
    "paragraphs mentioning a word": "SELECT count(*) FROM paragraphs WHERE text ILIKE '%disarmament%'",
    "top entities": "SELECT name, n_mentions FROM entities ORDER BY n_mentions DESC LIMIT 20",
    "mentions of one person with context": (
        "SELECT m.surface, p.text FROM entity_mentions m JOIN paragraphs p USING (paragraph_id) "
        "WHERE m.entity_id = 'person:georgy-chicherin' LIMIT 100"
    ),
    "treaties with events": (
        "SELECT t.name, count(e.event) FROM treaties t LEFT JOIN treaty_events e USING (treaty_id) GROUP BY t.name"
    ),
    "events per year": "SELECT year(date_start) y, count(*) FROM events GROUP BY y ORDER BY y",
}


def vary(text: str, rng: random.Random, shift: int) -> str:
    blocks = re.split(r"(\n\s*\n)", text)
    body, seps = blocks[0::2], blocks[1::2]
    for i in range(0, len(body), 12):  # shuffle within windows: documents stay roughly in place
        window = body[i : i + 12]
        rng.shuffle(window)
        body[i : i + 12] = window
    out = "".join(b + (seps[i] if i < len(seps) else "") for i, b in enumerate(body))
    out = re.sub(r"\b(19[0-4]\d)\b", lambda m: str(int(m.group(1)) + shift) if rng.random() < 0.3 else m.group(1), out)
    a, b = SWAPS[rng.randrange(len(SWAPS))]
    return out.replace(a, b)


def make_corpus(dest: Path, scale: int) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    files = sorted(CORPUS.glob("*.txt"))
    rng = random.Random(scale)
    total = 0
    for k in range(scale):
        for f in files:
            text = f.read_text(encoding="utf-8")
            if k:
                text = vary(text, rng, shift=rng.choice([-1, 1]))
            out = dest / f"{f.stem}_v{k:03d}.txt"
            out.write_text(text, encoding="utf-8")
            total += out.stat().st_size
    return total


def build(raw: Path, out: Path, home: Path) -> tuple[float, float, str]:
    """One `sfp build` in a fresh process: wall seconds, peak RSS of the largest process (the
    build or one of its parse workers; ru_maxrss of waited-for children), stdout."""
    env = {**os.environ, "RAW_DIR": str(raw), "OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "build"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    proc = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stdout}\n{proc.stderr}")
    return secs, rss, proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--keep", help="keep the synthetic corpora and outputs in this directory")
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sfp-bench-"))
    print(f"machine: {os.cpu_count()} CPUs; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'scale':>6} {'files':>6} {'MB':>8} {'build s':>8} {'peak RSS MB':>12} {'load':>6}")
    results = {}
    try:
        for scale in scales:
            raw, out, home = base / f"raw{scale}", base / f"out{scale}", base / f"home{scale}"
            size = make_corpus(raw, scale)
            secs, rss, _ = build(raw, out, home)
            results[scale] = secs
            print(f"{scale:>6} {len(list(raw.glob('*.txt'))):>6} {size / 1e6:>8.1f} {secs:>8.1f} {rss:>12.0f} "
                  f"{os.getloadavg()[0]:>6.2f}", flush=True)
        top = max(scales)
        raw, out, home = base / f"raw{top}", base / f"out{top}", base / f"home{top}"
        secs, _, stdout = build(raw, out, home)
        print(f"rebuild, nothing changed ({top}x): {secs:.1f}s  [{stdout.splitlines()[1][:60]}]", flush=True)
        victim = sorted(raw.glob("*.txt"))[len(list(raw.glob('*.txt'))) // 2]
        victim.write_text(victim.read_text(encoding="utf-8") + "\nA closing remark added for the benchmark.\n", encoding="utf-8")
        secs, _, _ = build(raw, out, home)
        print(f"rebuild, one file of {len(list(raw.glob('*.txt')))} changed ({top}x): {secs:.1f}s "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)
        if 10 in results and 100 in results:
            print(f"linearity: 100x / 10x = {results[100] / results[10]:.1f} (target <= 11)")
        import duckdb

        con = duckdb.connect(str(out / "corpus.duckdb"), read_only=True)
        for name, sql in QUERIES.items():
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            print(f"query ({top}x) {name}: {time.perf_counter() - t0:.3f}s")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
