"""The dataset's tables: one pydantic model per table, the single place a column is defined.

Everything else is derived from these models: Arrow schemas (with column descriptions in the
field metadata), row validation, the DuckDB catalog and ``docs/data-dictionary.md``.
Column names, types and meanings follow ``CONTRACT.md``; columns may be added, never renamed.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

CONTRACT_VERSION = "1.1"


class Arrow:
    """Annotation marker carrying the Arrow type of a column (pydantic ignores it)."""

    def __init__(self, type_: pa.DataType):
        self.type = type_


Int16 = Annotated[int, Arrow(pa.int16())]
Int32 = Annotated[int, Arrow(pa.int32())]
Int64 = Annotated[int, Arrow(pa.int64())]


def col(description: str, **kw) -> typing.Any:
    return Field(default=None, description=description, **kw)


class Row(BaseModel):
    """Base of every table model. ``__table__`` is the table name, ``__per_source__`` whether
    the table is Hive-partitioned by ``source_id``."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
    __table__: typing.ClassVar[str]
    __per_source__: typing.ClassVar[bool]
    __doc_table__: typing.ClassVar[str] = ""


SourceFormat = Literal[
    "ocr_book", "markdown_book", "web_collection", "wiki_page", "web_excerpt", "plain",
    "html", "tei_xml", "xml", "markdown", "treaty_text",
]
DocKind = Literal[
    "book", "collection", "page", "front_matter", "contents", "introduction", "chapter",
    "section", "speech", "report", "decree", "letter", "telegram", "interview", "article",
    "statement", "note", "excerpt", "chronology", "notes", "other",
]
DatePrecision = Literal["day", "month", "year"]
ParagraphKind = Literal[
    "text", "heading", "quote", "list_item", "table_row", "chronology_entry", "signature",
    "editorial",
]
CitationKind = Literal["footnote", "endnote", "source_note", "cross_reference"]
EntityType = Literal[
    "person", "state", "place", "organisation", "publication", "event", "treaty"
]
TreatyType = Literal[
    "peace", "armistice", "trade", "non-aggression", "neutrality", "mutual-assistance",
    "alliance", "friendship", "border", "recognition", "convention", "protocol", "other",
]
TreatyEventKind = Literal[
    "signed", "ratified", "entered_into_force", "prolonged", "denounced", "annulled",
    "violated", "expired",
]
EventKind = Literal["chronology", "text"]
DiscardReason = Literal["page_number", "running_header", "ocr_noise", "boilerplate", "other"]


class Source(Row):
    """One row per raw file seen."""

    __table__ = "sources"
    __per_source__ = True
    source_id: str = col("The raw file's name without extension, lower-cased, reduced to [a-z0-9_-]; unique")
    path: str = col("Path relative to the raw directory")
    sha256: str = col("Hex digest of the raw bytes")
    n_bytes: Int64 = col("Size of the raw file in bytes")
    encoding: str | None = col("Encoding the text was decoded from (utf-8, cp1251, ...); null if rejected")
    format: SourceFormat | None = col("Layout of the file, detected from its content")
    title: str | None = col("Title of the work the file holds")
    status: Literal["ok", "rejected"] = col("ok or rejected")
    reject_reason: str | None = col("Why the file was rejected (null when ok)")
    parser_version: str | None = col("Code version of the parser that produced this source's rows (added column)")


