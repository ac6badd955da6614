"""HTML pages: parsed with lxml, every record pointing into the raw file.

``parse(text) -> ParsedSource`` (format ``html``). The steps, each a named function:

1. ``parse_tree``: lxml.html builds the element tree (entities decoded, broken markup repaired).
2. ``locate``: walks the tree in document order and finds, progressively, where each element's
   start tag, end tag, text and tail stand in the raw text (``RawText`` gives an
   entity-decoded view of the raw text with an offset map back, so ``&amp;``/``&#8212;``/
   ``&nbsp;`` match the characters lxml gives). Elements the parser invented (``<html>``,
   ``<body>``, a ``<p>`` around loose text) are recognised by the text they would skip and get
   no tag span. This machinery is shared with the TEI/XML parser (``formats/tei.py``).
3. ``HtmlBuilder``: block elements (``p``, ``h1``-``h6``, ``li``, ``blockquote``, ``pre``,
   ``dd``, ``tr``...) become paragraphs spanning the whole element, tags included; inline text
   standing loose in a container becomes a paragraph of its own. Headings open documents by
   level (a single leading ``h1`` is the page title and stays in the root). Non-content
   elements (``script``, ``style``, ``nav``, ``header``/``footer`` outside ``article``/
   ``main``, ``aside``, ``form``..., and elements whose class/id/role says navigation, menu,
   sidebar, breadcrumb, cookie banner) are discarded as ``boilerplate``.
4. Footnotes: a link ``<a href="#fn1">`` whose text is a short label (``1``, ``[1]``, ``*``)
   or that stands in/around a ``<sup>``, and a bare ``<sup>1</sup>``, is a marker: removed from
   the clean text, its place kept as ``anchor_char``. A block whose id (or an ancestor's, or a
   leading ``<a name>``) a marker links to, or any block inside a ``footnotes``/``endnotes``
   container, is a note (a ``Note`` linked to the paragraph holding its marker); its own
   back-link (``↩``, or the label link) is dropped from its text.
   A note's target anchor may follow its printed label (``<p class="fn"><span><a href="#ft1">1
   </a></span><a name="fn1">``); a ``#`` link carrying the label inside a note is its back-link.
5. Page numbers (``<span class="pagenum">[Pg 12]</span>``, ``<a name="p12">``-style anchors
   whose class says page, empty ``<a class="pagebreak" title="12">`` anchors) are taken out of
   the text (``page_number`` discards) and give ``Para.page``.
6. Markup between records (tags, comments, the doctype, ``&nbsp;`` spacers) is discarded as
   ``boilerplate`` (``markup_gaps``): only regions made of tags alone — text a rule failed to
   place is left to ``assemble()`` as ``other``, so a miss shows.
7. Blocks holding an e-text's licence frame (Project Gutenberg's ``*** START OF ...`` header,
   ``End of the Project Gutenberg EBook`` footer) and table rows of links only are
   ``boilerplate``; a heading with only headings under it (the lines of a title page, a
   half-title) opens no document (``drop_empty_sections``).
"""

from __future__ import annotations

import bisect
import html as html_lib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.parsing.assemble import merge_spans
from pipelines.parsing.formats.plain import is_licence_text
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import MARK, clean, take_marks

FORMAT = "html"

# --- raw text with entities decoded ----------------------------------------------------------

_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|\r(?=\n)")


def _entity_char(ref: str) -> str | None:
    if ref[0] == "#":
        try:
            n = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
            if 0x80 <= n < 0xA0:  # browsers (and libxml2) read these as Windows-1252
                return bytes([n]).decode("cp1252", errors="replace")
            return chr(n) if 0 < n < 0x110000 else None
        except ValueError:
            return None
    return html_lib.entities.html5.get(ref + ";")


