"""The table models against the binding contract (read from ../shared/CONTRACT.md)."""

import re
from pathlib import Path

import pyarrow as pa

from schemas import CONTRACT_VERSION, TABLES, arrow_schema
from schemas.dictionary import DICTIONARY_PATH, render
from schemas.tables import type_label

ROOT = Path(__file__).resolve().parents[1]

CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"


def contract_columns() -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, type)] from the Markdown tables of CONTRACT.md."""
    tables, current = {}, None
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        m = re.match(r"## ([a-z_]+) — ", line)
        if m:
            current = m.group(1)
            tables[current] = []
            continue
        m = re.match(r"\| ([a-z0-9_, ]+) \| ([a-z0-9<>]+) \|", line)
        if current and m and m.group(1) != "column":
            for name in m.group(1).split(","):
                tables[current].append((name.strip(), m.group(2)))
    return tables


def test_every_contract_table_and_column_is_modelled_with_its_type():
    contract = contract_columns()
    assert set(contract) == set(TABLES)
    for table, columns in contract.items():
        fields = TABLES[table].model_fields
        names = list(fields)
        # contract columns come first, in the contract's order; added columns may follow
        assert names[: len(columns)] == [c for c, _ in columns], table
        for col, typ in columns:
            assert type_label(fields[col]) == typ, (table, col)


def test_arrow_schemas_carry_descriptions_and_version():
    for model in TABLES.values():
        schema = arrow_schema(model)
        assert schema.metadata[b"contract_version"].decode() == CONTRACT_VERSION
        for f in schema:
            assert f.metadata[b"description"], (model.__table__, f.name)
    cited = arrow_schema(TABLES["citations"]).field("cited_works").type
    assert pa.types.is_list(cited) and cited.value_type.field("page_start").type == pa.int32()
    assert cited.value_type.field("year").type == pa.int16()


def test_data_dictionary_is_current():
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == render(), "run `make dictionary`"
