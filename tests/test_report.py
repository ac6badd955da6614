"""The visual report: pure figure-data functions on small hand-made tables, then one real build
(in a temporary directory) whose page data is compared with the tables read by polars and DuckDB."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import quality, report, storage
from schemas import TABLES

ROOT = Path(__file__).resolve().parents[1]
D = dt.date


def page_json(page: str, element_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert m, f"no #{element_id} block in the page"
    return json.loads(m.group(1))


# --- small hand-made tables -------------------------------------------------------------------

ENTITIES = pl.DataFrame({
    "entity_id": ["person:ann", "person:bob", "state:arcadia", "state:borduria", "place:capital", "person:cyd"],
    "type": ["person", "person", "state", "state", "place", "person"],
    "name": ["Ann", "Bob", "Arcadia", "Borduria", "Capital", "Cyd"],
    "n_mentions": [5, 3, 7, 2, 9, 3],
    "n_documents": [2, 1, 3, 1, 4, 2],
})


def mentions(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame({"paragraph_id": [p for p, _ in rows], "entity_id": [e for _, e in rows]})


def test_cooccurrence_counts_paragraphs_not_mentions_and_ignores_other_types():
    m = mentions([
        ("p1", "person:ann"), ("p1", "person:ann"), ("p1", "state:arcadia"),   # Ann twice: one paragraph
        ("p2", "person:ann"), ("p2", "state:arcadia"), ("p2", "place:capital"),
        ("p3", "person:bob"), ("p3", "state:borduria"), ("p3", "state:arcadia"),
        ("p4", "place:capital"), ("p4", "person:bob"),                          # a place: no edge
    ])
    edges = report.cooccurrence_edges(m, ENTITIES)
    got = {(a, b): w for a, b, w in edges.iter_rows()}
    assert got == {
        ("person:ann", "state:arcadia"): 2,
        ("person:bob", "state:arcadia"): 1,
        ("person:bob", "state:borduria"): 1,
        ("state:arcadia", "state:borduria"): 1,
    }


def test_cooccurrence_keeps_top_per_type_and_only_their_edges():
    m = mentions([
        ("p1", "person:ann"), ("p1", "state:arcadia"),
        ("p2", "person:ann"), ("p2", "state:arcadia"), ("p2", "state:borduria"),
        ("p3", "person:bob"), ("p3", "state:borduria"),
        ("p4", "person:cyd"), ("p4", "state:borduria"),
    ])
    net = report.cooccurrence(m, ENTITIES, per_type=1)
    # Ann: 2 + 1 = 3 co-mentions beats Bob and Cyd (1 each); Arcadia 3 vs Borduria 4
    assert [n["id"] for n in net["nodes"]] == ["state:borduria", "person:ann"]
    assert net["edges"] == [{"source": "person:ann", "target": "state:borduria", "weight": 1}]
    assert net["n_edges_all"] == 5


def test_spring_layout_is_deterministic_fills_the_frame_and_keeps_cliques_together():
    a = ["a1", "a2", "a3", "a4"]
    b = ["b1", "b2", "b3", "b4"]
    nodes = [x for pair in zip(a, b) for x in pair]  # interleaved on the starting circle
    edges = [(x, y, 5) for grp in (a, b) for i, x in enumerate(grp) for y in grp[i + 1:]] + [("a1", "b1", 1)]
    pos = report.spring_layout(nodes, edges)
    assert pos == report.spring_layout(nodes, edges)
    assert all(-1 <= x <= 1 and -1 <= y <= 1 for x, y in pos.values())
    assert max(abs(x) for x, _ in pos.values()) == 1 and max(abs(y) for _, y in pos.values()) == 1

    def dist(u, v):
        return ((pos[u][0] - pos[v][0]) ** 2 + (pos[u][1] - pos[v][1]) ** 2) ** 0.5

    within = max(dist(u, v) for grp in (a, b) for u in grp for v in grp)
    across = min(dist(u, v) for u in a for v in b)
    assert within < across


def test_timeline_counts_every_year_between_first_and_last():
    treaties = pl.DataFrame({"name": ["T1", "T2", "T3"], "date_signed": [D(1920, 2, 2), D(1922, 4, 16), None]})
    events = pl.DataFrame({
        "date_start": [D(1920, 1, 1), D(1920, 5, 1), D(1923, 1, 1), D(1922, 7, 7)],
        "kind": ["chronology", "text", "text", "text"],
    })
    tl = report.timeline(treaties, events)
    assert tl["years"] == [1920, 1921, 1922, 1923]
    assert tl["treaties"] == [1, 0, 1, 0]
    assert tl["treaty_names"] == [["T1"], [], ["T2"], []]
    assert tl["events"] == {"chronology": [1, 0, 0, 0], "text": [1, 0, 1, 1]}
    assert tl["undated_treaties"] == 1 and tl["undated_events"] == 0


def test_source_quality_discarded_chars_and_linked_notes():
    sources = pl.DataFrame({"source_id": ["s2", "s1", "bad"], "format": ["plain", "ocr_book", None],
                            "title": [None, "A book", None], "status": ["ok", "ok", "rejected"]})
    citations = pl.DataFrame({
        "source_id": ["s1", "s1", "s1", "s1", "s2"],
        "kind": ["footnote", "footnote", "endnote", "source_note", "footnote"],
        "paragraph_id": ["p1", None, "p2", None, "p9"],
    })
    discarded = pl.DataFrame({
        "source_id": ["s1", "s1", "s1"], "reason": ["page_number", "page_number", "ocr_noise"],
        "text": ["12", " 13\n", "j L  j"],
    })
    q = report.source_quality(sources, citations, discarded, {"s1": 1.0, "s2": 0.5}, {"s1": 100, "s2": None})
    assert [s["source_id"] for s in q] == ["s1", "s2"]
    s1 = q[0]
    assert s1["discarded"] == {"ocr_noise": {"rows": 1, "chars": 3, "share": 0.03},
                               "page_number": {"rows": 2, "chars": 4, "share": 0.04}}
    assert s1["notes"] == {"endnote": {"linked": 1, "total": 1}, "footnote": {"linked": 1, "total": 2},
                           "source_note": {"linked": 0, "total": 1}}
    assert q[1]["coverage"] == 0.5 and q[1]["discarded"] == {}


def test_biggest_entities_orders_by_mentions_then_documents_then_id():
    top = report.biggest_entities(ENTITIES, top=2)
    assert [e["name"] for e in top["person"]] == ["Ann", "Cyd"]  # Bob and Cyd tie on mentions; Cyd in more docs
    assert [e["name"] for e in top["state"]] == ["Arcadia", "Borduria"]
    assert set(top) == {"person", "state", "place"}


def test_treaty_rows_undated_last_and_events_in_date_order():
    treaties = pl.DataFrame({
        "treaty_id": ["treaty:b", "treaty:a", "treaty:c"], "name": ["B", "A", "C"], "treaty_type": ["peace"] * 3,
        "parties": [["X", "Y"], None, []], "date_signed": [D(1921, 1, 1), None, D(1920, 1, 1)],
        "place_signed": ["Riga", None, None], "n_mentions": [3, 1, 0],
    })
    events = pl.DataFrame({
        "treaty_id": ["treaty:b", "treaty:b"], "event": ["denounced", "signed"],
        "date": [D(1925, 1, 1), D(1921, 1, 1)], "paragraph_id": ["p2", "p1"],
    })
    rows = report.treaty_rows(treaties, events)
    assert [r["name"] for r in rows] == ["C", "B", "A"]
    assert [e["event"] for e in rows[1]["events"]] == ["signed", "denounced"]
    assert rows[2]["parties"] == [] and rows[2]["date_signed"] is None


def test_render_is_self_contained_deterministic_and_escapes_script_ends():
    data = {
        "contract_version": "x", "counts": {"sources": 1},
        "sources": [{"source_id": "s1", "format": "plain", "title": "</script><b>", "status": "ok",
                     "reject_reason": None}],
        "timeline": report.timeline(pl.DataFrame({"name": ["T"], "date_signed": [D(1920, 1, 1)]}),
                                    pl.DataFrame({"date_start": [D(1921, 1, 1)], "kind": ["text"]})),
        "network": report.cooccurrence(mentions([("p1", "person:ann"), ("p1", "state:arcadia")]), ENTITIES),
        "quality": [{"source_id": "s1", "format": "plain", "title": None, "coverage": 1.0, "raw_non_ws_chars": 10,
                     "discarded": {}, "notes": {}}],
        "entities": report.biggest_entities(ENTITIES),
        "treaties": [],
    }
    page = report.render_html(data, plotly_js="/* plotly stub */")
    assert page == report.render_html(data, plotly_js="/* plotly stub */")
    assert page_json(page, "report-data") == data
    assert set(page_json(page, "report-figures")) == {"timeline", "network", "quality", "entities"}
    assert "&lt;/script&gt;&lt;b&gt;" in page  # the title in the sources table, escaped
    assert "<script src" not in page and "<link" not in page


# --- the real corpus --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(corpus_build, corpus_dir):
    out, home, _ = corpus_build
    env = {**os.environ, "RAW_DIR": str(corpus_dir), "OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "pipelines.report", "--output-dir", str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    tables = {t: storage.read_table(out / "parquet", t) for t in TABLES}
    return out, page, page_json(page, "report-data"), tables


def test_page_is_self_contained_with_plotly_inline(built):
    _, page, _, _ = built
    assert "<script src" not in page and "<link" not in page and "<iframe" not in page
    assert re.search(r"plotly\.js v\d+\.\d+", page[:5000]), "plotly.js should be inlined in the head"
    figs = page_json(page, "report-figures")
    assert set(figs) == {"timeline", "network", "quality", "entities"}
    for name in figs:
        assert f"id='fig-{name}'" in page


def test_counts_and_timeline_match_the_tables(built):
    _, _, data, t = built
    assert data["counts"] == {name: df.height for name, df in t.items()}
    tl = data["timeline"]
    tr = t["treaties"].filter(pl.col("date_signed").is_not_null())
    per_year = dict(tr.group_by(pl.col("date_signed").dt.year()).len().iter_rows())
    assert {y: n for y, n in zip(tl["years"], tl["treaties"]) if n} == per_year
    assert tl["undated_treaties"] == t["treaties"].height - tr.height
    ev = t["events"]
    for kind in ev["kind"].unique().to_list():
        sub = ev.filter((pl.col("kind") == kind) & pl.col("date_start").is_not_null())
        expected = dict(sub.group_by(pl.col("date_start").dt.year()).len().iter_rows())
        assert {y: n for y, n in zip(tl["years"], tl["events"][kind]) if n} == expected
    assert sum(sum(v) for v in tl["events"].values()) + tl["undated_events"] == ev.height


def test_network_edges_and_nodes_match_sql_over_the_mentions(built):
    out, _, data, t = built
    net = data["network"]
    by_type = {ty: [n for n in net["nodes"] if n["type"] == ty] for ty in ("person", "state")}
    assert len(by_type["person"]) == 15 and len(by_type["state"]) == 15
    con = duckdb.connect()
    pq = (out / "parquet").as_posix()
    con.execute(f"""
        CREATE TABLE m AS SELECT DISTINCT paragraph_id, entity_id
        FROM read_parquet('{pq}/entity_mentions/**/*.parquet')
        WHERE split_part(entity_id, ':', 1) IN ('person', 'state');
        CREATE TABLE w AS SELECT a.entity_id AS s, b.entity_id AS t, count(*) AS n
        FROM m a JOIN m b ON a.paragraph_id = b.paragraph_id AND a.entity_id < b.entity_id GROUP BY ALL;
        CREATE TABLE deg AS SELECT id, sum(n) AS d FROM
            (SELECT s AS id, n FROM w UNION ALL SELECT t AS id, n FROM w) GROUP BY id;
    """)
    weights = {(s, tt): n for s, tt, n in con.execute("SELECT s, t, n FROM w").fetchall()}
    assert net["n_edges_all"] == len(weights)
    keep = {n["id"] for n in net["nodes"]}
    expected = {k: v for k, v in weights.items() if k[0] in keep and k[1] in keep}
    assert {(e["source"], e["target"]): e["weight"] for e in net["edges"]} == expected
    degree = dict(con.execute("SELECT id, d FROM deg").fetchall())
    for ty, nodes in by_type.items():
        assert all(n["degree"] == degree[n["id"]] for n in nodes)
        weakest = min(n["degree"] for n in nodes)
        stronger_left_out = [i for i, d in degree.items() if i.startswith(ty + ":") and i not in keep and d > weakest]
        assert not stronger_left_out
    assert all(-1 <= n["x"] <= 1 and -1 <= n["y"] <= 1 for n in net["nodes"])
    names = dict(t["entities"].select("entity_id", "name").iter_rows())
    assert all(n["name"] == names[n["id"]] for n in net["nodes"])


def test_quality_figures_match_the_tables_and_the_coverage_check(built, corpus_dir):
    out, _, data, t = built
    q = {s["source_id"]: s for s in data["quality"]}
    ok = t["sources"].filter(pl.col("status") == "ok")["source_id"].to_list()
    assert sorted(q) == sorted(ok)
    meta = quality.check_coverage(out / "parquet", corpus_dir, ["*.txt"]).metadata
    for sid, s in q.items():
        assert s["coverage"] == meta[f"coverage/{sid}"] == 1.0
        d = t["discarded_text"].filter(pl.col("source_id") == sid)
        assert {r: v["rows"] for r, v in s["discarded"].items()} == dict(d.group_by("reason").len().iter_rows())
        chars = sum(len("".join(x.split())) for x in d["text"].to_list())
        assert sum(v["chars"] for v in s["discarded"].values()) == chars
        assert 0 < s["raw_non_ws_chars"] and chars / s["raw_non_ws_chars"] <= 0.05
        c = t["citations"].filter(pl.col("source_id") == sid)
        for kind, n in s["notes"].items():
            ck = c.filter(pl.col("kind") == kind)
            assert n == {"linked": ck["paragraph_id"].is_not_null().sum(), "total": ck.height}
        assert sum(n["total"] for n in s["notes"].values()) == c.height


def test_entities_and_treaties_match_the_tables(built):
    _, page, data, t = built
    ents = t["entities"]
    assert set(data["entities"]) == set(ents["type"].unique())
    for ty, rows in data["entities"].items():
        sub = ents.filter(pl.col("type") == ty)
        assert rows[0]["n_mentions"] == sub["n_mentions"].max()
        assert [r["n_mentions"] for r in rows] == sorted(sub["n_mentions"].to_list(), reverse=True)[:len(rows)]
        assert len(rows) == min(10, sub.height)
    trs = data["treaties"]
    assert [r["treaty_id"] for r in trs] == (
        t["treaties"].sort("date_signed", "name", nulls_last=True)["treaty_id"].to_list())
    assert sum(len(r["events"]) for r in trs) == t["treaty_events"].height
    for most in t["treaties"].sort("n_mentions", descending=True).head(5).iter_rows(named=True):
        row = next(r for r in trs if r["treaty_id"] == most["treaty_id"])
        assert row["parties"] == (most["parties"] or []) and row["place_signed"] == most["place_signed"]
        assert row["date_signed"] == (most["date_signed"].isoformat() if most["date_signed"] else None)
    assert page.count("<tr><td>") >= len(trs)  # one table row per treaty (plus the counts/sources rows)