class RawText:
    """The raw markup with character references decoded (and ``\\r\\n`` → ``\\n``), plus the
    offset of each decoded character in the raw text: text as lxml reports it can be found in
    ``decoded`` and mapped back to raw offsets.

    The map is kept as pieces (a run of literal text, or one reference's replacement), not one
    offset per character: ``seg_dec``/``seg_raw`` hold each piece's start in the decoded and the
    raw text, ``seg_len`` its decoded length and ``seg_lit`` whether it is literal (its
    characters map one to one) or a reference (all its characters map to the reference's start).
    """

    def __init__(self, raw: str):
        self.raw = raw
        if "&" not in raw and "\r" not in raw:
            self.decoded, self.seg_dec = raw, None  # identity map
            return
        parts: list[str] = []
        seg_dec: list[int] = []
        seg_raw: list[int] = []
        seg_len: list[int] = []
        seg_lit: list[bool] = []
        last = dec = 0

        def piece(raw_start: int, text: str, literal: bool) -> None:
            nonlocal dec
            if text:
                parts.append(text)
                seg_dec.append(dec)
                seg_raw.append(raw_start)
                seg_len.append(len(text))
                seg_lit.append(literal)
                dec += len(text)

        for m in _ENTITY.finditer(raw):
            if m.group(0) == "\r":
                rep = ""
            else:
                rep = _entity_char(m.group(1))
                if rep is None:
                    continue  # unknown reference: stays literal
            piece(last, raw[last : m.start()], True)
            piece(m.start(), rep, False)
            last = m.end()
        piece(last, raw[last:], True)
        self.decoded = "".join(parts)
        self.seg_dec, self.seg_raw, self.seg_len, self.seg_lit = seg_dec, seg_raw, seg_len, seg_lit

    def to_dec(self, raw_off: int) -> int:
        """How many decoded characters stand before raw offset ``raw_off``."""
        if self.seg_dec is None:
            return raw_off
        if raw_off > len(self.raw):
            return len(self.decoded) + 1
        j = bisect.bisect_right(self.seg_raw, raw_off) - 1
        if j < 0:
            return 0
        d0, r0, n = self.seg_dec[j], self.seg_raw[j], self.seg_len[j]
        if self.seg_lit[j]:
            return d0 + min(raw_off - r0, n)
        return d0 if raw_off == r0 else d0 + n

    def to_raw(self, dec_off: int) -> int:
        """The raw offset of decoded character ``dec_off`` (the raw length past the end)."""
        if self.seg_dec is None:
            return dec_off
        if dec_off >= len(self.decoded):
            return len(self.raw)
        j = bisect.bisect_right(self.seg_dec, dec_off) - 1
        return self.seg_raw[j] + (dec_off - self.seg_dec[j] if self.seg_lit[j] else 0)

    def find(self, s: str, raw_from: int, window: int | None = None) -> tuple[int, int] | None:
        """Raw span of the first occurrence of decoded ``s`` at or after ``raw_from`` (its start
        within ``window`` decoded characters, if given)."""
        d = self.to_dec(raw_from)
        end = None if window is None else d + window + len(s)
        i = self.decoded.find(s, d, end)
        if i < 0:
            return None
        return self.to_raw(i), self.raw_end(i + len(s) - 1)

    def raw_end(self, dec_off: int) -> int:
        """Raw offset just after the raw unit (character or reference) of a decoded char."""
        p = self.to_raw(dec_off)
        if self.raw.startswith("&", p):
            m = _ENTITY.match(self.raw, p)
            if m:
                return m.end()
        return p + 1


# --- locating the tree in the raw text ----------------------------------------------------------

# tags, comments, declarations and whitespace, also written as a character reference (``&nbsp;``)
_TAGS_ONLY = re.compile(
    r"(?:\s+|&(?:nbsp|ensp|emsp|thinsp|#160|#[xX][aA]0|#819[45]|#8201);|<!--.*?-->|<!\[CDATA\[\s*\]\]>|<![^>]*>|<\?.*?\?>"
    r"|</?[A-Za-z][^<>]*>)*",
    re.S,
)
RAW_TEXT_ELEMENTS = frozenset({"script", "style", "textarea", "xmp", "iframe", "noembed", "noframes"})
SEARCH_WINDOW = 4000  # lxml's next node stands this close to the previous one in the raw text


_LOCAL_NAMES: dict = {}  # tag → local name (a dict lookup: this is called for every node, often)


