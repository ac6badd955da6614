"""Web page holding a collection of archival documents, one paragraph per (long) line.

The layout (see ``shared/corpus/README.md``): the page title, site navigation
(``A | B | Home Page``, ``Download PDF``, the title repeated), a short description; then
document after document, each opened by a heading line naming the writing, its speaker or
writer, occasion and date (``From the Report of the People's Commissar ... G.V. Chicherin at a
meeting of ... on June 17, 1920``), its paragraphs one per line, and a source note
(``Print. according to the brochure ...``) that may run over two lines. A heading may stand
at the end of another line (run on after a source note: ``... M. 1920. November 6, 1920, from
Stalin report delivered at ...``) or at the start of the first paragraph line.

Rules, each a named function below:

- ``is_web_boilerplate``: navigation bars, download/print links, wiki chrome → ``boilerplate``;
- ``is_doc_heading``: a short line opening like a heading (``From``, a writing's name, a date),
  naming a kind of writing and a year, with no sentence break inside and no final full stop;
- ``heading_tail_start`` / ``heading_head_end``: a heading run into another line;
- ``is_source_note``: ``Print. according to``, ``Published according to``, ``Source:`` ...;
  an unfinished source note runs on into the next line;
- ``is_editorial_line``: elision lines (``...``, ``[...]``) and bracketed editors' remarks;
- a paragraph line not ending a sentence runs on into the next (a page-split paragraph).

``doc_kind``, ``heading_author`` and ``heading_place`` read a heading (names via ``pipelines.parsing.authors``); the
other web layouts use them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.parsing.authors import KNOWN, KNOWN_RX, canonical_author
from pipelines.parsing.dates import find_dates
from pipelines.parsing.formats.plain import ends_sentence, strip_controls, vocabulary_if_needed
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource
from pipelines.parsing.text import Vocabulary, clean, reflow, split_lines

# --- site chrome -------------------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"""^(?:
        download(?:\s+(?:pdf|epub|mobi|as\s+pdf|this\s+\w+))?
      | print(?:er[- ]friendly)?(?:\s+(?:version|this\s+page))?
      | (?:back\s+to\s+)?(?:home(?:\s*page)?|top|index|contents)
      | (?:next|previous|prev)(?:\s+(?:page|chapter|document))?
      | share(?:\s+this)?
      | comments?|add\s+new\s+comment|log\s*in(?:\s+or\s+register.*)?|register
      | jump\s+to\s*:?\s*(?:navigation|search).*
      | from\s+marxists(?:-\w+)?|from\s+wikipedia.*
      | retrieved\s+from\s.*|categor(?:y|ies)\s*:.*|navigation\s+menu
      | this\s+page\s+was\s+last\s+(?:edited|modified).*
      | (?:privacy\s+policy|disclaimers|about\s+\S+|personal\s+tools|namespaces|views|search)
      | [=\-_*~#+.•·](?:\s*[=\-_*~#+.•·]){3,}
    )$""",
    re.I | re.X,
)


def is_navigation(s: str) -> bool:
    """A bar of links: at least three short items separated by ``|`` (or ``·``/``•``)."""
    items = [x.strip() for x in re.split(r"[|·•]", s)]
    return len(items) >= 3 and all(len(x) <= 40 for x in items) and sum(1 for x in items if x) >= 3


def is_web_boilerplate(s: str) -> bool:
    """Site chrome: navigation bars, download/print/home links, wiki and comment-form lines,
    separator rules."""
    if len(s) > 300:
        return False
    t = clean(s)
    return bool(t) and (is_navigation(t) or bool(_BOILERPLATE.match(t)))


# --- headings ----------------------------------------------------------------------------

# word(s) naming a kind of writing → documents.kind; the earliest in a heading decides
KIND_WORDS: list[tuple[str, str]] = [
    (r"reports?", "report"),
    (r"speech(?:es)?|address|remarks|lecture", "speech"),
    (r"letters?|message", "letter"),
    (r"telegrams?|cables?|radiograms?|radio\s+messages?", "telegram"),
    (r"notes?|memorandum|aide-m[ée]moire|notification", "note"),
    (r"statements?|declarations?|communiqu[ée]s?|appeal|announcement", "statement"),
    (r"interview", "interview"),
    (r"articles?", "article"),
    (r"decrees?|resolutions?|directives?|decisions?", "decree"),
    (r"record\s+of\s+(?:a\s+|the\s+)?conversations?|conversations?|minutes|diary|treaty|"
     r"agreement|protocol|instructions?", "other"),
]
_KIND_RE = re.compile(r"\b(?:" + "|".join(f"(?P<k{i}>{w})" for i, (w, _) in enumerate(KIND_WORDS)) + r")\b", re.I)
_YEAR = re.compile(r"\b1[89]\d\d\b")
_HEADING_OPEN = re.compile(
    r"^(?:(?:excerpts?|extracts?|from)\b|(?:(?:draft|secret|top\s+secret|strictly\s+confidential|copy\s+of|text\s+of|"
    r"the|an?)\s+)?(?:" + "|".join(w for w, _ in KIND_WORDS) + r")\b)",
    re.I,
)
# a full stop after these is not a sentence break
_ABBREV = re.compile(r"(?:\b[A-Z]|\b(?:No|Nos|Vol|Vols|St|Mr|Mrs|Dr|Prof|Gen|Col|Capt|Lt|pp|p|cf|ed|eds|etc|vs|M))\.$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"”'ʺ)]*\s+(?=[\"“'ʺ(\[]?[A-Z0-9])")
_HEADING_END_OK = re.compile(r"(?:1[89]\d\d|\))\.$")


def doc_kind(heading: str, default: str = "other") -> str:
    """The kind of writing a heading names (``From the Report of ...`` → ``report``)."""
    m = _KIND_RE.search(heading)
    if not m:
        return default
    for i, (_, kind) in enumerate(KIND_WORDS):
        if m.group(f"k{i}"):
            return kind
    return default


def sentence_breaks(s: str) -> list[int]:
    """Offsets where a new sentence starts in ``s`` (not after initials or abbreviations)."""
    out = []
    for m in _SENTENCE_BREAK.finditer(s):
        if s[m.start()] == "." and _ABBREV.search(s[: m.start() + 1]):
            continue
        out.append(m.end())
    return out


def _opens_like_heading(s: str) -> bool:
    """Opens with a capital and ``From``/``Excerpts from``/a kind of writing (``Letter``,
    ``Draft Interview``), or with a date followed at once by one (``November 6, 1920, from
    Stalin report ...``, ``May 3, 1921 - Telegram ...``)."""
    s = s.lstrip()
    if not s[:1].isupper() and not s[:1].isdigit():
        return False
    if _HEADING_OPEN.match(s):
        return True
    dates = find_dates(s[:60])
    if not dates or dates[0].start != 0:
        return False
    after = re.sub(r"^[\s,.:;\-\u2013\u2014]+", "", s[dates[0].end:])
    return bool(_HEADING_OPEN.match(after))


def is_doc_heading(s: str) -> bool:
    """A line that opens a document of the collection: at most 400 characters, opening with
    ``From``/``Excerpts from``/a kind of writing/a date, naming a kind of writing and a
    year, with no sentence break inside and no sentence-final full stop (a full stop right
    after a year or a bracket is allowed)."""
    if len(s) > 480 or not _YEAR.search(s):
        return False
    t = clean(s)
    if not (12 <= len(t) <= 400) or not _opens_like_heading(t):
        return False
    if not _KIND_RE.search(t) or not _YEAR.search(t):
        return False
    if sentence_breaks(t):
        return False
    if t.endswith((".", "!", "?", ";", ":", ",")) and not _HEADING_END_OK.search(t):
        return False
    return not t.endswith(('"', "”"))


def heading_tail_start(raw: str) -> int | None:
    """Offset in ``raw`` where a heading run on at the end of another line starts
    (``... NKID, M. 1920. November 6, 1920, from Stalin report ...``), or None."""
    t = raw.rstrip()
    if t.endswith((".", "!", "?", ";", ":", ",", '"', "”")) and not _HEADING_END_OK.search(t):
        return None  # the line ends as a sentence: no heading stands at its end
    window = max(0, len(raw) - 480)
    for pos in sentence_breaks(raw[window:]):
        if is_doc_heading(raw[window + pos:]):
            return window + pos
    return None


def heading_head_end(raw: str) -> int | None:
    """Offset in ``raw`` where a heading run into the first paragraph line ends: the heading
    closes with its date (``Telegram of ... to ..., May 3, 1921 We have received ...``) and the
    paragraph goes on with a capital; None if there is no such heading."""
    if not _opens_like_heading(clean(raw[:120])):
        return None
    for d in find_dates(raw[:420]):
        end = d.end
        m = re.match(r"[.)]?\s+(?=[\"“(\[]?[A-Z])", raw[end:])
        if not m:
            continue
        rest = raw[end + m.end():]
        if len(rest) >= 40 and is_doc_heading(raw[: end + (1 if raw[end:end + 1] in ".)" else 0)]):
            return end + (1 if raw[end:end + 1] in ".)" else 0)
    return None


# --- what a heading says -----------------------------------------------------------------

_NAME_AS_PRINTED = re.compile(r"\b((?:[A-Z]\.\s?){1,3}[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?)")
_PREPOSITION = re.compile(r"\b(to|with|from|by|of|for)\b", re.I)


def _is_recipient(heading: str, at: int) -> bool:
    """A name is the addressee when the nearest preposition before it is ``to``/``with``."""
    preps = list(_PREPOSITION.finditer(heading[:at]))
    return bool(preps) and preps[-1].group(1).lower() in ("to", "with")


def heading_author(heading: str) -> str | None:
    """The speaker or writer a heading names: a known name, else a name with initials, not
    the addressee (``Letter to J. Stalin`` names no author)."""
    t = clean(heading)
    for m in KNOWN_RX.finditer(t):
        if not _is_recipient(t, m.start()):
            return KNOWN[m.group(1).lower()]
    for m in _NAME_AS_PRINTED.finditer(t):
        if not _is_recipient(t, m.start()):
            return canonical_author(m.group(1))
    return None


_NOT_PLACES = {
    "the", "a", "an", "this", "that", "people", "peoples", "commissar", "committee", "council",
    "conference", "congress", "session", "meeting", "moscow's",
}
_MONTH_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"}
_PLACE_PATTERNS = [
    re.compile(r"\bof\s+the\s+([A-Z][a-zà-ÿ]+)\s+(?:Soviet|City\s+Soviet|Town\s+Council)\b"),
    re.compile(r"\b(?:in|at)\s+([A-Z][a-zà-ÿ]+(?:[- ][A-Z][a-zà-ÿ]+)?)(?=\s*(?:[,.;)]|$|on\b|\d))"),
    re.compile(r"(?:^|,\s*)([A-Z][a-zà-ÿ]+),\s+(?=(?:\d{1,2}\s+)?[A-Z][a-z]+\.?\s+\d)"),
]


def heading_place(heading: str) -> str | None:
    """Where a writing was made or delivered, if the heading says so: ``of the Baku Soviet``,
    ``in Moscow``, ``at Genoa``, ``Moscow, June 3, 1920``."""
    t = clean(heading)
    for rx in _PLACE_PATTERNS:
        for m in rx.finditer(t):
            words = m.group(1).lower().split()
            if words[0] in _NOT_PLACES or words[0] in _MONTH_WORDS or _KIND_RE.fullmatch(m.group(1)):
                continue
            if _is_recipient(t, m.start()):  # "to the Ambassador in London": the addressee's post
                continue
            return m.group(1)
    return None


def heading_date(heading: str):
    """The first full date of a heading (a ``ParsedDate``), or None."""
    dates = find_dates(clean(heading))
    return dates[0] if dates else None


def fill_from_heading(doc: Doc, heading: str) -> None:
    """Title, kind, author, date and place of a document from its heading line."""
    doc.title = clean(heading)
    doc.kind = doc_kind(doc.title)
    doc.author = heading_author(doc.title)
    d = heading_date(doc.title)
    if d is not None:
        doc.date, doc.date_precision, doc.date_old_style, doc.date_text = d.date, d.precision, d.old_style, d.text
    doc.place = heading_place(doc.title)


# --- source notes and editorial lines ------------------------------------------------------

_SOURCE_NOTE = re.compile(
    r"""^\s*(?:
        print(?:ed)?\.?\s+(?:according|from|by|on|in)\b
      | published\s+(?:according|from|by|in|for\s+the\s+first)\b
      | sources?\s*[:;]
      | (?:AVP|АВП)\s*(?:RF|SSSR|РФ|СССР)\b | RGASPI\b | RGVA\b | GARF\b | RGAE\b
      | (?:cited|quoted|translated|reprinted)\s+(?:from|by|according)\b
    )""",
    re.I | re.X,
)
_ELISION = re.compile(r"^[\s.…\[\]{}()]*$")


def is_source_note(s: str) -> bool:
    """A source note: ``Print. according to ...``, ``Published according to ...``,
    ``Source: ...``, an archive reference (``AVP RF, f. 04 ...``)."""
    return bool(_SOURCE_NOTE.match(clean(s[:100])))


def is_editorial_line(s: str) -> bool:
    """An editor's line rather than the document's text: an elision mark alone (``...``,
    ``[...]``) or a remark wholly in square brackets."""
    if len(s) > 480:
        return False
    t = clean(s)
    if t and _ELISION.match(t):
        return True
    return t.startswith("[") and t.endswith("]") and "[" not in t[1:-1] and len(t) <= 400


# --- the parser --------------------------------------------------------------------------


@dataclass
class Seg:
    """A classified piece of one raw line (``start``/``end`` raw offsets)."""

    start: int
    end: int
    role: str  # title / boilerplate / heading / source_note / editorial / text
    parts: list[tuple[int, int]] | None = None  # for pieces merged across lines

    def pieces(self) -> list[tuple[int, int]]:
        return self.parts or [(self.start, self.end)]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def classify_line(text: str, a: int, b: int) -> list[Seg]:
    """Cut one non-blank raw line into classified segments."""
    raw = text[a:b]
    if is_web_boilerplate(raw):
        return [Seg(a, b, "boilerplate")]
    if is_doc_heading(raw):
        return [Seg(a, b, "heading")]
    if is_editorial_line(raw):
        return [Seg(a, b, "editorial")]
    role = "source_note" if is_source_note(raw) else "text"
    if role == "text":
        head = heading_head_end(raw)
        if head is not None:
            return [Seg(*_trim(text, a, a + head), "heading"), Seg(*_trim(text, a + head, b), "text")]
    tail = heading_tail_start(raw)
    if tail is not None:
        return [Seg(*_trim(text, a, a + tail), role), Seg(*_trim(text, a + tail, b), "heading")]
    return [Seg(a, b, role)]


def runs_on(s: str) -> bool:
    """A paragraph line cut mid-sentence: it ends on a lower-case word, a comma or a dash
    (a date line or a signature, ending on a number or a name, does not run on)."""
    t = s.rstrip()
    if not t:
        return False
    return t[-1] in ",-\u2010\u2013\u2014" or (t.split()[-1][0].islower() and t[-1].isalpha())


def merge_runs(text: str, segs: list[Seg]) -> list[Seg]:
    """Join a source note that does not end a sentence, or a paragraph line that ``runs_on``,
    with the text line after it (a note or paragraph split over two lines)."""
    out: list[Seg] = []
    for s in segs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and s.role == "text"
            and prev.role in ("text", "source_note")
            and not ends_sentence(text[prev.start:prev.end])
            and (prev.role == "source_note" or runs_on(text[prev.start:prev.end]))
        ):
            prev.parts = prev.pieces() + [(s.start, s.end)]
            prev.end = s.end
            continue
        out.append(s)
    return out


def _clean_pieces(text: str, pieces: list[tuple[int, int]], vocab: Vocabulary) -> str:
    body = reflow([text[a:b] for a, b in pieces], vocab)
    return clean(strip_controls(body))


def _same_text(raw: str, title: str) -> bool:
    return len(raw) < 2 * len(title) + 20 and clean(raw).lower() == title.lower()


def parse(text: str) -> ParsedSource:
    segs: list[Seg] = []
    for ln in split_lines(text):
        a, b = ln.span()
        if b > a:
            segs.extend(classify_line(text, a, b))
    segs = merge_runs(text, segs)
    vocab = vocabulary_if_needed(text)

    out = ParsedSource(format="web_collection")
    root = out.add_doc(Doc(kind="collection", char_start=0, char_end=len(text)))
    title: str | None = None
    cur = root
    for s in segs:
        if s.role == "boilerplate" or (title and s.role != "heading" and _same_text(text[s.start:s.end], title)):
            out.discards.append(Discard(s.start, s.end, "boilerplate"))
            continue
        body = _clean_pieces(text, s.pieces(), vocab)
        if title is None and s.role != "heading" and cur == root and not out.paras:
            title = body
            out.add_para(Para(doc=root, kind="heading", text=body, char_start=s.start, char_end=s.end))
            continue
        if s.role == "heading":
            doc = Doc(kind="other", char_start=s.start, char_end=s.end, parent=root)
            fill_from_heading(doc, body)
            cur = out.add_doc(doc)
            out.add_para(Para(doc=cur, kind="heading", text=body, char_start=s.start, char_end=s.end))
            continue
        if s.role == "source_note":
            out.add_note(Note(doc=cur, kind="source_note", text=body, char_start=s.start, char_end=s.end))
            prov = out.docs[cur].provenance
            out.docs[cur].provenance = f"{prov} {body}" if prov else body
        else:
            kind = "editorial" if s.role == "editorial" or cur == root else "text"
            out.add_para(Para(doc=cur, kind=kind, text=body, char_start=s.start, char_end=s.end))
        if cur != root:
            out.docs[cur].char_end = max(out.docs[cur].char_end, s.end)

    out.title = title or (out.docs[1].title if len(out.docs) > 1 else None)
    out.docs[root].title = out.title
    return out
