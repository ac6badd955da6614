"""Render ``docs/data-dictionary.md`` from the table models.

Run ``python -m schemas.dictionary`` to rewrite it; a test fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from schemas.tables import CONTRACT_VERSION, TABLES, enum_values, is_nullable, type_label

DICTIONARY_PATH = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"

RULES = """\
## Entity rules chosen by this project

- `Soviet Union` is the one canonical state for the Soviet polity from 1917 on: USSR, Soviet Union,
  Soviet Russia, RSFSR, R.S.F.S.R., Russian Socialist Federative Soviet Republic, Soviet Republic,
  Land of Soviets. A bare `Russia` is the state `Russia`; `tsarist Russia` and `Russian Empire` are
  `Russian Empire`.
- `Soviet`, `Soviets` and adjectives (`British`, `Turkish`) are never mentions; `Turkey` is.
- `Georgia` is always the state (the corpus never means the US state).
- `Paris` is the city; `Paris Peace Conference` / `Paris Conference` is one event (longest match).
- `Entente` (any case) is an organisation.
- `documents.author` uses the contract's example form, initials and surname (`V. I. Lenin`,
  `G. V. Chicherin`, `J. V. Stalin`, `E. H. Carr`); `entities.name` uses the common English full
  name (`Vladimir Lenin`, `Georgy Chicherin`), as ENTITY-RULES.md asks.
- `entities.n_documents` counts the distinct documents whose own paragraphs mention the entity
  (each paragraph's `doc_id`, the deepest document containing it): a chapter's opening
  paragraphs before its first section count for the chapter.
- Bare surnames shared by two people (Chamberlain, Wilson) are linked only when the paragraph, a
  year within the person's active years, or a nearby earlier mention decides; otherwise no row.
"""


def render() -> str:
    out = [
        "# Data dictionary",
        "",
        f"Generated from `schemas/tables.py` (contract version {CONTRACT_VERSION}); do not edit by hand.",
        "Regenerate with `make dictionary`.",
        "",
    ]
    for name, model in TABLES.items():
        layout = "per source, Hive-partitioned by `source_id`" if model.__per_source__ else "corpus-wide, one file"
        out += [f"## {name}", "", (model.__doc__ or "").strip(), "", f"Layout: {layout}.", ""]
        out += ["| column | type | nullable | meaning |", "|---|---|---|---|"]
        enums = enum_values(model)
        for col, field in model.model_fields.items():
            nullable = "yes" if is_nullable(field) else "no"
            meaning = field.description or ""
            if col in enums:
                meaning += " — one of: " + ", ".join(f"`{v}`" for v in enums[col])
            out.append(f"| {col} | {type_label(field)} | {nullable} | {meaning} |")
        out.append("")
    out.append(RULES)
    return "\n".join(out)


def main() -> int:
    DICTIONARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    DICTIONARY_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DICTIONARY_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