def localname(tag) -> str:
    """``{namespace}Name`` → ``name``; '' for comments and processing instructions."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) < 4096:
            _LOCAL_NAMES[tag] = name
    return name


def markup_only(s: str) -> bool:
    """Whether a raw region is tags, comments, declarations and whitespace only."""
    return _TAGS_ONLY.fullmatch(s) is not None


@lru_cache(maxsize=512)
def _start_tag(name: str) -> re.Pattern:
    return re.compile(
        r"<(?:[\w.-]+:)?" + re.escape(name) + r"""(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>""", re.I
    )


@lru_cache(maxsize=512)
def _end_tag(name: str) -> re.Pattern:
    return re.compile(r"\s*</(?:[\w.-]+:)?" + re.escape(name) + r"\s*>", re.I)


@dataclass
class Located:
    """Raw spans found by ``locate``: element → (start, end) with tags; text/tail → span."""

    el: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)
    tail: dict = field(default_factory=dict)

    def span(self, el) -> tuple[int, int] | None:
        return self.el.get(el)


_WS = re.compile(r"\s*")


def _skip_ok(raw: str, a: int, b: int) -> bool:
    """Whether the raw region a..b may be skipped: whitespace or markup only."""
    if b - a <= 0:
        return True
    seg = raw[a:b]
    return seg.isspace() or markup_only(seg)


def locate(root, rt: RawText) -> Located:
    """Find each node of the lxml tree in the raw text, in document order (see module doc)."""
    raw = rt.raw
    loc = Located()
    cur = 0
    patterns: dict[str, tuple] = {}  # tag → (local name, start-tag and end-tag patterns)

    def find_text(s: str) -> tuple[int, int] | None:
        nonlocal cur
        if not s or not s.strip():
            return None
        core = s.strip()
        p = _WS.match(raw, cur).end()
        if raw.startswith(core, p):  # the common case: the text follows at once, verbatim
            cur = p + len(core)
            return p, cur
        hit = rt.find(core, cur, SEARCH_WINDOW)
        if hit is not None and _skip_ok(raw, cur, hit[0]):
            cur = hit[1]
            return hit
        # fallback (a character lxml reads differently): the node's last characters
        end_piece = core[-12:]
        hit = rt.find(end_piece, cur, SEARCH_WINDOW + len(core))
        if hit is not None:
            gap = raw[cur : hit[0]]
            start = cur + len(gap) - len(gap.lstrip())
            cur = hit[1]
            return start, hit[1]
        return None

    def visit(el, first: bool = False) -> None:
        nonlocal cur
        tag = el.tag
        if not isinstance(tag, str):  # comment, processing instruction, entity
            opener, closer = ("<!--", "-->") if "Comment" in str(tag) else ("<?", "?>")
            a = raw.find(opener, cur, cur + SEARCH_WINDOW)
            if a >= 0 and _skip_ok(raw, cur, a):
                b = raw.find(closer, a + len(opener))
                b = len(raw) if b < 0 else b + len(closer)
                loc.el[el] = (a, b)
                cur = b
        else:
            pats = patterns.get(tag)
            if pats is None:
                name = localname(tag)
                pats = patterns[tag] = (name, _start_tag(name), _end_tag(name))
            name, start_pat, end_pat = pats
            if first:
                m = start_pat.search(raw, cur)
            else:
                # the common case: the start tag follows at once (only whitespace before it),
                # where the search would find it too; else search the window
                m = start_pat.match(raw, _WS.match(raw, cur).end(), cur + SEARCH_WINDOW)
                if m is None:
                    m = start_pat.search(raw, cur, cur + SEARCH_WINDOW)
            if m and not first and m.start() > cur and not _skip_ok(raw, cur, m.start()):
                m = None  # an element lxml invented (implied <p>, <body>...)
            start = m.start() if m else cur
            if m:
                cur = m.end()
            closed = bool(m) and m.group(0).endswith("/>")
            if name in RAW_TEXT_ELEMENTS and m and not closed:
                e = re.compile(r"</" + re.escape(name) + r"\s*>", re.I).search(raw, cur)
                cur = e.end() if e else len(raw)
            else:
                if el.text:
                    hit = find_text(el.text)
                    if hit:
                        loc.text[el] = hit
                for child in el:
                    visit(child)
                if m and not closed:
                    e = end_pat.match(raw, cur)
                    if e:
                        cur = e.end()
            loc.el[el] = (start, cur)
        if el.tail:
            hit = find_text(el.tail)
            if hit:
                loc.tail[el] = hit

    visit(root, first=True)
    return loc


def markup_gaps(raw: str, spans: list[tuple[int, int]]) -> list[Discard]:
    """Regions no record covers that hold only markup → ``boilerplate`` discards (trimmed of
    whitespace). A region holding text is left alone (``assemble`` reports it as ``other``)."""
    out: list[Discard] = []
    pos = 0
    merged = merge_spans(spans)
    for a, b in [*merged, [len(raw), len(raw)]]:
        if a > pos:
            seg = raw[pos:a]
            if seg.strip() and markup_only(seg):
                lead = len(seg) - len(seg.lstrip())
                out.append(Discard(pos + lead, pos + len(seg.rstrip()), "boilerplate"))
            elif seg.strip():
                # split: markup pieces still count as boilerplate, text pieces stay uncovered
                for m in re.finditer(r"<!--.*?-->|<![^>]*>|<\?.*?\?>|</?[A-Za-z][^<>]*>", seg, re.S):
                    out.append(Discard(pos + m.start(), pos + m.end(), "boilerplate"))
        pos = max(pos, b)
    return out


# --- inline content → clean text with marker places ---------------------------------------------


def is_bracketed_remark(text: str) -> bool:
    """A paragraph wholly in square brackets (``[Here follows the text of ...]``,
    ``[Ed. note: ...]``): an editor's remark, kind ``editorial``."""
    t = text.strip()
    if not (t.startswith("[") and t.rstrip(".").endswith("]")):
        return False
    depth = 0
    for i, c in enumerate(t.rstrip(".")):
        depth += (c == "[") - (c == "]")
        if depth == 0 and i < len(t.rstrip(".")) - 1:
            return False  # "[a] text [b]": closes before the end
    return True


_BLANKS = re.compile(r"[ \t\r\n\f\v]+")


@dataclass
class Marker:
    label: str
    target: str | None  # id the marker links to


@dataclass
class Inline:
    """Text of a block with MARK sentinels where markers stood."""

    pieces: list[str] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    notes: list = field(default_factory=list)  # elements collected as inline notes (TEI)
    pages: list[tuple] = field(default_factory=list)  # (page element, page, before any text)

    def text(self) -> tuple[str, list[int]]:
        s = _BLANKS.sub(" ", "".join(self.pieces))
        # fast path (same result as clean): printable ASCII needs no mapping, and runs of
        # blanks are single spaces already
        s = s.strip() if s.isascii() and s.isprintable() else clean(s)
        return take_marks(s) if MARK in s else (s, [])


# --- HTML rules ------------------------------------------------------------------------------------

BLOCK_KIND = {
    "p": "text", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading",
    "h5": "heading", "h6": "heading", "li": "list_item", "dt": "text", "dd": "text",
    "blockquote": "quote", "pre": "text", "address": "editorial", "caption": "heading",
    "figcaption": "editorial", "tr": "table_row", "center": "text", "title": "heading",
}
INLINE = frozenset(
    "a abbr acronym b bdi bdo big br cite code data del dfn em font i img ins kbd label mark "
    "nobr q rp rt ruby s samp small span strike strong sub sup time tt u var wbr".split()
)
NON_CONTENT = frozenset(
    "script style nav aside noscript form template iframe svg button select menu object embed "
    "canvas input head meta link map audio video".split()
)
_BOILER_ATTR = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|sidebar|masthead|toolbar|cookies?|"
    r"banner|skip|share|social|advert|ads|boilerplate|toplink|backlink|noprint|printfooter|catlinks|"
    r"editsection|jump|toc|sitesub)(?:$|[\s_-])",
    re.I,
)
_BOILER_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu"})
_NOTES_ATTR = re.compile(r"foot-?notes?|end-?notes?|(?:^|[\s_-])notes(?:$|[\s_-])", re.I)
_PAGE_ATTR = re.compile(
    r"page-?num|pagenum|page-?number|pageno|page-?break|(?:^|[\s_-])page(?:$|[\s_-])|(?:^|[\s_-])(?:page|pg)_?\d{1,4}(?:$|[\s_-])",
    re.I,
)
_PAGE_ID = re.compile(r"(?:^|[\s_-])(?:page|pg)_?([ivxlc]{1,7}|\d{1,4})$", re.I)
_LABEL = re.compile(r"^[\[(]?\s*(\d{1,4}|[*†‡§¶]{1,3}|[a-z])\s*[\])]?\.?$")
_PAGE_TEXT = re.compile(r"^\[?\s*(?:Pg\.?|p\.|Page|S\.)?\s*(\d{1,4}|[ivxlc]{1,6})\s*\]?$", re.I)
_BACKLINK = frozenset({"↩", "↑", "^", "↩︎", "back", "return"})
HEADING_LEVEL = {f"h{i}": i for i in range(1, 7)}


