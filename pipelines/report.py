"""The visual report: one self-contained HTML page (``outputs/report/index.html``) over the
published tables, viewable without a network (plotly.js is embedded inline).

Shape: pure functions compute each figure's data from polars DataFrames (``timeline``,
``cooccurrence``, ``spring_layout``, ``source_quality``, ``biggest_entities``, ``treaty_rows``);
``report_data`` gathers them from a Parquet directory; ``render_html`` turns the data into the
page. The data is also embedded in the page as JSON (``<script type="application/json"
id="report-data">``) so tests can compare it with the tables. Nothing depends on the clock or on
randomness: the same tables give the same page, byte for byte.

CLI: ``python -m pipelines.report [--output-dir DIR] [--raw-dir DIR]`` reads
``DIR/parquet/`` and writes ``DIR/report/index.html`` (defaults: ``$OUTPUT_DIR`` or ``outputs/``,
``$RAW_DIR`` or ``../shared/corpus`` — the raw files are re-read only for the coverage figure).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import sys
from pathlib import Path

import polars as pl

from pipelines import quality, storage
from pipelines.parsing.decode import Rejected, decode
from pipelines.rawdir import scan
from schemas import CONTRACT_VERSION, TABLES

NETWORK_TYPES = ("person", "state")
TYPE_COLOURS = {
    "person": "#d62728", "state": "#1f77b4", "place": "#2ca02c", "organisation": "#9467bd",
    "publication": "#8c564b", "event": "#e377c2", "treaty": "#ff7f0e",
}
REASON_COLOURS = {
    "page_number": "#8c564b", "running_header": "#e377c2", "ocr_noise": "#d62728",
    "boilerplate": "#7f7f7f", "other": "#000000",
}
KIND_COLOURS = {"footnote": "#1f77b4", "endnote": "#2ca02c", "source_note": "#bcbd22", "cross_reference": "#9467bd"}


def _non_ws(s: str) -> int:
    return sum(1 for c in s if not c.isspace())


# ---------------------------------------------------------------------------------------------
# Figure data: pure functions over DataFrames
# ---------------------------------------------------------------------------------------------

def timeline(treaties: pl.DataFrame, events: pl.DataFrame) -> dict:
    """Per year (every year from the first to the last dated row): treaties signed, and events
    by kind. Undated treaties are counted apart."""
    signed = treaties.filter(pl.col("date_signed").is_not_null())
    t_years = signed["date_signed"].dt.year().to_list()
    e = events.filter(pl.col("date_start").is_not_null())
    e_years = e["date_start"].dt.year().to_list()
    all_years = t_years + e_years
    years = list(range(min(all_years), max(all_years) + 1)) if all_years else []
    kinds = sorted(set(e["kind"].drop_nulls().to_list()))
    t_count = {y: 0 for y in years}
    names: dict[int, list[str]] = {y: [] for y in years}
    for y, name in zip(t_years, signed["name"].to_list()):
        t_count[y] += 1
        names[y].append(name)
    ev_count = {k: {y: 0 for y in years} for k in kinds}
    for y, k in zip(e_years, e["kind"].to_list()):
        if k is not None:
            ev_count[k][y] += 1
    return {
        "years": years,
        "treaties": [t_count[y] for y in years],
        "treaty_names": [sorted(names[y]) for y in years],
        "events": {k: [ev_count[k][y] for y in years] for k in kinds},
        "undated_treaties": treaties.height - signed.height,
        "undated_events": events.height - e.height,
    }


def cooccurrence_edges(mentions: pl.DataFrame, entities: pl.DataFrame,
                       types: tuple[str, ...] = NETWORK_TYPES) -> pl.DataFrame:
    """Pairs of distinct entities of ``types`` named in the same paragraph: columns ``source``,
    ``target`` (``source < target``) and ``weight`` = number of paragraphs naming both."""
    ids = entities.filter(pl.col("type").is_in(list(types))).select("entity_id")
    u = mentions.select("paragraph_id", "entity_id").unique().join(ids, on="entity_id")
    pairs = u.join(u, on="paragraph_id", suffix="_b").filter(pl.col("entity_id") < pl.col("entity_id_b"))
    return (
        pairs.group_by(pl.col("entity_id").alias("source"), pl.col("entity_id_b").alias("target"))
        .agg(pl.len().cast(pl.Int64).alias("weight"))
        .sort("source", "target")
    )


def spring_layout(nodes: list[str], edges: list[tuple[str, str, float]], iterations: int = 300,
                  mass: dict[str, float] | None = None) -> dict[str, tuple[float, float]]:
    """A deterministic force-directed (Fruchterman-Reingold) layout, each axis scaled into
    [-1, 1]. Start: the nodes on a circle in the given order (no randomness); attraction grows
    with log(1 + weight), so a heavy edge pulls harder without collapsing its two ends;
    repulsion between two nodes is multiplied by their ``mass`` (default 1), so big hubs keep
    apart."""
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    idx = {v: i for i, v in enumerate(nodes)}
    m = [(mass or {}).get(v, 1.0) for v in nodes]
    pos = [[math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)] for i in range(n)]
    wmax = max((math.log1p(w) for _, _, w in edges), default=1.0) or 1.0
    springs = [(idx[a], idx[b], math.log1p(w) / wmax) for a, b, w in edges if a in idx and b in idx]
    k = math.sqrt(4.0 / n)  # ideal distance for a 2x2 frame
    temp = 0.2
    for _ in range(iterations):
        disp = [[0.0, 0.0] for _ in range(n)]
        for i in range(n):
            xi, yi = pos[i]
            for j in range(i + 1, n):
                dx, dy = xi - pos[j][0], yi - pos[j][1]
                d = max(math.hypot(dx, dy), 1e-6)
                f = k * k / d * m[i] * m[j]
                disp[i][0] += dx / d * f
                disp[i][1] += dy / d * f
                disp[j][0] -= dx / d * f
                disp[j][1] -= dy / d * f
        for i, j, w in springs:
            dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
            d = max(math.hypot(dx, dy), 1e-6)
            f = d * d / k * w
            disp[i][0] -= dx / d * f
            disp[i][1] -= dy / d * f
            disp[j][0] += dx / d * f
            disp[j][1] += dy / d * f
        for i in range(n):
            # a weak pull to the centre keeps unconnected nodes in the frame
            disp[i][0] -= pos[i][0] * k
            disp[i][1] -= pos[i][1] * k
            d = max(math.hypot(*disp[i]), 1e-9)
            step = min(d, temp)
            pos[i][0] += disp[i][0] / d * step
            pos[i][1] += disp[i][1] / d * step
        temp = max(temp * 0.985, 0.002)
    cx = sum(p[0] for p in pos) / n
    cy = sum(p[1] for p in pos) / n
    sx = max(abs(p[0] - cx) for p in pos) or 1.0
    sy = max(abs(p[1] - cy) for p in pos) or 1.0
    return {v: (round((pos[i][0] - cx) / sx, 4), round((pos[i][1] - cy) / sy, 4)) for v, i in idx.items()}


def cooccurrence(mentions: pl.DataFrame, entities: pl.DataFrame, types: tuple[str, ...] = NETWORK_TYPES,
                 per_type: int = 15) -> dict:
    """The co-mention network of the top ``per_type`` entities of each of ``types`` (ranked by
    weighted degree: paragraphs shared with any other entity of ``types``; ties by entity_id),
    with the edges among them and a deterministic layout."""
    edges = cooccurrence_edges(mentions, entities, types)
    degree = (
        pl.concat([edges.select(pl.col("source").alias("entity_id"), "weight"),
                   edges.select(pl.col("target").alias("entity_id"), "weight")])
        .group_by("entity_id").agg(pl.col("weight").sum().alias("degree"))
        .join(entities.select("entity_id", "type", "name", "n_mentions"), on="entity_id")
    )
    chosen = pl.concat([
        degree.filter(pl.col("type") == t).sort(["degree", "entity_id"], descending=[True, False]).head(per_type)
        for t in types
    ]).sort(["degree", "entity_id"], descending=[True, False])
    keep = chosen["entity_id"].to_list()
    sub = edges.filter(pl.col("source").is_in(keep) & pl.col("target").is_in(keep))
    edge_rows = [(a, b, w) for a, b, w in sub.iter_rows()]
    top = max(chosen["degree"].to_list(), default=1) or 1
    pos = spring_layout(keep, edge_rows, mass={r[0]: 1 + math.sqrt(r[1] / top)
                                               for r in chosen.select("entity_id", "degree").iter_rows()})
    nodes = [
        {"id": r["entity_id"], "name": r["name"], "type": r["type"], "degree": r["degree"],
         "n_mentions": r["n_mentions"], "x": pos[r["entity_id"]][0], "y": pos[r["entity_id"]][1]}
        for r in chosen.iter_rows(named=True)
    ]
    return {
        "types": list(types),
        "per_type": per_type,
        "nodes": nodes,
        "edges": [{"source": a, "target": b, "weight": w} for a, b, w in edge_rows],
        "n_edges_all": edges.height,
    }


def source_quality(sources: pl.DataFrame, citations: pl.DataFrame, discarded: pl.DataFrame,
                   coverage: dict[str, float | None], raw_chars: dict[str, int | None]) -> list[dict]:
    """Per source (status ok): coverage share (from ``quality.check_coverage``), discarded text
    by reason (rows and non-whitespace characters, and their share of the raw non-whitespace
    characters), and notes linked to a paragraph per citation kind."""
    d = discarded.with_columns(
        pl.col("text").str.replace_all(r"\s", "").str.len_chars().cast(pl.Int64).alias("chars"))
    by_reason = d.group_by("source_id", "reason").agg(pl.len().alias("rows"), pl.col("chars").sum())
    notes = citations.group_by("source_id", "kind").agg(
        pl.len().alias("total"), pl.col("paragraph_id").is_not_null().sum().alias("linked"))
    out = []
    for r in sources.filter(pl.col("status") == "ok").sort("source_id").iter_rows(named=True):
        sid = r["source_id"]
        total = raw_chars.get(sid)
        reasons = {
            x["reason"]: {"rows": x["rows"], "chars": x["chars"],
                          "share": round(x["chars"] / total, 6) if total else None}
            for x in by_reason.filter(pl.col("source_id") == sid).sort("reason").iter_rows(named=True)
        }
        kinds = {
            x["kind"]: {"linked": x["linked"], "total": x["total"]}
            for x in notes.filter(pl.col("source_id") == sid).sort("kind").iter_rows(named=True)
        }
        out.append({
            "source_id": sid, "format": r["format"], "title": r["title"],
            "coverage": coverage.get(sid), "raw_non_ws_chars": total,
            "discarded": reasons, "notes": kinds,
        })
    return out


def biggest_entities(entities: pl.DataFrame, top: int = 10) -> dict[str, list[dict]]:
    """The ``top`` entities of each type by n_mentions (ties: n_documents, then entity_id)."""
    out = {}
    for t in sorted(entities["type"].unique().to_list()):
        rows = (entities.filter(pl.col("type") == t)
                .sort(["n_mentions", "n_documents", "entity_id"], descending=[True, True, False]).head(top))
        out[t] = rows.select("entity_id", "name", "n_mentions", "n_documents").to_dicts()
    return out


def treaty_rows(treaties: pl.DataFrame, treaty_events: pl.DataFrame) -> list[dict]:
    """One row per treaty (by date signed, undated last, then name) with its events in date order."""
    ev: dict[str, list[dict]] = {}
    for r in treaty_events.sort("treaty_id", "date", "event", "paragraph_id", nulls_last=True).iter_rows(named=True):
        ev.setdefault(r["treaty_id"], []).append({
            "event": r["event"], "date": r["date"].isoformat() if r["date"] else None,
            "paragraph_id": r["paragraph_id"]})
    out = []
    for r in treaties.sort("date_signed", "name", nulls_last=True).iter_rows(named=True):
        out.append({
            "treaty_id": r["treaty_id"], "name": r["name"], "treaty_type": r["treaty_type"],
            "parties": list(r["parties"] or []),
            "date_signed": r["date_signed"].isoformat() if r["date_signed"] else None,
            "place_signed": r["place_signed"], "n_mentions": r["n_mentions"],
            "events": ev.get(r["treaty_id"], []),
        })
    return out


# ---------------------------------------------------------------------------------------------
# Gathering from the build outputs
# ---------------------------------------------------------------------------------------------

def raw_non_ws_chars(raw_dir: Path | None, include: list[str], source_ids: list[str]) -> dict[str, int | None]:
    """Non-whitespace characters of each source's decoded raw text (None where unreadable)."""
    out: dict[str, int | None] = {sid: None for sid in source_ids}
    if raw_dir is None or not raw_dir.is_dir():
        return out
    for raw in scan(raw_dir, include):
        if raw.source_id in out:
            try:
                text, _ = decode(raw.abspath.read_bytes())
            except (OSError, Rejected):
                continue
            out[raw.source_id] = _non_ws(text)
    return out


