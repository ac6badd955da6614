"""``outputs/datapackage.json`` (a Frictionless Data Package, v2) and ``outputs/README.md`` (the
dataset card), both generated — never hand-written — from ``schemas/`` (columns, types,
descriptions, enumerations), the checked keys and references of ``pipelines/quality.py``,
the build's row counts and sources, the catalog's macros, and the "Known problems" sections
of ``docs/quality/*.md``.

Everything here is a pure function except :func:`write_metadata`, the one place that reads
and writes files (called by the ``catalog`` asset)."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pyarrow as pa

from schemas import TABLES, arrow_schema, enum_values
from schemas.tables import CONTRACT_VERSION, is_nullable

PACKAGE_SCHEMA = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
QUALITY_DIR = Path(__file__).resolve().parent.parent / "docs" / "quality"

TITLE = "Soviet foreign policy, 1917-1945"
DESCRIPTION = (
    "Historical texts on Soviet foreign policy (1917-1945) — OCR'd books, Markdown book exports, "
    "archival web pages, wiki pages and web excerpts — turned into documents, paragraphs, "
    "citations, dated events, treaties and named entities. Every fact points to the paragraph "
    "that states it; every character of a raw file is in a paragraph, a note or discarded_text."
)
RIGHTS = (
    "The texts are historical publications (books, document collections, web pages) reproduced "
    "here in full as clean paragraphs; their rights belong to their authors, translators, editors "
    "and publishers, and differ from source to source. No licence is granted for them by this "
    "dataset: before reusing or republishing any text, check the rights of each source yourself "
    "(see the `sources` table for what each file is). The derived tables (IDs, offsets, entities, "
    "dates, treaties) are produced by the project's pipeline."
)


# --- Arrow -> Frictionless Table Schema ----------------------------------------------------

def field_type(t: pa.DataType) -> str:
    """Table Schema type of an Arrow type."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "datetime"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "array"
    if pa.types.is_struct(t):
        return "object"
    raise TypeError(f"no Table Schema type for Arrow {t}")