def text_of(el, breaks: str = "br", skip: frozenset[str] = frozenset()) -> str:
    """Clean text of an element, a ``breaks`` element (``<br>``; TEI ``<lb>``) read as a space,
    the text inside ``skip`` elements left out (their tails kept)."""
    parts: list[str] = []

    def rec(e) -> None:
        if e.text:
            parts.append(e.text)
        for c in e:
            if isinstance(c.tag, str) and localname(c.tag) not in skip:
                if localname(c.tag) == breaks:
                    parts.append(" ")
                rec(c)
            if c.tail:
                parts.append(c.tail)

    rec(el)
    return clean(re.sub(r"\s+", " ", "".join(parts)))


_NAV_SEPARATORS = re.compile(r"^[\s|•·:,;/\[\]()»«>-]*$")


_ALNUM = re.compile(r"[^\W_]")


def is_link_list(el) -> bool:
    """A block made only of links to other pages (and separators): site navigation."""
    # fast path (same result): a word standing in the block itself, outside its children,
    # is outside every link
    if (el.text and _ALNUM.search(el.text)) or any(c.tail and _ALNUM.search(c.tail) for c in el):
        return False
    links = [a for a in el.iter("a") if a.get("href") and not a.get("href").startswith("#")]
    if not links:
        return False
    rest = text_of(el)
    if len(rest) >= 200:
        return False
    for a in links:
        rest = rest.replace(text_of(a), " ", 1)
    return _NAV_SEPARATORS.match(rest) is not None