def report_data(parquet_dir: Path, raw_dir: Path | None, include: list[str] | None = None) -> dict:
    """Everything the page shows, as plain JSON-able data."""
    include = include or ["*.txt"]
    cache: dict[str, pl.DataFrame] = {}
    t = {name: quality.load(parquet_dir, name, cache) for name in TABLES}
    ok = t["sources"].filter(pl.col("status") == "ok")["source_id"].to_list()
    coverage: dict[str, float | None] = {sid: None for sid in ok}
    if raw_dir is not None and raw_dir.is_dir():
        meta = quality.check_coverage(parquet_dir, raw_dir, include, cache=cache).metadata
        coverage.update({sid: meta[f"coverage/{sid}"] for sid in ok if f"coverage/{sid}" in meta})
    return {
        "contract_version": CONTRACT_VERSION,
        "counts": {name: df.height for name, df in t.items()},
        "sources": t["sources"].sort("source_id").select(
            "source_id", "format", "title", "status", "reject_reason").to_dicts(),
        "timeline": timeline(t["treaties"], t["events"]),
        "network": cooccurrence(t["entity_mentions"], t["entities"]),
        "quality": source_quality(t["sources"], t["citations"], t["discarded_text"], coverage,
                                  raw_non_ws_chars(raw_dir, include, ok)),
        "entities": biggest_entities(t["entities"]),
        "treaties": treaty_rows(t["treaties"], t["treaty_events"]),
    }


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def _short(sid: str, fmt: str | None) -> str:
    s = sid if len(sid) <= 14 else sid[:12] + "…"
    return f"{s}<br>{fmt or '?'}"


