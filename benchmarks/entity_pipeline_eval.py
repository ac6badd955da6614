"""Entity quality of the whole per-source step on the hand-annotated evaluation set: the
gazetteer matcher alone (``find_mentions``, as benchmarks/entities.py scores it) against
``build_entity_tables`` (gazetteer + the rules for names it lacks, ``unlisted.py``), each
excerpt taken as a one-paragraph source. Exact span and type; prints P / R / F1 and the
pipeline's false positives.

    .venv/bin/python benchmarks/entity_pipeline_eval.py
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.extraction.entities import build_entity_tables, find_mentions, load_gazetteer

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "entity_eval.jsonl"


def predicted(mode: str, i: int, text: str, gaz) -> set[tuple[int, int, str]]:
    if mode == "gazetteer":
        return {(m.char_start, m.char_end, gaz.entities[m.entity_id].type) for m in find_mentions(text, gaz)}
    paragraph = {"paragraph_id": f"x:p{i}", "doc_id": "x:d1", "source_id": "x", "kind": "text", "text": text}
    entities, mentions = build_entity_tables([paragraph], [{"doc_id": "x:d1", "parent_doc_id": None}], gaz)
    types = {e["entity_id"]: e["type"] for e in entities}
    return {(m["char_start"], m["char_end"], types[m["entity_id"]]) for m in mentions}


def main() -> None:
    gaz = load_gazetteer()
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    for split in ("held out", "all"):
        for mode in ("gazetteer", "pipeline"):
            tp = fp = fn = 0
            wrong = []
            for i, r in enumerate(rows):
                if split == "held out" and r["split"] == "dev":
                    continue
                gold = {(s["start"], s["end"], s["type"]) for s in r["spans"]}
                pred = predicted(mode, i, r["text"], gaz)
                tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
                wrong += [f"{r['text'][a:b]} ({t})" for a, b, t in sorted(pred - gold)]
            p, rec = tp / (tp + fp), tp / (tp + fn)
            print(f"{split:9} {mode:10} P {p:.3f}  R {rec:.3f}  F1 {2 * p * rec / (p + rec):.3f}  "
                  f"(tp {tp}, fp {fp}, fn {fn})" + (f"  false positives: {wrong}" if wrong and mode == "pipeline" else ""))


if __name__ == "__main__":
    main()