def attrs_text(el) -> str:
    return " ".join(el.get(k, "") for k in ("class", "id"))


def is_boilerplate_element(el, in_article: bool) -> bool:
    """Navigation, scripts and page chrome (see module doc); ``header``/``footer`` only when
    not inside an ``article``/``main`` (there a header holds the article's title)."""
    name = localname(el.tag)
    if name in NON_CONTENT:
        return True
    if not el.attrib and name not in ("header", "footer"):
        return False
    if name in ("header", "footer"):
        return not in_article
    if el.get("role", "").lower() in _BOILER_ROLES:
        return True
    if name in ("body", "main", "article", "html"):
        return False
    return bool(_BOILER_ATTR.search(attrs_text(el)))


def marker_label(el) -> str | None:
    """The label of a footnote marker element (``<a href="#fn1">1</a>``, ``<sup>[2]</sup>``), or
    None when the element is not a marker."""
    name = localname(el.tag)
    if name not in ("a", "sup"):
        return None
    if name == "a":
        href = el.get("href", "")
        if not href.startswith("#") or len(href) < 2:
            return None
        txt = "".join(el.itertext()).strip()
        m = _LABEL.match(txt)
        in_sup = localname(getattr(el.getparent(), "tag", "")) == "sup" or any(
            localname(c.tag) == "sup" for c in el
        )
        if m and (in_sup or re.search(r"fn|note|ftn|endnote|^#n\d|^#f\d", href, re.I) or txt[:1] in "[(*†"):
            return m.group(1)
        return None
    if name == "sup":
        txt = "".join(el.itertext()).strip()
        m = _LABEL.match(txt)
        return m.group(1) if m and not any(c.isalpha() for c in txt[1:]) else None
    return None


def marker_target(el) -> str | None:
    if localname(el.tag) == "a":
        return el.get("href", "")[1:] or None
    for a in el.iter():
        if localname(a.tag) == "a" and a.get("href", "").startswith("#"):
            return a.get("href")[1:]
    return None


def page_label(el) -> int | None | bool:
    """A page-number element (``<span class="pagenum">[Pg 12]</span>``): its page (None when
    not numeric); False when the element is not one."""
    if localname(el.tag) not in ("span", "a", "div", "p") or not _PAGE_ATTR.search(attrs_text(el)):
        return False
    txt = "".join(el.itertext()).strip()
    if not txt:  # an empty anchor: its title (``title="15"``) or an id ending in the page
        m = _PAGE_TEXT.match(el.get("title") or "")
        if m:
            return int(m.group(1)) if m.group(1).isdigit() else None
        ident = el.get("id") or el.get("name") or ""
        m = re.search(r"(\d{1,4})$", ident)
        if m:
            return int(m.group(1))
        return None if _PAGE_ID.search(ident) else False  # page_iv: a page, not numeric
    m = _PAGE_TEXT.match(txt)
    if not m:
        return False
    return int(m.group(1)) if m.group(1).isdigit() else None


def heading_level(el) -> int | None:
    return HEADING_LEVEL.get(localname(el.tag))


def _after_br(el) -> bool:
    """A ``<br>`` directly after another ``<br>`` (only whitespace between)."""
    prev = el.getprevious()
    return prev is not None and localname(prev.tag) == "br" and not (prev.tail or "").strip()


def level_free_nav(el) -> bool:
    """Blocks that may be navigation (not headings or list items of notes): a paragraph, a
    list item, a table row of links only (``< backward | Works Index | forward >``)..."""
    return localname(el.tag) in ("p", "li", "div", "center", "dd", "dt", "td", "tr")