def figures(data: dict) -> dict[str, dict]:
    """Plotly figure specs (data + layout, plain dicts) for each chart of the page."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    base = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50), font=dict(size=12))
    figs: dict[str, go.Figure] = {}

    tl = data["timeline"]
    f = go.Figure()
    f.add_bar(x=tl["years"], y=tl["treaties"], name="treaties signed", marker_color="#ff7f0e",
              customdata=["<br>".join(n[:12]) + ("<br>…" if len(n) > 12 else "") for n in tl["treaty_names"]],
              hovertemplate="%{x}: %{y} treaties<br>%{customdata}<extra></extra>")
    for kind, colour in (("chronology", "#1f77b4"), ("text", "#9ecae1")):
        if kind in tl["events"]:
            f.add_bar(x=tl["years"], y=tl["events"][kind], name=f"events ({kind})", marker_color=colour,
                      hovertemplate="%{x}: %{y} events (" + kind + ")<extra></extra>")
    for kind, ys in tl["events"].items():
        if kind not in ("chronology", "text"):
            f.add_bar(x=tl["years"], y=ys, name=f"events ({kind})")
    f.update_layout(**base, barmode="group", height=380, title="Treaties signed and dated events, per year",
                    xaxis=dict(title="year", dtick=2), yaxis=dict(title="rows"),
                    legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    figs["timeline"] = f

    net = data["network"]
    pos = {n["id"]: (n["x"], n["y"]) for n in net["nodes"]}
    f = go.Figure()
    weights = sorted(e["weight"] for e in net["edges"])
    # edges in four weight bands (plotly draws one width per trace): up to the median, to the
    # 80th and 95th percentiles, and above
    cuts = [weights[int(len(weights) * q)] for q in (0.5, 0.8, 0.95)] if weights else []
    bands: list[tuple[list, list]] = [([], []) for _ in range(4)]
    for e in net["edges"]:
        xs, ys = bands[sum(e["weight"] > c for c in cuts)]
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    for band, (xs, ys) in enumerate(bands):
        if xs:
            f.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                          line=dict(width=[0.5, 1.2, 2.5, 5][band],
                                    color=f"rgba(90,90,90,{[0.15, 0.3, 0.45, 0.6][band]})"))
    for t in net["types"]:
        ns = [n for n in net["nodes"] if n["type"] == t]
        maxdeg = max((n["degree"] for n in net["nodes"]), default=1)
        f.add_scatter(
            x=[n["x"] for n in ns], y=[n["y"] for n in ns], mode="markers+text", name=t,
            text=[n["name"] for n in ns], textposition="top center",
            textfont=dict(size=11, shadow="1px 1px 2px white, -1px -1px 2px white"),
            marker=dict(size=[10 + 30 * math.sqrt(n["degree"] / maxdeg) for n in ns],
                        color=TYPE_COLOURS.get(t), opacity=1, line=dict(width=1, color="white")),
            customdata=[[n["degree"], n["n_mentions"]] for n in ns],
            hovertemplate="%{text}<br>co-mentions: %{customdata[0]}<br>mentions: %{customdata[1]}<extra></extra>")
    f.update_layout(**{**base, "margin": dict(l=20, r=20, t=50, b=20)}, height=720,
                    title=f"Co-mentions in the same paragraph: top {net['per_type']} people and top "
                          f"{net['per_type']} states (line width: shared paragraphs)",
                    xaxis=dict(visible=False, range=[-1.15, 1.15]), yaxis=dict(visible=False, range=[-1.1, 1.15]),
                    legend=dict(orientation="h", y=1.0, x=1, xanchor="right", yanchor="bottom"))
    figs["network"] = f

    q = data["quality"]
    labels = [_short(s["source_id"], s["format"]) for s in q]
    f = make_subplots(rows=1, cols=3, horizontal_spacing=0.08, subplot_titles=(
        "Coverage: raw non-whitespace chars accounted for",
        "Discarded text by reason (% of raw non-ws chars)",
        "Notes linked to their paragraph, by kind"))
    cov = [s["coverage"] for s in q]
    f.add_bar(x=labels, y=[c * 100 if c is not None else None for c in cov], marker_color="#2ca02c",
              text=[f"{c * 100:.2f}%" if c is not None else "n/a" for c in cov], textposition="inside", textangle=0,
              showlegend=False, hovertemplate="%{x}: %{y:.4f}%<extra>coverage</extra>", row=1, col=1)
    reasons = sorted({r for s in q for r in s["discarded"]})
    base_pc = [0.0] * len(q)  # stacked by hand (barmode is per figure, subplot 3 is grouped)
    for reason in reasons:
        vals = [(s["discarded"].get(reason, {}).get("share") or 0) * 100 for s in q]
        chars = [s["discarded"].get(reason, {}).get("chars", 0) for s in q]
        f.add_bar(x=labels, y=vals, base=list(base_pc), offsetgroup="discarded", name=reason,
                  marker_color=REASON_COLOURS.get(reason), legendgroup="reason", legendgrouptitle_text="discarded",
                  customdata=chars, hovertemplate="%{x}: %{y:.3f}% (%{customdata} chars)<extra>" + reason + "</extra>",
                  row=1, col=2)
        base_pc = [b + v for b, v in zip(base_pc, vals)]
    # source notes are document-level by contract (never linked to a paragraph): left out here
    kinds = sorted({k for s in q for k in s["notes"] if k != "source_note"})
    for kind in kinds:
        ys, txt = [], []
        for s in q:
            n = s["notes"].get(kind)
            ys.append(100 * n["linked"] / n["total"] if n else None)
            txt.append(f"{n['linked']}/{n['total']}" if n else "")
        f.add_bar(x=labels, y=ys, name=kind, text=txt, textposition="outside", textangle=0,
                  textfont=dict(size=11), constraintext="none", cliponaxis=False, marker_color=KIND_COLOURS.get(kind),
                  legendgroup="kind", legendgrouptitle_text="notes",
                  hovertemplate="%{x}: %{text} linked<extra>" + kind + "</extra>", row=1, col=3)
    f.update_layout(**{**base, "margin": dict(l=60, r=20, t=40, b=70)}, height=440, barmode="group",
                    legend=dict(orientation="v", x=1.01, y=1))
    low = min([c * 100 for c in cov if c is not None] + [99.0])
    f.update_yaxes(title_text="%", row=1, col=1, range=[math.floor(low) - 1, 100.3])
    f.update_yaxes(title_text="% of raw", row=1, col=2)
    f.update_yaxes(title_text="% linked", row=1, col=3, range=[0, 115])
    f.update_xaxes(tickfont=dict(size=10))
    figs["quality"] = f

    ents = data["entities"]
    types = [t for t in TYPE_COLOURS if t in ents] + sorted(t for t in ents if t not in TYPE_COLOURS)
    cols = 2
    rows = max(1, math.ceil(len(types) / cols))
    f = make_subplots(rows=rows, cols=cols, subplot_titles=types, horizontal_spacing=0.28, vertical_spacing=0.06)
    for i, t in enumerate(types):
        rs = list(reversed(ents[t]))
        f.add_bar(y=[r["name"] for r in rs], x=[r["n_mentions"] for r in rs], orientation="h",
                  marker_color=TYPE_COLOURS.get(t, "#7f7f7f"), showlegend=False, name=t,
                  customdata=[r["n_documents"] for r in rs],
                  hovertemplate="%{y}: %{x} mentions in %{customdata} documents<extra></extra>",
                  row=i // cols + 1, col=i % cols + 1)
    f.update_layout(**{**base, "margin": dict(l=230, r=20, t=60, b=30)}, height=260 * rows,
                    title="Most mentioned entities, by type (n_mentions)")
    f.update_yaxes(tickfont=dict(size=10), automargin=True)
    figs["entities"] = f
    return {name: json.loads(fig.to_json()) for name, fig in figs.items()}


CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1320px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
p.note { color: #555; font-size: 13px; margin: 4px 0 8px; max-width: 1100px; }
.card { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px; margin: 8px 0; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
th, td { border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.counts td, .counts th { width: auto; } .counts { width: auto; }
.muted { color: #999; } td.nw { white-space: nowrap; }
"""