def _items_note(t: pa.DataType) -> str:
    """For a list of structs: the item fields, their types and descriptions, as one sentence."""
    if not (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
        return ""
    parts = []
    for f in t.value_type:
        desc = (f.metadata or {}).get(b"description", b"").decode()
        parts.append(f"{f.name} ({field_type(f.type)}{', ' + desc if desc else ''})")
    return " Each item has: " + "; ".join(parts) + "."


def field_descriptor(table: str, name: str) -> dict:
    model = TABLES[table]
    field = model.model_fields[name]
    t = arrow_schema(model).field(name).type
    note = _items_note(t)
    desc = field.description or ""
    if note and desc and not desc.endswith("."):
        desc += "."
    out: dict = {
        "name": name,
        "type": field_type(t),
        "description": desc + note,
        "arrowType": str(t),
    }
    if pa.types.is_list(t) and not pa.types.is_struct(t.value_type):
        out["arrayItem"] = {"type": field_type(t.value_type)}
    constraints: dict = {}
    if not is_nullable(field):
        constraints["required"] = True
    enums = enum_values(model)
    if name in enums:
        constraints["enum"] = list(enums[name])
    if constraints:
        out["constraints"] = constraints
    return out


def table_schema(table: str) -> dict:
    from pipelines.quality import KEYS, REFERENCES

    model = TABLES[table]
    schema: dict = {
        "$schema": TABLE_SCHEMA,
        "fields": [field_descriptor(table, n) for n in model.model_fields],
        "missingValues": [],
    }
    key = KEYS.get(table)
    # a primary key must be non-null: declare it only when every key column is required
    if key and all(not is_nullable(model.model_fields[k]) for k in key):
        schema["primaryKey"] = list(key)
    fks = [
        {"fields": [col], "reference": {"resource": "" if dst == table else dst, "fields": [dst_col]}}
        for src, col, dst, dst_col in REFERENCES
        if src == table
    ]
    if fks:
        schema["foreignKeys"] = fks
    return schema


def resource(table: str, files: list[str]) -> dict:
    """One resource per table; ``files`` are the Parquet files, relative to the package."""
    model = TABLES[table]
    layout = (
        "Hive-partitioned by source_id: one file per source (each file also holds source_id)"
        if model.__per_source__ else "corpus-wide: one file"
    )
    return {
        "name": table,
        "type": "table",
        "path": (files[0] if len(files) == 1 else files) if files else f"parquet/{table}/",
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "description": f"{(model.__doc__ or '').strip()} Layout: {layout}.",
        "schema": table_schema(table),
    }


def datapackage(files: dict[str, list[str]]) -> dict:
    """The Data Package descriptor. ``files``: table -> its Parquet files (POSIX paths relative
    to the output directory, sorted)."""
    return {
        "$schema": PACKAGE_SCHEMA,
        "name": "soviet-foreign-policy-1917-1945",
        "title": TITLE,
        "description": DESCRIPTION,
        "version": CONTRACT_VERSION,
        "keywords": ["history", "Soviet Union", "foreign policy", "treaties", "named entities"],
        "rights": RIGHTS,
        "resources": [resource(t, files.get(t, [])) for t in TABLES],
    }


# --- dataset card -----------------------------------------------------------------------

_HEADING = re.compile(r"^(#+)\s+(.*)$")
_LIMITS = re.compile(r"known (problems|limits)|limitations", re.I)


def known_limits(markdown: str) -> list[str]:
    """The bullet items under every heading of ``markdown`` that names known problems or limits
    (continuation lines joined)."""
    items: list[str] = []
    inside, level = False, 0
    for line in markdown.splitlines():
        m = _HEADING.match(line)
        if m:
            if inside and len(m.group(1)) <= level:
                inside = False
            if _LIMITS.search(m.group(2)):
                inside, level = True, len(m.group(1))
            continue
        if not inside:
            continue
        if line.startswith(("- ", "* ")):
            items.append(line[2:].strip())
        elif line.startswith("  ") and line.strip() and items:
            items[-1] += " " + line.strip()
    return items


# limits of the code, not of the data (build speed): left out of the card
_BUILD_ONLY = re.compile(r"^speed\b|\bquadratic\b|\bto stay fast\b", re.I)


def about_the_data(item: str) -> bool:
    """Whether a known-problem item describes the data (not the build's speed or code)."""
    return not _BUILD_ONLY.search(item)


def doc_title(markdown: str, fallback: str) -> str:
    for line in markdown.splitlines():
        m = _HEADING.match(line)
        if m and len(m.group(1)) == 1:
            return m.group(2).strip()
    return fallback


def _cell(v) -> str:
    return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def dataset_card(counts: dict[str, int], sources: list[dict], quality_docs: dict[str, str],
                 macros: list | None = None) -> str:
    """``outputs/README.md``. ``counts``: rows per table; ``sources``: rows of the sources
    table; ``quality_docs``: file name -> text of ``docs/quality/*.md``; ``macros``: the
    catalog's macros (``pipelines.catalog.MACROS``)."""
    ok = [s for s in sources if s.get("status") == "ok"]
    out = [
        f"# {TITLE} — dataset card",
        "",
        "Generated by the build (`pipelines/datapackage.py`) from `schemas/`, the build's row counts "
        "and `docs/quality/`; do not edit by hand.",
        "",
        "## What it is",
        "",
        DESCRIPTION,
        "",
        f"This build holds {len(ok)} source file(s)"
        + (f" ({len(sources) - len(ok)} rejected)" if len(sources) > len(ok) else "")
        + f"; contract version {CONTRACT_VERSION}.",
        "",
        "| source_id | format | title | status |",
        "|---|---|---|---|",
    ]
    for s in sorted(sources, key=lambda r: r["source_id"]):
        out.append(
            f"| {_cell(s['source_id'])} | {_cell(s.get('format'))} | {_cell(s.get('title'))} | "
            f"{_cell(s.get('status'))}{' (' + _cell(s.get('reject_reason')) + ')' if s.get('reject_reason') else ''} |"
        )
    out += [
        "",
        "## How it was made",
        "",
        "Each raw file is decoded (encoding detected, mojibake repaired), its layout detected from its "
        "content, and parsed by a rule-based parser for that layout into documents, paragraphs, "
        "citations (with the works they cite), dated events and discarded text; line wrapping and "
        "hyphenation are undone and Old Style dates converted to New Style. Corpus-wide, a curated "
        "gazetteer finds entity mentions and treaties with their life events, each with the paragraph "
        "that is its evidence (`entity_mentions.method` says how each was found). The build validates every row "
        "against `schemas/tables.py` and runs checks (schema, keys, references, enumerations, dates, "
        "nothing-lost coverage) before publishing.",
        "",
        "## Tables",
        "",
        "| table | rows | what it is |",
        "|---|---|---|",
    ]
    for table, model in TABLES.items():
        out.append(f"| {table} | {counts.get(table, 0):,} | {_cell((model.__doc__ or '').strip())} |")
    out += [
        "",
        "Files: `parquet/<table>/` (Parquet datasets; per-source tables Hive-partitioned by "
        "`source_id`), `corpus.duckdb` (the same tables in DuckDB, with a full-text index and "
        "macros), `datapackage.json` (Frictionless Data Package: every column's type and "
        "description). Column meanings: `datapackage.json` or `docs/data-dictionary.md` in the "
        "project.",
        "",
        "## How to use",
        "",
        "```python",
        "import polars as pl",
        'paragraphs = pl.read_parquet("outputs/parquet/paragraphs/")',
        "",
        "# in the project's environment: DuckDB with full-text search loaded (docs/queries.md)",
        "from pipelines.catalog import connect",
        'con = connect("outputs/corpus.duckdb")',
        "con.sql(\"SELECT title, page, text FROM search('treaty of rapallo') LIMIT 5\").show()",
        "```",
        "",
    ]
    if macros:
        out += ["Table macros in `corpus.duckdb` (`SELECT * FROM <macro>`):", ""]
        out += [f"- `{m.signature}` → {m.returns}. {m.description}" for m in macros]
        out.append("")
    out += ["## Known limits", "",
            "From the quality reports in the project's `docs/quality/` (figures measured by hand "
            "against the raw text are there).", ""]
    any_limits = False
    for name in sorted(quality_docs):
        items = [i for i in known_limits(quality_docs[name]) if about_the_data(i)]
        if not items:
            continue
        any_limits = True
        out += [f"### {doc_title(quality_docs[name], name)} (`docs/quality/{name}`)", ""]
        out += [f"- {i}" for i in items]
        out.append("")
    if not any_limits:
        out += ["No known-problems section was found in `docs/quality/`.", ""]
    out += ["## Rights and licence", "", RIGHTS, ""]
    return "\n".join(out)


# --- I/O ----------------------------------------------------------------------------------

def data_files(output_dir: Path) -> dict[str, list[str]]:
    parquet = output_dir / "parquet"
    return {
        t: sorted(p.relative_to(output_dir).as_posix() for p in (parquet / t).glob("**/*.parquet"))
        for t in TABLES
    }


def _publish(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_metadata(output_dir: Path, counts: dict[str, int], sources: list[dict],
                   quality_dir: Path = QUALITY_DIR, macros: list | None = None) -> tuple[Path, Path]:
    """Write ``datapackage.json`` and ``README.md`` into ``output_dir`` (atomically)."""
    docs = {p.name: p.read_text(encoding="utf-8") for p in sorted(quality_dir.glob("*.md"))} \
        if quality_dir.is_dir() else {}
    pkg_path, card_path = output_dir / "datapackage.json", output_dir / "README.md"
    pkg = datapackage(data_files(output_dir))
    _publish(pkg_path, json.dumps(pkg, indent=2, ensure_ascii=False) + "\n")
    _publish(card_path, dataset_card(counts, sources, docs, macros))
    return pkg_path, card_path