class Document(Row):
    """The tree of works, parts and contained writings; one root per source."""

    __table__ = "documents"
    __per_source__ = True
    doc_id: str = col("Unique, stable document ID (`<source_id>:d<seq>`)")
    source_id: str = col("Source the document belongs to")
    parent_doc_id: str | None = col("Parent document; null for the root")
    seq: Int32 = col("1-based order within the source (document order)")
    depth: Int32 = col("0 for the root")
    kind: DocKind = col("What the document is")
    title: str | None = col("Title as printed, cleaned")
    author: str | None = col("Canonical name of the author (e.g. `V. I. Lenin`), null if unknown")
    date: dt.date | None = col("Date of the writing (New Style)")
    date_precision: DatePrecision | None = col("Precision of `date`")
    date_old_style: dt.date | None = col("Julian (Old Style) date where the text gives one")
    date_text: str | None = col("The date as written")
    place: str | None = col("Where written or delivered, if stated")
    provenance: str | None = col("The source note as printed (first publication, Collected Works volume and pages)")
    line_start: Int32 = col("First raw line (1-based, inclusive)")
    line_end: Int32 = col("Last raw line (1-based, inclusive)")
    char_start: Int64 = col("Start offset in the decoded raw text (0-based)")
    char_end: Int64 = col("End offset in the decoded raw text (exclusive)")
    page_start: Int32 | None = col("First printed page, where the source shows it")
    page_end: Int32 | None = col("Last printed page, where the source shows it")
    n_paragraphs: Int32 = col("Paragraphs directly in this document")
    n_words: Int32 = col("Words in the paragraphs directly in this document")


class Paragraph(Row):
    """The clean text: one row per paragraph, heading or list item."""

    __table__ = "paragraphs"
    __per_source__ = True
    paragraph_id: str = col("Unique, stable paragraph ID (`<source_id>:p<seq>`)")
    doc_id: str = col("The deepest document containing it")
    source_id: str = col("Source the paragraph belongs to")
    seq: Int32 = col("1-based order within the source")
    kind: ParagraphKind = col("What the paragraph is")
    text: str = col("Clean text: NFC, line wrapping undone, broken words re-joined, markers removed")
    page: Int32 | None = col("Printed page where it starts, if known")
    line_start: Int32 = col("First raw line (1-based, inclusive)")
    line_end: Int32 = col("Last raw line (1-based, inclusive)")
    char_start: Int64 = col("Start offset in the decoded raw text (0-based)")
    char_end: Int64 = col("End offset in the decoded raw text (exclusive)")
    n_words: Int32 = col("Number of words in `text`")
    page_estimated: bool | None = col(
        "True when `page` is inferred (page breaks seen in the layout, endnote back-references, line counts) "
        "rather than printed at this paragraph; null when `page` is null (added column)"
    )


class CitedWork(BaseModel):
    """One work cited by a note."""

    model_config = ConfigDict(extra="forbid")
    author: str | None = col("Author as printed")
    title: str | None = col("Title of the work")
    periodical: str | None = col("Newspaper or journal")
    issue: str | None = col("Issue number (`No. 208` -> `208`)")
    volume: str | None = col("Volume")
    pages: str | None = col("Pages as printed")
    page_start: Int32 | None = col("First page as a number")
    page_end: Int32 | None = col("Last page as a number")
    publisher: str | None = col("Publisher")
    place: str | None = col("Place of publication")
    year: Int16 | None = col("Year of publication")
    date: dt.date | None = col("Date of the issue")


class Citation(Row):
    """Footnotes, endnotes, source notes and cross-references."""

    __table__ = "citations"
    __per_source__ = True
    citation_id: str = col("Unique, stable citation ID (`<source_id>:c<seq>`)")
    source_id: str = col("Source the note belongs to")
    doc_id: str = col("Document the note belongs to")
    paragraph_id: str | None = col("Paragraph holding the marker; null for document-level source notes")
    kind: CitationKind = col("footnote, endnote, source_note or cross_reference")
    marker: str | None = col("The marker as printed (`1`, `¹`, `*`), null if none")
    anchor_char: Int32 | None = col("Offset of the marker in the paragraph's clean text")
    text: str = col("The note's clean text")
    refers_to: str | None = col("For 'See Note 13' and the like: the citation_id referred to")
    cited_works: list[CitedWork] | None = col("Each work the note cites")
    line_start: Int32 = col("First raw line of the note's text")
    line_end: Int32 = col("Last raw line of the note's text")
    char_start: Int64 = col("Start offset of the note's text in the decoded raw text")
    char_end: Int64 = col("End offset of the note's text (exclusive)")