def _e(v) -> str:
    return html.escape("" if v is None else str(v))


def _tables_html(data: dict) -> tuple[str, str, str]:
    counts = "".join(f"<tr><td>{_e(t)}</td><td class='num'>{n:,}</td></tr>" for t, n in data["counts"].items())
    counts = f"<table class='counts'><tr><th>table</th><th>rows</th></tr>{counts}</table>"
    src = "".join(
        f"<tr><td>{_e(s['source_id'])}</td><td>{_e(s['format'])}</td><td>{_e(s['title'])}</td>"
        f"<td>{_e(s['status'])}{(': ' + _e(s['reject_reason'])) if s['reject_reason'] else ''}</td></tr>"
        for s in data["sources"])
    src = f"<table><tr><th>source_id</th><th>format</th><th>title</th><th>status</th></tr>{src}</table>"
    rows = []
    for t in data["treaties"]:
        seen: dict[tuple, int] = {}  # one entry per (event, date), with its number of evidence paragraphs
        for e in t["events"]:
            seen[(e["event"], e["date"])] = seen.get((e["event"], e["date"]), 0) + 1
        evs = "; ".join(f"{ev} {d or '?'}" + (f" (×{n})" if n > 1 else "") for (ev, d), n in seen.items())
        rows.append(
            f"<tr><td>{_e(t['name'])}</td><td>{_e(t['treaty_type'])}</td><td>{_e(', '.join(t['parties']))}</td>"
            f"<td class='nw'>{_e(t['date_signed']) or '<span class=muted>?</span>'}</td><td>{_e(t['place_signed'])}</td>"
            f"<td class='num'>{t['n_mentions']}</td><td>{_e(evs)}</td></tr>")
    treaties = ("<table><tr><th>name</th><th>type</th><th>parties</th><th>signed</th><th>place</th>"
                "<th>mentions</th><th>events (with evidence)</th></tr>" + "".join(rows) + "</table>")
    return counts, src, treaties


