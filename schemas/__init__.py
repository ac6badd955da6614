"""Table models: the single source of every schema (see ``schemas.tables``)."""

from schemas.tables import (  # noqa: F401
    CONTRACT_VERSION,
    CORPUS_TABLES,
    PER_SOURCE_TABLES,
    TABLES,
    arrow_schema,
    enum_values,
    id_column,
)