class Event(Row):
    """Dated events: every entry of a chronology, and dated events stated in the text."""

    __table__ = "events"
    __per_source__ = True
    event_id: str = col("Unique, stable event ID (`<source_id>:e<seq>`)")
    source_id: str = col("Source stating the event")
    paragraph_id: str = col("Where the event is stated")
    date_start: dt.date | None = col("Date (New Style); first day of a range")
    date_end: dt.date | None = col("Last day of a range; null for a single date")
    date_precision: DatePrecision | None = col("Precision of the date")
    date_text: str | None = col("The date as written")
    text: str = col("What happened, clean")
    kind: EventKind = col("chronology (an entry of a printed chronology) or text (found in running text)")
    date_old_style: dt.date | None = col("Julian (Old Style) date where the text gives one (added column)")


class DiscardedText(Row):
    """Everything taken out of the content tables, and why."""

    __table__ = "discarded_text"
    __per_source__ = True
    source_id: str = col("Source the text was removed from")
    line_start: Int32 = col("First raw line (1-based, inclusive)")
    line_end: Int32 = col("Last raw line (1-based, inclusive)")
    char_start: Int64 = col("Start offset in the decoded raw text (0-based)")
    char_end: Int64 = col("End offset in the decoded raw text (exclusive)")
    reason: DiscardReason = col("Why it was removed")
    text: str = col("The raw text removed")


class Entity(Row):
    """People, states, places, organisations, publications, events, treaties."""

    __table__ = "entities"
    __per_source__ = False
    entity_id: str = col("`<type>:<slug>`, unique, stable across builds")
    type: EntityType = col("Entity type (see ENTITY-RULES.md)")
    name: str = col("Canonical name")
    aliases: list[str] = col("Other names seen in the corpus")
    n_mentions: Int32 = col("Number of rows in entity_mentions")
    n_documents: Int32 = col("Leaf documents mentioning it")


class EntityMention(Row):
    """Every place an entity is named."""

    __table__ = "entity_mentions"
    __per_source__ = False
    entity_id: str = col("The entity named")
    paragraph_id: str = col("Paragraph holding the mention")
    doc_id: str = col("Document of that paragraph")
    source_id: str = col("Source of that paragraph")
    char_start: Int32 = col("Start offset into the paragraph's clean text")
    char_end: Int32 = col("End offset into the paragraph's clean text (exclusive)")
    surface: str = col("The text as it stands there")
    method: str = col("How it was found: gazetteer, pattern (linking rules), markup (the source's own persName/placeName/orgName tags, TEI), "
                      "rule (a name the gazetteer lacks, found by its form: a titled person and later uses of the surname, "
                      "'<state adjective> <body>', a capitalised name ending in Commission, Committee, Council..., Cape/Lake/Fort <name>, "
                      "<name> Railway/River/Bay...; pipelines/extraction/unlisted.py)")


class Treaty(Row):
    """One row per treaty or international agreement."""

    __table__ = "treaties"
    __per_source__ = False
    treaty_id: str = col("Equals its entities.entity_id (`treaty:<slug>`)")
    name: str = col("Canonical English name")
    treaty_type: TreatyType | None = col("Kind of treaty")
    parties: list[str] | None = col("Canonical names of the parties (entities.name of type state); null when the text names none")
    date_signed: dt.date | None = col("Date of signature (New Style)")
    place_signed: str | None = col("Where it was signed")
    n_mentions: Int32 = col("Mentions in entity_mentions")
    reference_fields: list[str] | None = col(
        "Which of date_signed, parties, place_signed come from the project's curated reference list "
        "(pipelines/extraction/gazetteer/treaties.yaml) because no paragraph of the corpus states them; "
        "empty when every fact is backed by the text (added column)"
    )