def _script_json(obj) -> str:
    """JSON safe inside a <script> element (no '</' or '<!--' can close or comment it)."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: dict, plotly_js: str | None = None) -> str:
    """The whole page: CSS, plotly.js inline, the report data as JSON, the charts and tables."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    figs = figures(data)
    counts, sources, treaties = _tables_html(data)
    tl, net = data["timeline"], data["network"]
    q = data["quality"]
    n_src_notes = sum(s["notes"].get("source_note", {}).get("total", 0) for s in q)
    div = lambda name: f"<div class='card'><div id='fig-{name}'></div></div>"  # noqa: E731
    body = f"""
<main>
<h1>Soviet foreign policy, 1917–1945 — dataset report</h1>
<p class="note">Built from the published tables (contract {_e(data['contract_version'])}). Every figure on this page
is computed from the Parquet tables; its data is embedded below as JSON (<code>#report-data</code>).</p>
<div style="display:flex; gap:24px; align-items:flex-start"><div>{counts}</div><div style="flex:1">{sources}</div></div>

<h2>Timeline</h2>
<p class="note">Treaties by the year they were signed (<code>treaties.date_signed</code>; {tl['undated_treaties']} treaties
without a known date are not shown) and dated events by year of <code>events.date_start</code>, split by
<code>kind</code>: entries of a printed chronology and events stated in running text.</p>
{div('timeline')}

<h2>Who is named together</h2>
<p class="note">Two entities are linked when one paragraph names both (<code>entity_mentions</code>); the weight is the
number of such paragraphs. Nodes: the {net['per_type']} people and {net['per_type']} states with most co-mentions
(marker size); {len(net['edges'])} of the {net['n_edges_all']} person/state pairs fall among them. Layout:
deterministic force-directed (no randomness), so the picture is the same on every build.</p>
{div('network')}

<h2>Quality per source</h2>
<p class="note">Coverage: share of the raw file's non-whitespace characters lying in a paragraph, citation or discarded
span (<code>quality.check_coverage</code>, re-read from the raw files). Discarded: non-whitespace characters of
<code>discarded_text</code> by reason, as a share of the raw. Notes linked: citations whose <code>paragraph_id</code>
is set, per kind (label: linked/all); the {n_src_notes} source notes are document-level by contract, carry no
paragraph and are not shown there.</p>
{div('quality')}

<h2>Most mentioned entities</h2>
{div('entities')}

<h2>Treaties ({len(data['treaties'])})</h2>
<p class="note">Ordered by signing date (undated last). Events: the rows of <code>treaty_events</code> (each has the
paragraph that states it); ×n where n paragraphs state the same event and date.</p>
<div class="card">{treaties}</div>
</main>"""
    plots = "\n".join(
        f"Plotly.newPlot('fig-{name}', F[{json.dumps(name)}].data, F[{json.dumps(name)}].layout, "
        "{responsive: true, displaylogo: false});"
        for name in figs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Soviet foreign policy dataset — report</title>
<style>{CSS}</style>
<script type="text/javascript">{plotly_js}</script>
</head><body>
{body}
<script type="application/json" id="report-data">{_script_json(data)}</script>
<script type="application/json" id="report-figures">{_script_json(figs)}</script>
<script type="text/javascript">
const F = JSON.parse(document.getElementById('report-figures').textContent);
{plots}
</script>
</body></html>
"""


def write_report(output_dir: Path, raw_dir: Path | None, include: list[str] | None = None) -> Path:
    data = report_data(output_dir / "parquet", raw_dir, include)
    target = output_dir / "report" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(render_html(data), encoding="utf-8")
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m pipelines.report",
                                     description="Write the visual report (DIR/report/index.html)")
    parser.add_argument("--output-dir", help="build output directory (default: $OUTPUT_DIR or outputs/)")
    parser.add_argument("--raw-dir", help="raw directory, for the coverage figure (default: $RAW_DIR or ../shared/corpus)")
    args = parser.parse_args(argv)
    if args.output_dir:
        os.environ["OUTPUT_DIR"] = args.output_dir
    if args.raw_dir:
        os.environ["RAW_DIR"] = args.raw_dir
    from pipelines.settings import load_settings

    settings = load_settings()
    if storage.read_table(settings.parquet_dir, "sources").height == 0:
        print(f"error: no dataset in {settings.output_dir}: run `make build` first")
        return 1
    raw = settings.raw_dir if settings.raw_dir.is_dir() else None
    if raw is None:
        print(f"note: raw directory {settings.raw_dir} not found: coverage is left out")
    target = write_report(settings.output_dir, raw, settings.include)
    print(f"report: {target} ({target.stat().st_size / 1e6:.1f} MB, self-contained)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