class HtmlBuilder:
    """Walks the located tree and fills a ParsedSource (see module doc)."""

    def __init__(self, raw: str, root, loc: Located, fmt: str = FORMAT):
        self.raw, self.root, self.loc = raw, root, loc
        self.out = ParsedSource(format=fmt)
        self.out.add_doc(Doc(kind="page", char_start=0, char_end=len(raw)))
        self.stack: list[tuple[int, int]] = [(0, 0)]  # (level, doc index)
        self.page: int | None = None
        self.markers: list[tuple[int, int, Marker]] = []  # (para, anchor, marker)
        self.note_ids: dict[str, int] = {}  # target id → note index
        self.targets: set[str] = set()
        self.marker_ids: set[str] = set()
        self.title_h1: object | None = None
        self.backlinks: set = set()
        self.holds_target: set = set()  # ancestors of note targets
        self.labels: dict = {}  # <a>/<sup> element → its marker label (None: not a marker)
        self.covered: list[tuple[int, int]] = []

    # spans
    def span(self, el) -> tuple[int, int]:
        return self.loc.el.get(el) or (0, 0)

    def prepare(self) -> None:
        ids: dict[str, object] = {}
        named = self.root.xpath("//*[@id or @name]")  # document order, elements only
        for el in named:
            for key in ("id", "name"):
                if el.get(key):
                    ids.setdefault(el.get(key), el)
        for el in self.root.iter("a", "sup"):
            lbl = self.labels[el] = marker_label(el)
            if lbl is None:
                continue
            t = marker_target(el)
            target = ids.get(t) if t else None
            if target is not None and self.span(target)[0] < self.span(el)[0]:
                self.backlinks.add(el)  # a note's link back to its marker, not a marker
                continue
            if t:
                self.targets.add(t)
            for key in ("id", "name"):
                if el.get(key):
                    self.marker_ids.add(el.get(key))
        for el in named:
            if (el.get("id") or el.get("name")) in self.targets:
                self.holds_target.update(el.iterancestors())
        h1s = [el for el in self.root.iter("h1")]
        first_heading = next(self.root.iter(*HEADING_LEVEL), None)
        if len(h1s) == 1 and first_heading is h1s[0]:
            self.title_h1 = h1s[0]
        title_el = next(iter(self.root.iter("title")), None)
        title = text_of(title_el) if title_el is not None else ""
        if self.title_h1 is not None:
            title = text_of(self.title_h1) or title
        self.out.title = title or None
        self.out.docs[0].title = self.out.title

    # the document tree
    def current_doc(self) -> int:
        return self.stack[-1][1]

    def open_heading(self, level: int, title: str, start: int) -> None:
        while len(self.stack) > 1 and self.stack[-1][0] >= level:
            self.close(start)
        kind = "chapter" if re.match(r"(?i)chapter\b|part\b", title) else "section"
        if re.fullmatch(r"(?i)(?:foot|end)?notes|references", title.strip(" .:")):
            kind = "notes"
        d = self.out.add_doc(Doc(kind=kind, char_start=start, char_end=start, parent=self.current_doc(), title=title))
        self.stack.append((level, d))

    def close(self, end: int) -> None:
        _, d = self.stack.pop()
        self.out.docs[d].char_end = max(self.out.docs[d].char_end, end)

    # inline content
    def collect(self, el, acc: Inline, in_note: bool = False) -> None:
        """The text of ``el``'s content (not its tail) into ``acc``."""
        if el.text:
            acc.pieces.append(el.text)
        for child in el:
            self.collect_child(child, acc, in_note)
            if child.tail:
                acc.pieces.append(child.tail)

    def collect_child(self, child, acc: Inline, in_note: bool) -> None:
        """One child element's contribution (markers, page numbers, text; not its tail)."""
        if not isinstance(child.tag, str):
            return
        name = localname(child.tag)
        lbl = self.labels[child] if name in ("a", "sup") and child in self.labels else marker_label(child)
        if child in self.backlinks:
            if lbl is not None:
                acc.markers.append(Marker(lbl, None))
            return
        if lbl is not None and not in_note:
            acc.pieces.append(MARK)
            acc.markers.append(Marker(lbl, marker_target(child)))
        elif lbl is not None:
            acc.markers.append(Marker(lbl, None))  # the note's own label / back-link
        elif in_note and name == "a" and (
            child.get("href", "")[1:] in self.marker_ids or "".join(child.itertext()).strip() in _BACKLINK
        ):
            pass
        elif in_note and name == "a" and child.get("href", "").startswith("#") and (
            m := _LABEL.match("".join(child.itertext()).strip())
        ):
            acc.markers.append(Marker(m.group(1), None))  # the note's label, linking back
        elif (pg := page_label(child)) is not False:
            acc.pages.append((child, pg, not "".join(acc.pieces).strip()))
        elif name in NON_CONTENT or (child.attrib and is_boilerplate_element(child, True)):
            a, b = self.span(child)  # scripts, "[edit]" links and the like inside a block
            if b > a:
                self.out.discards.append(Discard(a, b, "boilerplate"))
        elif name == "br":
            acc.pieces.append(" ")
        elif name in ("td", "th"):
            if "".join(acc.pieces).strip():
                acc.pieces.append(" | ")
            self.collect(child, acc, in_note)
        else:
            self.collect(child, acc, in_note)

    def add_block(self, kind: str, start: int, end: int, acc: Inline, note_id: str | None) -> None:
        page = self.page  # the page a block starts on: a marker inside it opens the next one
        for el, pg, leading in acc.pages:
            a, b = self.span(el)
            if b > a:
                self.out.discards.append(Discard(a, b, "page_number"))
            if pg is not None:
                self.page = pg
                if leading:
                    page = pg
        text, anchors = acc.text()
        if not text:
            # tags only, or a spacer holding only &nbsp;: nothing to read
            if end > start and (markup_only(self.raw[start:end]) or not (acc.markers or acc.pages)):
                self.out.discards.append(Discard(start, end, "boilerplate"))
            return
        if is_licence_text(text):  # an e-text's licence header or footer (Project Gutenberg)
            self.out.discards.append(Discard(start, end, "boilerplate"))
            return
        doc = self.current_doc()
        if note_id is not None:
            if note_id in self.note_ids and note_id != "":
                n = self.out.notes[self.note_ids[note_id]]
                n.text = f"{n.text} {text}"
                n.char_end = max(n.char_end, end)
                return
            label = acc.markers[0].label if acc.markers else None
            i = self.out.add_note(Note(doc=doc, kind="footnote", text=text, char_start=start, char_end=end, marker=label))
            self.note_ids[note_id or f"#{i}"] = i
            for _, d in self.stack[1:]:
                self.out.docs[d].char_end = max(self.out.docs[d].char_end, end)
            return
        if kind == "text" and is_bracketed_remark(text):
            kind = "editorial"
        p = self.out.add_para(Para(doc=doc, kind=kind, text=text, char_start=start, char_end=end, page=page))
        for off, mk in zip(anchors, acc.markers):
            self.markers.append((p, off, mk))
        for _, d in self.stack[1:]:
            self.out.docs[d].char_end = max(self.out.docs[d].char_end, end)

    def note_id_of(self, el, inherited: str | None) -> str | None:
        ident = el.get("id") or el.get("name")
        if ident and ident in self.targets:
            return ident
        if el not in self.holds_target:
            return inherited
        for a in el.iter():
            if not isinstance(a.tag, str):
                continue  # a comment or processing instruction: no id, no text of its own
            if (a.get("id") or a.get("name")) in self.targets:
                return a.get("id") or a.get("name")
            txt = "".join(a.itertext()).strip() if a is not el else ""
            if txt and not _LABEL.match(txt):  # the note's printed label may come first
                break
        return inherited

    def has_block(self, el) -> bool:
        for d in el.iterdescendants():
            if isinstance(d.tag, str) and (localname(d.tag) in BLOCK_KIND or localname(d.tag) not in INLINE):
                if localname(d.tag) not in INLINE:
                    return True
        return False

    def walk(self, el, note_id: str | None = None, in_notes: bool = False, in_article: bool = False) -> None:
        name = localname(el.tag)
        if name in ("article", "main"):
            in_article = True
        if _NOTES_ATTR.search(attrs_text(el)) or el.get("role", "") in ("doc-endnotes", "doc-footnotes"):
            in_notes = True
        note_id = self.note_id_of(el, note_id)
        run = Inline()
        run_span: list[int] = []

        def flush() -> None:
            if run_span:
                nid = note_id if note_id is not None else ("" if in_notes else None)
                self.add_block("text", run_span[0], run_span[1], run, nid)
            run.pieces.clear()
            run.markers.clear()
            run.pages.clear()
            run_span.clear()

        def extend(a: int, b: int) -> None:
            if b <= a:
                return
            if run_span:
                run_span[0], run_span[1] = min(run_span[0], a), max(run_span[1], b)
            else:
                run_span.extend([a, b])

        if el.text and el.text.strip():
            run.pieces.append(el.text)
            if el in self.loc.text:
                extend(*self.loc.text[el])
        for child in el:
            cname = localname(child.tag)
            if not isinstance(child.tag, str):
                pass  # comments: markup
            elif is_boilerplate_element(child, in_article):
                flush()
                a, b = self.span(child)
                if b > a:
                    self.out.discards.append(Discard(a, b, "boilerplate"))
            elif cname in BLOCK_KIND and not (cname in ("li", "blockquote", "dd", "center") and self.has_block(child)):
                flush()
                self.block(child, note_id, in_notes)
            elif cname == "br" and _after_br(child):
                flush()  # <br><br> between loose lines: a paragraph break
            elif cname in INLINE or (page_label(child) is not False):
                # inline element standing loose in a container: part of an anonymous paragraph
                self.collect_child(child, run, note_id is not None or in_notes)
                extend(*self.span(child))
            else:
                flush()
                self.walk(child, note_id, in_notes, in_article)
            if child.tail and child.tail.strip():
                run.pieces.append(child.tail)
                if child in self.loc.tail:
                    extend(*self.loc.tail[child])
        flush()

    def block(self, el, note_id: str | None, in_notes: bool) -> None:
        name = localname(el.tag)
        a, b = self.span(el)
        note_id = self.note_id_of(el, note_id)
        if note_id is None and in_notes:
            note_id = ""
        if level_free_nav(el) and is_link_list(el):
            if b > a:
                self.out.discards.append(Discard(a, b, "boilerplate"))
            return
        level = heading_level(el)
        acc = Inline()
        self.collect(el, acc, in_note=note_id is not None)
        if name == "title":
            if b > a:
                self.out.discards.append(Discard(a, b, "boilerplate"))
            return
        if level and note_id is None:
            text, _ = acc.text()
            if text and el is not self.title_h1:
                self.open_heading(level, text, a)
        self.add_block(BLOCK_KIND[name], a, b, acc, note_id)

    def drop_empty_sections(self) -> None:
        """A heading with only headings under it (the lines of a title page, a half-title)
        opens no document: its paragraphs go to the nearest document that has a body."""
        docs = self.out.docs
        body = [False] * len(docs)
        for p in self.out.paras:
            if p.kind != "heading":
                body[p.doc] = True
        for n in self.out.notes:
            body[n.doc] = True
        for i in range(len(docs) - 1, 0, -1):  # a parent stands before its children
            if body[i]:
                body[docs[i].parent] = True
        if all(body[1:]):
            return
        new_index: dict[int, int] = {}
        kept = []
        for i, d in enumerate(docs):
            if i == 0 or body[i]:
                new_index[i] = len(kept)
                kept.append(d)
            else:
                new_index[i] = new_index[d.parent]  # parents are numbered first
        for d in kept[1:]:
            d.parent = new_index[d.parent]
        for x in (*self.out.paras, *self.out.notes):
            x.doc = new_index[x.doc]
        self.out.docs = kept

    def finish(self) -> ParsedSource:
        end = max((p.char_end for p in self.out.paras), default=0)
        while len(self.stack) > 1:
            self.close(end)
        self.drop_empty_sections()
        # link markers to notes: by target id, else by label
        by_label: dict[str, list[int]] = {}
        for i, n in enumerate(self.out.notes):
            if n.marker:
                by_label.setdefault(n.marker, []).append(i)
        used: set[int] = set()
        for p, off, mk in self.markers:
            i = self.note_ids.get(mk.target) if mk.target else None
            if i is None:
                i = next((j for j in by_label.get(mk.label, []) if j not in used), None)
            if i is None or i in used:
                continue
            used.add(i)
            n = self.out.notes[i]
            n.para, n.anchor_char, n.doc = p, off, self.out.paras[p].doc
            n.marker = n.marker or mk.label
        spans = [(x.char_start, x.char_end) for x in (*self.out.paras, *self.out.notes, *self.out.discards)]
        self.out.discards.extend(markup_gaps(self.raw, spans))
        return self.out


def parse_tree(text: str):
    from lxml import etree

    # lxml's HTML parser (libxml2) with plain elements: lxml.html's element classes cost time
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=False, remove_pis=False)
    if not text.strip():
        return None
    try:
        return etree.fromstring(text.encode("utf-8"), parser=parser)
    except etree.LxmlError:
        return None


def parse(text: str) -> ParsedSource:
    root = parse_tree(text)
    if root is None:
        return ParsedSource(format=FORMAT, docs=[Doc(kind="page", char_start=0, char_end=len(text))])
    rt = RawText(text)
    loc = locate(root, rt)
    b = HtmlBuilder(text, root, loc)
    b.prepare()
    b.walk(root)
    return b.finish()