class TreatyEvent(Row):
    """What happened to a treaty, with evidence."""

    __table__ = "treaty_events"
    __per_source__ = False
    treaty_id: str = col("The treaty")
    event: TreatyEventKind = col("What happened")
    date: dt.date | None = col("When (New Style)")
    date_text: str | None = col("The date as written")
    paragraph_id: str = col("The paragraph stating it (evidence)")
    source_id: str = col("Source of that paragraph")


TABLES: dict[str, type[Row]] = {
    m.__table__: m
    for m in (
        Source, Document, Paragraph, Citation, Event, DiscardedText,
        Entity, EntityMention, Treaty, TreatyEvent,
    )
}
PER_SOURCE_TABLES = [name for name, m in TABLES.items() if m.__per_source__]
CORPUS_TABLES = [name for name, m in TABLES.items() if not m.__per_source__]


# --- derivation: pydantic annotation -> Arrow type ---------------------------------------

def _unwrap(annotation):
    """-> (core annotation, nullable, metadata list)."""
    nullable = False
    meta: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            annotation, meta = args[0], meta + list(args[1:])
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, nullable, meta


def arrow_type(annotation) -> pa.DataType:
    core, _, meta = _unwrap(annotation)
    for m in meta:
        if isinstance(m, Arrow):
            return m.type
    origin = typing.get_origin(core)
    if origin is Literal or core is str:
        return pa.string()
    if origin is list:
        return pa.list_(arrow_type(typing.get_args(core)[0]))
    if core is int:
        return pa.int64()
    if core is dt.date:
        return pa.date32()
    if core is bool:
        return pa.bool_()
    if isinstance(core, type) and issubclass(core, BaseModel):
        return pa.struct([arrow_field(n, f) for n, f in core.model_fields.items()])
    raise TypeError(f"no Arrow type for {annotation!r}")


def field_arrow_type(field) -> pa.DataType:
    """Arrow type of a pydantic field (pydantic moves top-level ``Annotated`` metadata into
    ``field.metadata``)."""
    for m in field.metadata:
        if isinstance(m, Arrow):
            return m.type
    return arrow_type(field.annotation)


def arrow_field(name: str, field) -> pa.Field:
    _, nullable, _ = _unwrap(field.annotation)
    return pa.field(
        name,
        field_arrow_type(field),
        nullable=nullable,
        metadata={"description": field.description or ""},
    )


def arrow_schema(model: type[Row]) -> pa.Schema:
    return pa.schema(
        [arrow_field(n, f) for n, f in model.model_fields.items()],
        metadata={
            "contract_version": CONTRACT_VERSION,
            "table": model.__table__,
            "description": (model.__doc__ or "").strip(),
        },
    )


def enum_values(model: type[Row]) -> dict[str, list[str]]:
    """Columns restricted to a list of values -> the values."""
    out = {}
    for name, field in model.model_fields.items():
        core, _, _ = _unwrap(field.annotation)
        if typing.get_origin(core) is Literal:
            out[name] = list(typing.get_args(core))
    return out


def id_column(model: type[Row]) -> str | None:
    """The first ID column (rows are sorted by it); None for tables without a single key."""
    first = next(iter(model.model_fields))
    return first if first.endswith("_id") else None


def is_nullable(field) -> bool:
    return _unwrap(field.annotation)[1]


def type_label(field) -> str:
    """Human-readable type of a field for the data dictionary (as the contract writes it)."""
    return _label(field_arrow_type(field))


def _label(t: pa.DataType) -> str:
    if pa.types.is_list(t) and pa.types.is_struct(t.value_type):
        return "list<struct>"
    if pa.types.is_list(t):
        return f"list<{_label(t.value_type)}>"
    return {
        pa.string(): "string", pa.int16(): "int16", pa.int32(): "int32", pa.int64(): "int64",
        pa.date32(): "date32", pa.bool_(): "bool",
    }.get(t, str(t))
