"""Entity mentions: quality on the hand-annotated evaluation set, and speed on the whole corpus.

    .venv/bin/python -m benchmarks.entities [--split dev|test|test2|heldout|all] [--errors] [--no-spacy]

Quality: precision / recall / F1 of mention spans (exact char span + type) per type and overall,
for the gazetteer matcher and for the spaCy en_core_web_sm baseline with its labels mapped to ours;
also a lenient figure for both (span overlap + type, state and place one type). Linking accuracy:
share of correctly spanned gazetteer mentions that carry the gold entity_id. Speed: find_mentions
over every paragraph of the corpus (../shared/corpus), parsed with pipelines.parsing.source.

spaCy is NOT a project dependency: its raw entities are saved in benchmarks/data/spacy_en_core_web_sm.json
by benchmarks/spacy_baseline.py, run in a separate hash-pinned venv. To reproduce everything from scratch:

    python3 -m venv .venv-spacy && .venv-spacy/bin/pip install --require-hashes -r benchmarks/requirements-spacy.txt && .venv-spacy/bin/python benchmarks/spacy_baseline.py && .venv/bin/python -m benchmarks.entities
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from pipelines.extraction.entities import TYPES, build_entity_tables, find_mentions, load_gazetteer

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "entity_eval.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus"
SPACY_JSON = ROOT / "benchmarks" / "data" / "spacy_en_core_web_sm.json"
SPACY_MAP = {"PERSON": ("person",), "GPE": ("state", "place"), "LOC": ("place",), "NORP": (),
             "ORG": ("organisation",), "EVENT": ("event",), "LAW": ("treaty",), "WORK_OF_ART": ("publication",)}


def load_eval(split: str = "all") -> list[dict]:
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split == "heldout":  # never tuned on
        return [r for r in rows if r["split"] in ("test", "test2")]
    return [r for r in rows if split == "all" or r["split"] == split]


def score(rows: list[dict], predict) -> dict:
    """predict(text) → list of (start, end, type, entity_id or None). Returns per-type tp/fp/fn,
    linking counts and the error list."""
    tp, fp, fn = Counter(), Counter(), Counter()
    linked = Counter()
    errors = []
    for r in rows:
        gold = {(s["start"], s["end"]): s for s in r["spans"]}
        pred = {}
        for start, end, typ, eid in predict(r["text"]):
            pred[(start, end)] = (typ, eid)
        for key, (typ, eid) in pred.items():
            g = gold.get(key)
            if g and _type_ok(g["type"], typ):
                tp[g["type"]] += 1
                if eid is not None:
                    linked["n"] += 1
                    linked["ok"] += eid == g["entity_id"]
                    if eid != g["entity_id"]:
                        errors.append((r["id"], "LINK", r["text"][key[0]:key[1]], eid, g["entity_id"]))
            else:
                t = typ if isinstance(typ, str) else typ[0]
                fp[t] += 1
                errors.append((r["id"], "FP", r["text"][key[0]:key[1]], typ, g["type"] if g else None))
        for key, g in gold.items():
            p = pred.get(key)
            if not (p and _type_ok(g["type"], p[0])):
                fn[g["type"]] += 1
                errors.append((r["id"], "FN", g["surface"], g["type"], p[0] if p else None))
    return {"tp": tp, "fp": fp, "fn": fn, "linked": linked, "errors": errors}


def _type_ok(gold_type: str, pred_type) -> bool:
    return gold_type in pred_type if isinstance(pred_type, tuple) else gold_type == pred_type


MERGED = {"state": "state|place", "place": "state|place"}
LENIENT_TYPES = tuple(dict.fromkeys(MERGED.get(t, t) for t in TYPES))


def score_lenient(rows: list[dict], predict) -> dict:
    """Lenient: a prediction matches a gold mention if the spans overlap and the types agree, with state and
    place counted as one type (spaCy's GPE/LOC split is not ours). One-to-one, greedy in text order."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for r in rows:
        golds = [(s["start"], s["end"], MERGED.get(s["type"], s["type"])) for s in r["spans"]]
        used = set()
        for start, end, typ, _ in sorted(predict(r["text"]), key=lambda p: (p[0], p[1])):
            classes = {MERGED.get(t, t) for t in (typ if isinstance(typ, tuple) else (typ,))}
            hit = next((i for i, (gs, ge, gc) in enumerate(golds)
                        if i not in used and gs < end and start < ge and gc in classes), None)
            if hit is None:
                fp[min(classes)] += 1
            else:
                used.add(hit)
                tp[golds[hit][2]] += 1
        for i, (_, _, gc) in enumerate(golds):
            if i not in used:
                fn[gc] += 1
    return {"tp": tp, "fp": fp, "fn": fn, "linked": Counter(), "errors": []}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def report(name: str, res: dict, types=TYPES) -> float:
    print(f"\n{name}")
    print(f"  {'type':<13}{'gold':>5}{'tp':>5}{'fp':>5}{'fn':>5}{'P':>7}{'R':>7}{'F1':>7}")
    for t in types:
        tp, fp, fn = res["tp"][t], res["fp"][t], res["fn"][t]
        if tp + fp + fn:
            p, r, f = prf(tp, fp, fn)
            print(f"  {t:<13}{tp + fn:>5}{tp:>5}{fp:>5}{fn:>5}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    tp, fp, fn = (sum(res[k].values()) for k in ("tp", "fp", "fn"))
    p, r, f = prf(tp, fp, fn)
    print(f"  {'overall':<13}{tp + fn:>5}{tp:>5}{fp:>5}{fn:>5}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    if res["linked"]["n"]:
        print(f"  linking accuracy on correct spans: {res['linked']['ok']}/{res['linked']['n']}")
    return f


def gazetteer_predictor(gaz):
    def predict(text):
        return [(m.char_start, m.char_end, gaz.entities[m.entity_id].type, m.entity_id)
                for m in find_mentions(text, gaz)]
    return predict


def spacy_predictor(path: Path = SPACY_JSON):
    """Predictions of spaCy en_core_web_sm saved by benchmarks/spacy_baseline.py, labels mapped to our types
    (SPACY_MAP; GPE may be a state or a place; unmapped labels dropped). In the strict per-type table a wrong
    GPE is counted as a state false positive."""
    if not path.exists():
        print(f"\nspaCy skipped: {path.relative_to(ROOT)} missing (see benchmarks/spacy_baseline.py)")
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    by_sha = {x["text_sha1"]: x["ents"] for x in data["excerpts"]}
    print(f"\nspaCy: {data['model']['package']} {data['model']['version']} (spaCy {data['model']['spacy']}), "
          f"predictions from {path.relative_to(ROOT)}")

    def predict(text):
        ents = by_sha.get(hashlib.sha1(text.encode("utf-8")).hexdigest())
        if ents is None:
            raise SystemExit(f"{path.relative_to(ROOT)} is stale (an excerpt changed): rerun benchmarks/spacy_baseline.py")
        out = []
        for s, e, label, _ in ents:
            types = SPACY_MAP.get(label)
            if not types:
                continue
            # spaCy keeps articles and possessives in its spans: strip them (ENTITY-RULES.md)
            span = text[s:e]
            for art in ("the ", "The "):
                if span.startswith(art):
                    s += len(art)
                    span = text[s:e]
            for pos in ("'s", "’s"):
                if span.endswith(pos):
                    e -= len(pos)
            out.append((s, e, types, None))
        return out
    return predict


def corpus_paragraphs() -> tuple[list[dict], list[dict]]:
    from pipelines.parsing.source import process_source, source_id_for  # noqa: PLC0415
    paragraphs, documents = [], []
    for path in sorted(CORPUS.glob("*.txt")):
        res = process_source(path.read_bytes(), path.name, source_id_for(path.name), "bench")
        paragraphs += res.tables["paragraphs"]
        documents += res.tables["documents"]
    return paragraphs, documents


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=["dev", "test", "test2", "heldout", "all"])
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--no-spacy", action="store_true")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gaz = load_gazetteer()
    print(f"gazetteer: {len(gaz.entities)} entities, {sum(len(v) for v in gaz.forms.values())} alias forms, "
          f"loaded and compiled in {time.perf_counter() - t0:.2f}s")
    splits = ["dev", "test", "test2"] if args.split == "all" else [args.split]
    spacy_pred = None if args.no_spacy else spacy_predictor()
    for split in splits + (["heldout", "all"] if args.split == "all" else []):
        rows = load_eval(split)
        n_gold = sum(len(r["spans"]) for r in rows)
        res = score(rows, gazetteer_predictor(gaz))
        f_gaz = report(f"[{split}] gazetteer matcher — {len(rows)} excerpts, {n_gold} gold mentions", res)
        if args.errors:
            for e in res["errors"]:
                print("   ", e)
        if spacy_pred:
            res_sp = score(rows, spacy_pred)
            f_sp = report(f"[{split}] spaCy en_core_web_sm (labels mapped)", res_sp)
            if args.errors:
                for e in res_sp["errors"]:
                    print("   ", e)
            print(f"  gazetteer F1 - spaCy F1 = {f_gaz - f_sp:+.3f}")
            fl_gaz = report(f"[{split}] lenient (overlap + type, state=place) gazetteer matcher",
                            score_lenient(rows, gazetteer_predictor(gaz)), LENIENT_TYPES)
            fl_sp = report(f"[{split}] lenient (overlap + type, state=place) spaCy en_core_web_sm",
                           score_lenient(rows, spacy_pred), LENIENT_TYPES)
            print(f"  lenient: gazetteer F1 - spaCy F1 = {fl_gaz - fl_sp:+.3f}")

    if CORPUS.exists():
        paragraphs, documents = corpus_paragraphs()
        t0 = time.perf_counter()
        n = sum(len(find_mentions(p["text"] or "", gaz)) for p in paragraphs)
        dt = time.perf_counter() - t0
        print(f"\nspeed: find_mentions over {len(paragraphs)} paragraphs "
              f"({sum(len(p['text'] or '') for p in paragraphs) / 1e6:.2f} M chars): {n} mentions in {dt:.3f}s")
        t0 = time.perf_counter()
        ents, ments = build_entity_tables(paragraphs, documents, gaz)
        dt = time.perf_counter() - t0
        print(f"build_entity_tables: {len(ents)} entities, {len(ments)} mentions in {dt:.3f}s")
        by_type = Counter(e["type"] for e in ents)
        print("entities by type:", dict(sorted(by_type.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
