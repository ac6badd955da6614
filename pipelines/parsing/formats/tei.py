"""TEI XML (and other XML documents): the ``<div>`` structure as the document tree.

``parse(text) -> ParsedSource`` (format ``tei_xml``); ``parse_xml`` does the same for XML that
is not TEI (format ``xml``: leaf elements holding text become paragraphs). lxml parses the
tree; ``formats.html.locate`` finds every node's raw span, so offsets point into the raw file.

The rules, each a named function:

- ``teiHeader`` (metadata) is discarded as ``boilerplate``; its ``titleStmt/title`` is the title.
- Every ``div`` (``div1``..``div7``, ``front``, ``back``) is a document: ``div_kind`` from its
  ``@type``/``@subtype`` (``chapter``/``compilation`` → chapter, ``document`` → a writing whose
  kind ``writing_kind`` reads from its heading and source note: telegram, letter, report...).
  A writing's metadata (``writing_metadata``): title from ``<head>``, date from the first
  ``<date when=...>`` of its opener/dateline (else a ``*dateTime-min``/``@when`` attribute on
  the div), place from the dateline's ``<placeName>``, author from ``persName[@type=from]`` in
  the head (else the ``<signed>`` name), provenance from its source note.
- Blocks: ``p``/``ab`` → text, ``head``/``titlePart`` → heading, ``dateline``/``byline``/
  ``docImprint`` → editorial, ``signed``/``salute`` and loose text in ``closer`` → signature,
  ``item`` → list_item, ``row`` → table_row (cells joined by `` | ``), ``quote`` → quote.
  A list's ``<label>`` opens its ``<item>``'s paragraph (``1. Murder ...``).
- In a writing (a treaty printed in a document), a ``p``/``ab``/``head`` whose whole text is an
  article heading (``article_title``: ``Article I``) is a heading opening an article
  ``section`` up to the next one or the closing clause (``In witness whereof``, ``<closer>``).
- ``<note>`` inside a block: a footnote ``Note`` anchored where it stands (its text leaves the
  paragraph's text); ``<note type="source">`` is a document-level ``source_note``.
- ``<pb n=...>``: the page model (``Para.page``); its tag is discarded as ``page_number``.
- ``<choice>``: the corrected/regularised/expanded reading is kept (``corr``/``reg``/``expan``).
- ``persName``/``placeName``/``orgName`` inside a paragraph: a ``Name`` with its span in the
  paragraph's clean text, its ``@corresp``/``@ref`` and the text of the element that reference
  points to in the same file (a front-matter person list: ``#p_FDR1`` → ``Francis, David R.``).
  ``parse`` leaves them out (the paragraphs are the same either way); ``parse_names`` returns
  them for the entity step (``pipelines.extraction.markup``). How the span is found: the
  element's text is wrapped in sentinel tokens while the block's pieces are gathered, and a
  token's place is counted in non-whitespace characters, which cleaning never moves.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipelines.parsing.formats.html import (
    Inline,
    Located,
    RawText,
    is_bracketed_remark,
    localname,
    locate,
    markup_gaps,
    markup_only,
    text_of,
)
from pipelines.parsing.formats.treaty_text import SIGNING, WITNESS, article_heading
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import MARK, clean

FORMAT = "tei_xml"

DIVS = frozenset({"div", "div1", "div2", "div3", "div4", "div5", "div6", "div7", "front", "back"})
BLOCK_KIND = {
    "p": "text", "ab": "text", "head": "heading", "titlepart": "heading", "dateline": "editorial",
    "byline": "editorial", "docimprint": "editorial", "docdate": "editorial", "docauthor": "editorial",
    "signed": "signature", "salute": "signature", "item": "list_item", "row": "table_row",
    "l": "text", "label": "heading", "trailer": "editorial", "speaker": "editorial",
    "stage": "editorial", "quote": "quote", "bibl": "editorial", "argument": "editorial",
    "opener": "editorial", "closer": "signature", "postscript": "text", "epigraph": "quote",
}
INLINE = frozenset(
    "hi persname placename orgname geogname date time ref ptr gloss emph foreign title name rs term "
    "num measure abbr expan sic corr choice orig reg seg q said socalled mentioned add del unclear "
    "supplied lb pb note anchor g c w pc cb milestone gap damage index span surname forename "
    "rolename addname idno".split()
)
SKIP = frozenset({"figure", "graphic", "facsimile", "fw", "gap", "index"})
RUN_KIND = {"closer": "signature", "opener": "editorial", "item": "list_item", "docimprint": "editorial"}
_ALTERNATIVE = {"sic": "corr", "orig": "reg", "abbr": "expan"}
NAME_ELEMENTS = frozenset({"persname", "placename", "orgname"})
LISTED_HOLDERS = frozenset({"person", "place", "org"})  # listPerson-style entries holding a name
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
# sentinels around a name's text while a block's pieces are gathered: OPEN<i>END ... CLOSE<i>END
_NAME_OPEN, _NAME_CLOSE, _NAME_END = "\ue001", "\ue003", "\ue002"
_NAME_TOKEN = re.compile(f"([{_NAME_OPEN}{_NAME_CLOSE}])(\\d+){_NAME_END}")
_PAGE_N = re.compile(r"^\d{1,5}$")

WRITING_KINDS = [
    (re.compile(r"\btelegra(?:m|phic)\b", re.I), "telegram"),
    (re.compile(r"\b(?:memorandum|report|despatch|dispatch|minutes)\b", re.I), "report"),
    (re.compile(r"\b(?:aide-m[ée]moire|note verbale)\b|^\s*note\b", re.I), "note"),
    (re.compile(r"\b(?:press release|statement|declaration|communiqu[ée]|announcement)\b", re.I), "statement"),
    (re.compile(r"\b(?:speech|address|remarks)\b", re.I), "speech"),
    (re.compile(r"\binterview\b", re.I), "interview"),
    (re.compile(r"\b(?:decree|resolution|proclamation)\b", re.I), "decree"),
    (re.compile(r"\b(?:treaty|agreement|protocol|convention|pact)\b", re.I), "other"),
    (re.compile(r"\bletter\b|\bto the\b|\bto his\b", re.I), "letter"),
]
WRITINGS = frozenset({"letter", "telegram", "report", "note", "statement", "speech", "interview", "decree", "other"})
DOC_KINDS = {
    "book", "collection", "page", "front_matter", "contents", "introduction", "chapter", "section",
    "speech", "report", "decree", "letter", "telegram", "interview", "article", "statement", "note",
    "excerpt", "chronology", "notes", "other",
}


def writing_kind(heading: str, source_note: str = "") -> str:
    """The kind of a contained writing from its source note (``...: Telegram``) and heading
    (``The Secretary of State to the Ambassador in Argentina`` → letter)."""
    for text in (source_note, heading):
        for rx, kind in WRITING_KINDS:
            if text and rx.search(text):
                return kind
    return "other"


def div_kind(el, heading: str, source_note: str) -> str:
    name = localname(el.tag)
    if name == "front":
        return "front_matter"
    if name == "back":
        return "other"
    t, sub = (el.get("type") or "").lower(), (el.get("subtype") or "").lower()
    if "content" in sub or "toc" in sub or t in ("contents", "toc"):
        return "contents"
    if t in ("chapter", "compilation", "part", "book", "volume"):
        return "chapter"
    if t == "document" or sub == "historical-document":
        return writing_kind(heading, source_note)
    if t in ("preface", "introduction", "foreword"):
        return "introduction"
    if t in ("notes", "endnotes", "footnotes"):
        return "notes"
    if t in DOC_KINDS and t not in ("book", "collection", "page"):
        return t
    return "section"


def when_date(value: str | None) -> tuple[dt.date | None, str | None]:
    """``1934-02-25T17:00:00-05:00`` → (date, 'day'); ``1934-02`` → month; ``1934`` → year."""
    if not value:
        return None, None
    m = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not m:
        return None, None
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            return dt.date(y, int(mo), int(d)), "day"
        if mo:
            return dt.date(y, int(mo), 1), "month"
        return dt.date(y, 1, 1), "year"
    except ValueError:
        return None, None


def plain_text(el, skip_notes: bool = True) -> str:
    """Clean text of an element, notes (and figures) left out."""
    return text_of(el, breaks="lb", skip=SKIP | {"note"} if skip_notes else SKIP)


@dataclass
class Name:
    """A ``persName``/``placeName``/``orgName`` inside a paragraph."""

    para: int  # index into ParsedSource.paras
    element: str  # persname / placename / orgname
    char_start: int  # span of its text in the paragraph's clean text
    char_end: int
    surface: str  # paragraph text[char_start:char_end]
    ref: str | None = None  # @corresp or @ref as written
    listed: str | None = None  # text of the name the reference points to (or of its own list entry)


def _has_text(pieces: list[str]) -> bool:
    """Whether gathered pieces hold text (name sentinels do not count)."""
    s = "".join(pieces)
    if _NAME_OPEN in s:
        s = _NAME_TOKEN.sub("", s)
    return bool(s.strip())


def _nonspace(s: str) -> str:
    return "".join(s.split())


def text_with_names(acc: Inline) -> tuple[str, list[int], list[tuple[int, int, int]]]:
    """``acc.text()`` (clean text, note anchors) without the name sentinels, plus
    ``(name index, start, end)`` of every name in that text. The text with sentinels and the
    text without them differ only in whitespace, so a sentinel's place is the number of
    non-whitespace characters before it; a name whose characters do not match is dropped."""
    joined = "".join(acc.pieces)
    if _NAME_OPEN not in joined:
        text, anchors = acc.text()
        return text, anchors, []
    text, anchors = Inline(pieces=[_NAME_TOKEN.sub("", joined)]).text()
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    marked = clean(joined)
    opened: dict[int, tuple[int, int]] = {}  # name index → (non-space count, end of its token)
    spans, count, last = [], 0, 0
    for m in _NAME_TOKEN.finditer(marked):
        count += sum(1 for ch in marked[last : m.start()] if not ch.isspace() and ch != MARK)
        last = m.end()
        i = int(m.group(2))
        if m.group(1) == _NAME_OPEN:
            opened[i] = (count, m.end())
            continue
        if i not in opened:
            continue
        a, inner_start = opened.pop(i)
        if count <= a or count > len(visible):
            continue  # an empty name
        start, end = visible[a], visible[count - 1] + 1
        inner = _NAME_TOKEN.sub("", marked[inner_start : m.start()]).replace(MARK, "")
        if _nonspace(text[start:end]) == _nonspace(inner):
            spans.append((i, start, end))
    spans.sort(key=lambda s: (s[1], -s[2]))  # text order, an outer name before the ones inside it
    return text, anchors, spans


def entity_references(root) -> list[tuple[str, str | None, str]]:
    """(element, @ref/@corresp, text) of every persName/placeName/orgName in the file, notes and
    header included (``parse_names`` gives those inside paragraphs, with offsets)."""
    out = []
    for el in root.iter():
        n = localname(el.tag)
        if n in ("persname", "placename", "orgname"):
            out.append((n, el.get("ref") or el.get("corresp"), plain_text(el)))
    return out


def _first(el, names: set[str], stop: set[str] = DIVS):
    """First descendant with a local name in ``names``, not looking inside nested divs."""
    for c in el:
        if not isinstance(c.tag, str) or localname(c.tag) in stop:
            continue
        if localname(c.tag) in names:
            return c
        hit = _first(c, names, stop)
        if hit is not None:
            return hit
    return None


def writing_metadata(el, doc: Doc) -> None:
    """Title, date, place, author and provenance of a div from its own elements."""
    head = _first(el, {"head"})
    if head is not None:
        doc.title = plain_text(head) or None
    # the source note: a child of the div, or inside its head (older encodings)
    near = [*el, *(head.iter() if head is not None else [])]
    src = [c for c in near if localname(c.tag) == "note" and (c.get("type") or "") == "source"]
    if src:
        doc.provenance = plain_text(src[0], skip_notes=False) or None
    dateline = _first(el, {"dateline"})
    date_el = _first(dateline, {"date"}) if dateline is not None else None
    if date_el is None:
        opener = _first(el, {"opener"})
        date_el = _first(opener, {"date"}) if opener is not None else None
    when = date_el.get("when") if date_el is not None else None
    if not when:
        when = next((v for k, v in el.attrib.items() if k.endswith("dateTime-min") or k == "when"), None)
    doc.date, doc.date_precision = when_date(when)
    if date_el is not None:
        doc.date_text = plain_text(date_el) or None
    if dateline is not None:
        place = _first(dateline, {"placename"})
        doc.place = plain_text(place) if place is not None else None
    author = None
    if head is not None:
        frm = next((c for c in head.iter() if localname(c.tag) == "persname" and c.get("type") == "from"), None)
        author = plain_text(frm) if frm is not None else None
    if author is None:
        signed = _first(el, {"signed"})
        author = plain_text(signed) if signed is not None else None
    doc.author = author or None


XML_TITLES = frozenset({"title", "head", "heading", "h"})


def next_element(el):
    """The next sibling that is an element (comments and processing instructions skipped)."""
    nxt = el.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    return nxt


def is_item(el) -> bool:
    return el is not None and localname(el.tag) == "item"


def article_title(el) -> str | None:
    """``<p rend="center">Article I</p>`` (or a ``head``): a block whose whole text is an
    article heading (``Article I``, ``ARTICLE 2.``, small capitals printed ``article iii``) →
    its title (``Article I``); None otherwise."""
    text = plain_text(el)
    if len(text) > 40:
        return None
    ah = article_heading(text)
    if ah and not text[ah[1] :].strip():
        return ah[0].rstrip(".:")
    ah = article_heading(text.upper())  # small capitals encoded in lower case
    if ah and not text[ah[1] :].strip():
        word, num = ah[0].rstrip(".:").split(maxsplit=1)
        return f"{word.capitalize()} {num if not num.isalpha() or re.fullmatch('[IVXLC]+', num) else num.capitalize()}"
    return None


def closes_instrument(text: str) -> bool:
    """The closing clause of a treaty (``In witness whereof``, ``Done at ...``)."""
    return bool(WITNESS.match(text) or SIGNING.match(text))


def is_xml_record(el) -> bool:
    """Generic XML: an element whose direct children include a title (and something more)."""
    kids = [c for c in el if isinstance(c.tag, str)]
    return len(kids) >= 2 and any(localname(c.tag) in XML_TITLES for c in kids)


class TeiBuilder:
    def __init__(self, raw: str, root, loc: Located, fmt: str):
        self.raw, self.root, self.loc, self.fmt = raw, root, loc, fmt
        self.out = ParsedSource(format=fmt)
        self.out.add_doc(Doc(kind="page" if fmt == "xml" else "book", char_start=0, char_end=len(raw)))
        self.page: int | None = None
        self.name_elements: list = []  # every name element met, in order (sentinel index)
        self.names: list[Name] = []
        self._ids: dict | None = None

    def span(self, el) -> tuple[int, int]:
        return self.loc.el.get(el) or (0, 0)

    def discard(self, el, reason: str) -> None:
        a, b = self.span(el)
        if b > a:
            self.out.discards.append(Discard(a, b, reason))

    def set_page(self, el) -> None:
        n = (el.get("n") or "").strip()
        self.page = int(n) if _PAGE_N.match(n) else self.page
        self.discard(el, "page_number")

    # inline
    def collect(self, el, acc: Inline) -> None:
        if el.text:
            acc.pieces.append(el.text)
        children = list(el)
        names = {localname(c.tag) for c in children if isinstance(c.tag, str)}
        for c in children:
            n = localname(c.tag)
            if not isinstance(c.tag, str) or n in SKIP:
                pass
            elif n == "note":
                acc.pieces.append(MARK)
                acc.notes.append(c)
            elif n == "pb":
                acc.pages.append((c, None, not _has_text(acc.pieces)))
            elif n in ("lb", "cb"):
                acc.pieces.append(" ")
            elif n in _ALTERNATIVE and _ALTERNATIVE[n] in names and localname(el.tag) == "choice":
                pass
            elif n in NAME_ELEMENTS:
                self.collect_name(c, acc)
            elif n in ("cell",):
                if _has_text(acc.pieces):
                    acc.pieces.append(" | ")
                self.collect(c, acc)
            else:
                self.collect(c, acc)
            if c.tail:
                acc.pieces.append(c.tail)

    def collect_name(self, el, acc: Inline) -> None:
        """``collect`` with the element's text between sentinels carrying its index."""
        i = len(self.name_elements)
        self.name_elements.append(el)
        acc.pieces.append(f"{_NAME_OPEN}{i}{_NAME_END}")
        self.collect(el, acc)
        acc.pieces.append(f"{_NAME_CLOSE}{i}{_NAME_END}")

    def listed(self, el) -> str | None:
        """The name a reference points to: ``@corresp``/``@ref="#id"`` → the text of that
        element (a ``persName``, or the first name inside a ``person``/``place``/``org``); a
        name that is itself a list entry (has an ``xml:id``) is its own listed name."""
        ref = (el.get("corresp") or el.get("ref") or "").split()
        if len(ref) == 1 and ref[0].startswith("#"):
            if self._ids is None:
                self._ids = {e.get(XML_ID): e for e in self.root.iter() if isinstance(e.tag, str) and e.get(XML_ID)}
            target = self._ids.get(ref[0][1:])
        elif not ref and el.get(XML_ID):
            target = el
        else:
            return None
        if target is not None and localname(target.tag) in LISTED_HOLDERS:
            target = next((e for e in target.iter() if localname(e.tag) in NAME_ELEMENTS), None)
        if target is None or localname(target.tag) not in NAME_ELEMENTS:
            return None
        return plain_text(target) or None

    def add_names(self, para: int, text: str, spans: list[tuple[int, int, int]]) -> None:
        for i, a, b in spans:
            el = self.name_elements[i]
            self.names.append(Name(para, localname(el.tag), a, b, text[a:b],
                                   el.get("corresp") or el.get("ref"), self.listed(el)))

    def add_block(self, kind: str, start: int, end: int, acc: Inline, doc: int) -> int | None:
        page = self.page
        for pb, _, leading in acc.pages:
            self.set_page(pb)
            if leading:
                page = self.page
        text, anchors, names = text_with_names(acc)
        p = None
        if text:
            if kind == "text" and is_bracketed_remark(text):
                kind = "editorial"
            p = self.out.add_para(Para(doc=doc, kind=kind, text=text, char_start=start, char_end=end, page=page))
            d = self.out.docs[doc]
            d.char_end = max(d.char_end, end)
            self.add_names(p, text, names)
        elif end > start and markup_only(self.raw[start:end]):
            self.out.discards.append(Discard(start, end, "boilerplate"))
        for note_el, off in zip(acc.notes, anchors if text else [None] * len(acc.notes)):
            self.add_note(note_el, doc, p, off)
        return p

    def add_note(self, el, doc: int, para: int | None, anchor: int | None) -> None:
        acc = Inline()
        self.collect(el, acc)
        text, _, _ = text_with_names(acc)  # names in notes: no paragraph, no mention
        a, b = self.span(el)
        source = (el.get("type") or "").lower() == "source"
        if not text:
            return
        self.out.add_note(
            Note(
                doc=doc,
                kind="source_note" if source else "footnote",
                text=text,
                char_start=a,
                char_end=b,
                para=None if source else para,
                anchor_char=None if source else anchor,
                marker=None if source else (el.get("n") or None),
            )
        )

    def is_block(self, el) -> bool:
        """A paragraph-making element: a known block, or (generic XML) an unknown element
        holding text and only inline content; a block holding blocks is a container."""
        n = localname(el.tag)
        if n in INLINE or n in DIVS or n in SKIP:
            return False
        if self.has_block(el):
            return False
        return n in BLOCK_KIND or bool("".join(el.itertext()).strip())

    def has_block(self, el) -> bool:
        """Whether ``el`` holds a non-inline element (not counting what notes hold). The cells
        of a ``row`` are its inline content (one ``table_row`` paragraph, cells joined by
        `` | ``) unless a cell holds a block itself."""
        row = localname(el.tag) == "row"
        for c in el:
            if not isinstance(c.tag, str):
                continue
            n = localname(c.tag)
            if n == "note":
                continue
            if row and n == "cell":
                if self.has_block(c):
                    return True
                continue
            if n not in INLINE or self.has_block(c):
                return True
        return False

    def walk(self, el, doc: int, in_quote: bool = False, label: tuple[Inline, tuple[int, int]] | None = None) -> None:
        """Blocks of ``el`` into ``doc``. ``label``: a list label (gathered text and span) that
        opens the first paragraph of this ``item``. In a writing, an article heading opens an
        article ``section`` that holds what follows up to the next one or the closing clause."""
        name = localname(el.tag)
        in_quote = in_quote or name in ("quote", "epigraph", "cit")
        run = Inline()
        span: list[int] = []
        run_kind = "quote" if in_quote else RUN_KIND.get(name, "text")
        cur = doc  # the open article section, else ``doc``
        articles = self.out.docs[doc].kind in WRITINGS
        pending = None  # a <label> waiting for its <item>

        def flush() -> None:
            if span:
                self.add_block(run_kind, span[0], span[1], run, cur)
            run.pieces.clear()
            run.notes.clear()
            run.pages.clear()
            span.clear()

        def extend(ab) -> None:
            if not ab or ab[1] <= ab[0]:
                return
            if span:
                span[0], span[1] = min(span[0], ab[0]), max(span[1], ab[1])
            else:
                span.extend(ab)

        if label is not None:
            run.pieces.extend(label[0].pieces)
            run.notes.extend(label[0].notes)
            run.pages.extend(label[0].pages)
            extend(label[1])
        if el.text and el.text.strip():
            run.pieces.append(el.text)
            extend(self.loc.text.get(el))
        for c in el:
            n = localname(c.tag)
            held, pending = pending, None
            if not isinstance(c.tag, str):
                pending = held  # a comment between a label and its item
            elif n == "label" and is_item(next_element(c)):
                flush()
                pending = (Inline(), self.span(c))
                self.collect(c, pending[0])
                pending[0].pieces.append(" ")
            elif n == "item" and held is not None and self.is_block(c):
                flush()
                acc = held[0]
                self.collect(c, acc)
                self.add_block("list_item", held[1][0], self.span(c)[1], acc, cur)
            elif n == "item" and held is not None:
                flush()
                self.walk(c, cur, in_quote, held)
            elif n == "teiheader":
                flush()
                self.discard(c, "boilerplate")
                self.header_title(c)
            elif n in SKIP:
                flush()
                self.discard(c, "boilerplate")
            elif n == "pb" and _has_text(run.pieces):
                run.pages.append((c, None, False))  # a page break inside running text
            elif n == "pb":
                flush()
                self.set_page(c)
            elif n == "note" and _has_text(run.pieces) and (c.get("type") or "").lower() != "source":
                run.pieces.append(MARK)  # a note after running text: anchored there
                run.notes.append(c)
                extend(self.span(c))
            elif n == "note":
                flush()
                self.add_note(c, cur, None, None)
                if (c.get("type") or "").lower() == "source":
                    d = self.out.docs[doc]
                    d.provenance = d.provenance or plain_text(c, skip_notes=False)
            elif n in DIVS:
                flush()
                cur = doc
                self.div(c, doc)
            elif self.fmt == "xml" and is_xml_record(c):
                flush()
                self.xml_record(c, cur)
            elif self.fmt == "xml" and n in XML_TITLES and not self.has_block(c):
                flush()
                acc = Inline()
                self.collect(c, acc)
                self.add_block("heading", *self.span(c), acc, cur)
            elif self.is_block(c):
                flush()
                acc = Inline()
                self.collect(c, acc)
                a, b = self.span(c)
                kind = BLOCK_KIND.get(n, "text")
                title = article_title(c) if articles and n in ("p", "ab", "head") else None
                if title:
                    cur = self.out.add_doc(Doc(kind="section", char_start=a, char_end=b, parent=doc, title=title))
                    kind = "heading"
                elif articles and cur != doc and (n == "closer" or closes_instrument(plain_text(c))):
                    cur = doc  # the closing clause belongs to the instrument, not its last article
                self.add_block("quote" if in_quote and kind == "text" else kind, a, b, acc, cur)
            elif n in INLINE:
                if n in ("lb", "cb", "anchor", "milestone"):
                    run.pieces.append(" ")
                else:
                    holder = Inline()
                    (self.collect_name if n in NAME_ELEMENTS else self.collect)(c, holder)
                    run.pieces.extend(holder.pieces)
                    run.notes.extend(holder.notes)
                    run.pages.extend(holder.pages)
                    extend(self.span(c))
            else:
                flush()
                if articles and cur != doc and n == "closer":
                    cur = doc
                self.walk(c, cur, in_quote)
            if c.tail and c.tail.strip():
                run.pieces.append(c.tail)
                extend(self.loc.tail.get(c))
        flush()

    def div(self, el, parent: int) -> None:
        a, b = self.span(el)
        d = Doc(kind="section", char_start=a, char_end=b, parent=parent)
        writing_metadata(el, d)
        opener = _first(el, {"opener"})
        hint = " ".join(x for x in (d.provenance, plain_text(opener) if opener is not None else "") if x)
        d.kind = div_kind(el, d.title or "", hint)
        if d.kind in WRITINGS:
            self.out.docs[0].kind = "collection"  # a volume of contained writings
        if d.kind not in WRITINGS:
            d.date = d.date_precision = d.date_text = d.author = None  # only writings carry them
            d.place = None
        i = self.out.add_doc(d)
        self.walk(el, i)

    def xml_record(self, el, parent: int) -> None:
        """A generic-XML element with a title child: a document (kind from its name)."""
        a, b = self.span(el)
        title_el = next(c for c in el if localname(c.tag) in XML_TITLES)
        name = localname(el.tag)
        kind = writing_kind(name)
        d = Doc(kind=kind if kind != "letter" or "letter" in name else "section", char_start=a, char_end=b, parent=parent)
        d.title = plain_text(title_el) or None
        when = el.get("date") or el.get("when")
        d.date, d.date_precision = when_date(when)
        d.date_text = when if d.date else None
        self.walk(el, self.out.add_doc(d))

    def header_title(self, header) -> None:
        titles = [t for t in header.iter() if localname(t.tag) == "title"]
        best = next((t for t in titles if t.get("type") == "complete"), titles[0] if titles else None)
        if best is not None and not self.out.title:
            self.out.title = plain_text(best) or None
            self.out.docs[0].title = self.out.title

    def finish(self) -> ParsedSource:
        if not self.out.title:
            head = next((p for p in self.out.paras if p.kind == "heading"), None)
            self.out.title = head.text if head else None
            self.out.docs[0].title = self.out.title
        spans = [(x.char_start, x.char_end) for x in (*self.out.paras, *self.out.notes, *self.out.discards)]
        self.out.discards.extend(markup_gaps(self.raw, spans))
        return self.out


def parse_tree(text: str):
    from lxml import etree

    parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False, remove_comments=False)
    try:
        return etree.fromstring(text.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError:
        return None


def parse_names(text: str, fmt: str = FORMAT) -> tuple[ParsedSource, list[Name]]:
    """``parse`` and the names inside its paragraphs (for the entity step)."""
    root = parse_tree(text)
    if root is None:
        from pipelines.parsing.formats import plain

        return plain.parse(text, fmt), []
    loc = locate(root, RawText(text))
    b = TeiBuilder(text, root, loc, fmt)
    # the root element itself: a container (TEI → teiHeader + text)
    b.walk(root, 0)
    return b.finish(), b.names


def parse(text: str, fmt: str = FORMAT) -> ParsedSource:
    return parse_names(text, fmt)[0]


def parse_xml(text: str) -> ParsedSource:
    return parse(text, "xml")
