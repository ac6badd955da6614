"""New layouts: detection from content, and the HTML, TEI/XML, Markdown and treaty-text parsers.

Fixtures under tests/fixtures/layouts/: two trimmed real FRUS TEI excerpts (public-domain US
government text, HistoryAtState/frus) and hand-written look-alikes of the other layouts. The
expectations below were written by reading the raw fixtures, not copied from output.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from pathlib import Path

import pytest

from pipelines.parsing.detect import detect_format
from pipelines.parsing.formats import parser_for
from pipelines.parsing.formats.html import RawText, is_bracketed_remark, markup_only
from pipelines.parsing.formats.markdown import md_inline
from pipelines.parsing.formats.tei import entity_references, parse_tree, when_date, writing_kind
from pipelines.parsing.formats.treaty_text import article_heading, signing_place_date
from pipelines.parsing.source import process_source

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"

EXPECTED_FORMAT = {
    "article_footnotes.html": "html",
    "gutenberg_style.html": "html",
    "oldschool_endnotes.html": "html",
    "standardebooks_pepys_excerpt.xhtml": "html",
    "frus1934v04_excerpt.xml": "tei_xml",
    "frus1918russia_excerpt.xml": "tei_xml",
    "dispatches_generic.xml": "xml",
    "memoir_notes.md": "markdown",
    "setext_report.md": "markdown",
    "pact_two_instruments.txt": "treaty_text",
    "trade_agreement_inline.txt": "treaty_text",
    "ocr_archive_lookalike.txt": "ocr_book",
    # held out: written or fetched after the parsers, measured before any change
    "frus1941v06_heldout.xml": "tei_xml",
    "mediawiki_heldout.html": "html",
    "notes_heldout.md": "markdown",
    "convention_heldout.txt": "treaty_text",
}


def load(name: str) -> str:
    return (LAYOUTS / name).read_text(encoding="utf-8")


def parsed(name: str):
    text = load(name)
    fmt, _ = detect_format(text)
    return text, parser_for(fmt)(text)


def rows(name: str) -> dict:
    data = (LAYOUTS / name).read_bytes()
    res = process_source(data, name, "s", "test")
    assert res.source["status"] == "ok", res.source["reject_reason"]
    return res.tables


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", sorted(EXPECTED_FORMAT.items()))
def test_every_sample_is_recognised(name, fmt):
    assert detect_format(load(name))[0] == fmt


def test_detection_looks_at_content_not_names():
    assert detect_format("<p>One</p>\n<p>Two <a href='x'>link</a></p>\n<div>three</div>")[0] == "html"
    assert detect_format('<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0"><text/></TEI>')[0] == "tei_xml"
    assert detect_format('<?xml version="1.0"?>\n<root><item>a</item></root>\n')[0] == "xml"
    assert detect_format("# Title\n\nText.\n\n## Part\n\nMore text.\n")[0] == "markdown"
    assert detect_format("A note.\n\nText with a footnote.[^1]\n\n[^1]: The note.\n")[0] == "markdown"
    # "Article 1" in running prose and a "<" at the start of a plain line are not layouts
    assert detect_format("<<Back to index\n\nThe article 1 of the law was read.\n")[0] == "plain"
    assert detect_format("Article 1 was debated.\nArticle 2 was not.\n")[0] == "plain"
    # a long introduction above a ===== rule is a web excerpt, not an underlined heading
    intro = "An editor's note on this excerpt, long enough to be a paragraph and not a title at all.\n"
    body = ("A long paragraph of history. " * 30 + "\n") * 3
    assert detect_format(intro + "==========\n- one\n- two\n" + body)[0] == "web_excerpt"


def test_treaty_needs_articles_and_a_signing_formula():
    body = "TREATY\n\nArticle 1\n\nThe Parties agree.\n\nArticle 2\n\nThe Parties agree again.\n"
    assert detect_format(body)[0] != "treaty_text"
    assert detect_format(body + "\nDone at Riga, March 18, 1921.\n")[0] == "treaty_text"


# --- coverage and offsets on every sample -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_every_non_whitespace_character_is_covered(name):
    """Nothing left unexplained: no ``other`` discards (100% of non-whitespace covered)."""
    tables = rows(name)
    other = [r["text"] for r in tables["discarded_text"] if r["reason"] == "other"]
    assert other == []


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED_FORMAT if n.endswith((".html", ".xhtml", ".xml"))))
def test_markup_paragraph_spans_point_into_the_raw_file(name):
    """Each paragraph's span holds its text: every word of the clean text occurs, in order, in
    the raw span once tags are dropped and entities decoded."""
    text, out = parsed(name)
    for p in out.paras:
        raw = html_lib.unescape(re.sub(r"<[^>]*>", " ", text[p.char_start : p.char_end]))
        raw = re.sub(r"\s+", " ", raw)
        pos = 0
        for word in re.findall(r"\w+", p.text)[:6]:
            i = raw.find(word, pos)
            assert i >= 0, (p.text, word)
            pos = i + len(word)


def test_raw_text_map_decodes_entities_with_offsets():
    raw = "a&amp;b &#8212; c&nbsp;d &#146;e\r\nf"
    rt = RawText(raw)
    assert rt.decoded == "a&b — c\xa0d ’e\nf"
    a, b = rt.find("— c", 0)
    assert raw[a:b] == "&#8212; c"
    a, b = rt.find("’e", 0)
    assert raw[a:b] == "&#146;e"
    assert markup_only('<p class="x">\n<!-- c -->\n</p>') and not markup_only("<p>text</p>")


# --- HTML ---------------------------------------------------------------------------------------


def test_html_article_tree_notes_and_boilerplate():
    text, out = parsed("article_footnotes.html")
    assert out.title == "The Genoa Conference & After"
    titles = [(d.kind, d.title, d.parent) for d in out.docs[1:]]
    assert titles == [
        ("section", "I. The invitation", 0),
        ("section", "The first session", 1),
        ("section", "II. The treaty", 0),
    ]
    kinds = [p.kind for p in out.paras]
    assert kinds.count("heading") == 4 and kinds.count("list_item") == 2 and kinds.count("table_row") == 2
    texts = [p.text for p in out.paras]
    assert "Its members were told to speak of “peaceful co-existence” and of trade, not of debts." in texts
    assert "16 April 1922 | Treaty signed" in texts
    # footnotes: linked to the paragraph holding the marker, marker text gone, place kept
    n1, n2 = out.notes
    p1 = out.paras[n1.para]
    assert p1.text.startswith("The delegation left") and "March, carrying" in p1.text
    assert p1.text[: n1.anchor_char].endswith("end of March,") and n1.marker == "1"
    assert n1.text == "The exact date is disputed."  # back-link arrow dropped
    assert out.paras[n2.para].text[: n2.anchor_char].endswith("read a statement")
    # navigation, header, footer, script and style are boilerplate; the page number is out
    removed = {text[d.char_start : d.char_end][:8]: d.reason for d in out.discards}
    assert removed["<nav cla"] == removed["<header>"] == removed["<footer>"] == "boilerplate"
    assert removed['<span cl'] == "page_number"
    assert not any("Home" in t or "Contact" in t or "Pg 12" in t for t in texts)
    assert out.paras[-1].page == 12  # the page marker stood before "II. The treaty"


def test_html_gutenberg_page_numbers_and_footnotes():
    text, out = parsed("gutenberg_style.html")
    assert out.title == "THE EASTERN QUESTION RECONSIDERED"
    assert [d.title for d in out.docs[1:]] == ["CHAPTER I. THE STRAITS", "CHAPTER II. THE NEIGHBOURS"]
    assert all(d.kind == "chapter" for d in out.docs[1:])
    pages = [text[d.char_start : d.char_end] for d in out.discards if d.reason == "page_number"]
    assert len(pages) == 3 and all("pagenum" in p for p in pages)
    assert [p.page for p in out.paras if p.kind == "text"] == [None, 1, 1, 3]
    assert not any(re.search(r"\[\d\]", p.text) for p in out.paras)
    second = next(p for p in out.paras if p.text.startswith("The conference of 1923"))
    assert "thirteen years. The convention" in second.text  # the page marker left no trace
    assert [(n.marker, out.paras[n.para].text[:20]) for n in out.notes] == [
        ("1", "For more than a cent"),
        ("2", "The conference of 19"),
    ]
    assert out.notes[0].text.startswith("See the collection of treaties")
    assert not any("eBook" in p.text for p in out.paras)  # pg-boilerplate blocks


def test_html_without_closing_tags_cp1252_references_and_endnotes():
    text, out = parsed("oldschool_endnotes.html")
    texts = [p.text for p in out.paras]
    assert "The People’s Commissar, A. Example" in texts  # &#146; read as Windows-1252
    assert not any("Works Index" in t for t in texts)  # link-only navigation lines
    assert [n.marker for n in out.notes] == ["1", "2"]
    assert out.notes[0].text == "The newspaper printed the note under a different title."
    assert out.paras[out.notes[1].para].text.endswith("cannot serve as a basis for negotiation.")
    assert out.docs[-1].kind == "notes"


def test_xhtml_with_xml_declaration_and_a_stray_end_tag():
    """A real Standard Ebooks chapter (trimmed): XHTML behind an XML declaration, a stray
    ``</article>``, bracketed editor's notes in ``<pre>``."""
    text, out = parsed("standardebooks_pepys_excerpt.xhtml")
    assert out.title == "January 1659–1660"
    assert [(d.kind, d.title) for d in out.docs[1:]] == [("section", "January 1659–1660")]
    kinds = [p.kind for p in out.paras]
    assert kinds == ["heading", "editorial", "text", "editorial", "text", "editorial", "text"]
    assert out.paras[-1].text.endswith("“made under the law,” is meant his circumcision, which is solemnized this day.")
    assert "woman,” &c.; showing" in out.paras[-1].text  # &amp; decoded


def test_bracketed_remarks_are_editorial():
    assert is_bracketed_remark("[Here follows text of telegram, printed on page 57.]")
    assert is_bracketed_remark("[Ed. note: [sic] passages are censored]")
    assert not is_bracketed_remark("[Monk] dined at Guildhall [that day]")
    assert not is_bracketed_remark("The [bracketed] word.")


def test_html_degenerate_inputs_do_not_crash():
    for raw in ("<p>unclosed <b>bold", "<div></div>", "<html><body>Loose text<br>more</body></html>", "<p>&bogus; x</p>"):
        out = parser_for("html")(raw)
        spans = [(p.char_start, p.char_end) for p in out.paras]
        assert all(0 <= a <= b <= len(raw) for a, b in spans)
    out = parser_for("html")("<html><body>Loose text<br>more</body></html>")
    assert [p.text for p in out.paras] == ["Loose text more"]


# --- TEI and XML ---------------------------------------------------------------------------------


def test_frus_volume_tree_and_writing_metadata():
    text, out = parsed("frus1934v04_excerpt.xml")
    assert out.title.startswith("Foreign Relations of the United States Diplomatic Papers, 1934")
    root, chapter, sub, *docs = out.docs
    assert root.kind == "collection" and chapter.kind == "chapter" and sub.kind == "section"
    assert chapter.title == "Chaco dispute between Bolivia and Paraguay" and sub.parent == 1
    assert [d.kind for d in docs] == ["telegram"] * 5
    first = docs[0]
    assert first.title == "The Secretary of State to the Ambassador in Argentina (Weddell)"
    assert (first.date, first.date_precision, first.place) == (dt.date(1934, 2, 25), "day", "Washington")
    assert first.date_text == "February 25, 1934—5 p.m." and first.provenance == "724.3415/3554: Telegram"
    assert first.author == "Hull"
    assert [d.place for d in docs] == ["Washington", "Washington", "Geneva", "Washington", "Montevideo"]
    assert docs[2].author == "Gilbert"  # persName type="from" in the head


def test_frus_notes_pages_and_paragraph_kinds():
    text, out = parsed("frus1934v04_excerpt.xml")
    footnotes = [n for n in out.notes if n.kind == "footnote"]
    assert [(n.marker, n.text) for n in footnotes] == [("33", "Not printed."), ("34", "See footnote 32, p. 56.")]
    p = out.paras[footnotes[0].para]
    assert p.text[: footnotes[0].anchor_char] == "30. Your 40, February 26, 4 p.m.,"
    assert p.text.startswith("30. Your 40, February 26, 4 p.m., last sentence.")  # note text left out
    assert sum(n.kind == "source_note" and n.para is None for n in out.notes) == 5
    assert [text[d.char_start : d.char_end] for d in out.discards if d.reason == "page_number"] == [
        '<pb n="57" xml:id="pg_57" facs="0127"/>',
        '<pb n="58" xml:id="pg_58" facs="0128"/>',
    ]
    by_start = {q.text[:12]: q for q in out.paras}
    assert by_start["29. Your 36,"].page is None and by_start["I thank you "].page == 57
    assert by_start["[Here follow"].page == 58 and by_start["[Here follow"].kind == "editorial"
    kinds = {q.kind for q in out.paras if q.text in ("Hull", "Cordell Hull", "Gilbert")}
    assert kinds == {"signature"}
    assert by_start["Washington, "].kind == "editorial"
    assert not any("teiHeader" in q.text or "Perkins" in q.text for q in out.paras)


def test_frus_older_encoding_opener_pb_inside_paragraph_and_entities():
    text, out = parsed("frus1918russia_excerpt.xml")
    assert [d.kind for d in out.docs[1:]] == ["telegram"] * 3  # from the "[Telegram]" opener
    assert out.docs[2].date == dt.date(1917, 4, 29) and out.docs[2].place == "Petrograd"
    cable = next(p for p in out.paras if p.text.startswith("Cable received"))
    assert "conclusion shortly and will advise you fully." in cable.text  # <pb/> inside the <p>
    assert cable.page is None and next(p for p in out.paras if p.text == "Lansing").page == 6
    (note,) = [n for n in out.notes if n.kind == "footnote"]
    assert note.text.startswith("British and French missions, headed respectively by Balfour and Viviani")
    assert out.paras[note.para].text[: note.anchor_char].endswith("English and French missions")
    refs = entity_references(parse_tree(text))
    assert ("persname", "#p_BAJ1", "Balfour") in refs and ("persname", None, "Viviani") in refs


def test_generic_xml_records():
    _, out = parsed("dispatches_generic.xml")
    assert [(d.kind, d.title, d.date) for d in out.docs[1:]] == [
        ("report", "Dispatch on the Peking Convention", dt.date(1925, 1, 20)),
        ("report", "Dispatch on the fisheries question", dt.date(1925, 2, 2)),
    ]
    assert "Both sides agreed to restore diplomatic relations & to exchange ambassadors." in [p.text for p in out.paras]


def test_tei_helpers():
    assert when_date("1934-02-25T17:00:00-05:00") == (dt.date(1934, 2, 25), "day")
    assert when_date("1939-08") == (dt.date(1939, 8, 1), "month") and when_date("x") == (None, None)
    assert writing_kind("The Ambassador in Russia to the Secretary of State", "File No. 1: Telegram") == "telegram"
    assert writing_kind("Memorandum by the Secretary of State") == "report"
    assert writing_kind("The Secretary of State to the Soviet Ambassador") == "letter"


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_tree_lists_tables_and_footnotes():
    text, out = parsed("memoir_notes.md")
    assert out.title == "Notes on the Rapallo Talks"
    assert [(d.title, d.parent) for d in out.docs[1:]] == [("The first meeting", 0), ("Aftermath", 0)]
    kinds = [p.kind for p in out.paras]
    assert kinds.count("list_item") == 3 and kinds.count("quote") == 1 and kinds.count("table_row") == 3
    first = out.paras[1].text
    assert first.startswith("Some readers will remember the spring of 1922 as a season")  # emphasis gone
    assert "[^" not in " ".join(p.text for p in out.paras)
    assert "official record the meeting" in out.paras[3].text  # link text kept, URL dropped
    assert "a clause on most-favoured-nation treatment, added late;" in [p.text for p in out.paras]
    n1, n2 = out.notes
    assert out.paras[n1.para].text[: n1.anchor_char].endswith("one of them,")
    assert n2.text == "The record was published only in 1961, with cuts."
    reasons = sorted(d.reason for d in out.discards)
    assert reasons == ["boilerplate", "boilerplate", "boilerplate", "page_number"]


def test_markdown_setext_headings_numbered_lists_multi_paragraph_notes():
    _, out = parsed("setext_report.md")
    assert out.title == "Report on the Eastern Conference"
    assert [d.title for d in out.docs[1:]] == ["Background", "Results"]
    items = [p.text for p in out.paras if p.kind == "list_item"]
    assert items[1] == "The second session dealt with the frontier and lasted two days."
    a, b = out.notes
    assert a.text.endswith("The third set arrived after the conference had closed.")
    assert out.paras[b.para].text[: b.anchor_char].endswith("exchange of prisoners.")


def test_md_inline():
    assert md_inline("**Bold** and [a link](http://x.org/a_(b)) `code` \\*star\\*")[0] == "Bold and a link code *star*"
    text, labels = md_inline("Said so.[^12] Then![^n]")
    assert labels == ["12", "n"] and text.count("\ue000") == 2


# --- treaty texts ----------------------------------------------------------------------------------


def test_treaty_instruments_articles_signatures():
    text, out = parsed("pact_two_instruments.txt")
    treaty, protocol = [d for d in out.docs if d.parent == 0]
    assert treaty.title.startswith("TREATY OF NEUTRALITY AND CONSULTATION")
    assert (treaty.date, treaty.place, treaty.kind) == (dt.date(1936, 3, 4), "Moscow", "other")
    assert protocol.title == "SECRET ADDITIONAL PROTOCOL" and protocol.place == "Moscow"
    articles = [d.title for d in out.docs if d.kind == "section"]
    assert articles == ["ARTICLE I", "ARTICLE II", "ARTICLE III", "Article 1"]
    art2 = next(p for p in out.paras if p.text.startswith("Should one"))
    assert "shall in no manner lend" in art2.text  # "man-" / "ner" re-joined
    sig = [p.text for p in out.paras if p.kind == "signature"]
    assert sig[:2] == ["IN WITNESS WHEREOF the Plenipotentiaries have signed this Treaty.", "Done in duplicate at Moscow, March 4, 1936."]
    assert "Moscow, March 4, 1936." in sig and "A. EXAMPLESEN" in sig[-1]
    assert [text[d.char_start : d.char_end] for d in out.discards] == ["- 2 -"]
    art3 = next(p for p in out.paras if p.text.startswith("The present Treaty"))
    assert out.docs[art3.doc].title == "ARTICLE III" and art3.page == 3


def test_treaty_inline_article_headings_and_long_dates():
    _, out = parsed("trade_agreement_inline.txt")
    inst = out.docs[1]
    assert (inst.date, inst.date_precision, inst.place) == (dt.date(1921, 3, 16), "day", "London")
    assert [d.title for d in out.docs if d.kind == "section"] == ["Article 1", "Article 2", "Art. 3", "Article 4"]
    art1 = next(p for p in out.paras if p.text.startswith("Both Parties agree"))
    assert "any form of blockade against" in art1.text
    assert [p.text for p in out.paras if p.kind == "signature"][-2:] == ["A. N. EXAMPLE.", "B. PLACEHOLDER."]


def test_treaty_helpers():
    assert article_heading("ARTICLE IV")[0] == "ARTICLE IV"
    assert article_heading("Article 3. The Parties") == ("Article 3.", 11)
    assert article_heading("Article One") is not None and article_heading("Article Whereas") is None
    place, date = signing_place_date("Done in duplicate at Moscow, August 23, 1939.")
    assert place == "Moscow" and date.date == dt.date(1939, 8, 23)


# --- OCR'd books of other layouts (ocr_book, not edited here) -------------------------------------------


def test_ocr_lookalike_page_furniture_and_footnote():
    """What the existing ocr_book parser gets right on an archive.org-style excerpt."""
    text, out = parsed("ocr_archive_lookalike.txt")
    gone = sorted((d.reason, text[d.char_start : d.char_end]) for d in out.discards)
    assert gone == [
        ("page_number", "42"), ("page_number", "44"),
        ("running_header", "THE BALTIC QUESTION 43"), ("running_header", "TRADE AND RECOGNITION 45"),
    ]
    joined = " ".join(p.text for p in out.paras)
    for word in ("fortnight", "proposed", "proposal", "demanded", "destroyed", "designed"):
        assert word in joined
    (note,) = out.notes
    assert note.marker == "*" and out.paras[note.para].text[: note.anchor_char].endswith("three months.")


def test_ocr_lookalike_chapters():
    _, out = parsed("ocr_archive_lookalike.txt")
    assert [(d.kind, d.title) for d in out.docs[1:]] == [
        ("chapter", "THE BALTIC QUESTION"), ("chapter", "TRADE AND RECOGNITION"),
    ]
    # pages: "42" closes the opening page, heads "... 43"/"... 45" open theirs, "44" closes
    # the page CHAPTER IV opens
    assert [p.page for p in out.paras] == [42, 42, 42, 42, 43, 43, 43, 44, 44, 44, 44, 44, 45]


# --- held-out samples (see docs/quality/new_layouts.md for what failed before the fixes) ---------------


def test_heldout_frus_despatch_notes_inside_a_paragraph_holding_a_quote():
    _, out = parsed("frus1941v06_heldout.xml")
    (doc,) = out.docs[1:]
    assert (doc.title, doc.date, doc.place, doc.author, doc.provenance) == (
        "The Minister in Bolivia (Jenkins) to the Secretary of State", dt.date(1941, 4, 4),
        "La Paz", "Jenkins", "824.6363 St 2/534",
    )
    notes = {n.marker: n for n in out.notes if n.kind == "footnote"}
    assert sorted(notes) == ["14", "15", "16"] and all(n.para is not None for n in notes.values())
    p16 = out.paras[notes["16"].para]
    assert p16.text.startswith("As a corollary") and p16.text.endswith("(Legation’s underlining):")
    assert p16.text[: notes["16"].anchor_char].endswith("underlining")
    assert "the Standard Oil question was arrived at" in p16.text  # <pb/> inside the run
    quote = out.paras[-1]
    assert quote.kind == "quote" and quote.text.startswith("“The Standard Oil’s claims") and quote.page == 470


def test_heldout_mediawiki_chrome_and_references():
    _, out = parsed("mediawiki_heldout.html")
    texts = [p.text for p in out.paras]
    assert texts[0] == "Treaty of Examplia (1925)"
    for chrome in ("free encyclopedia", "Jump to", "Retrieved from", "Categories", "Main page", "last edited", "Contents"):
        assert not any(chrome in t for t in texts), chrome
    assert [(d.kind, d.title) for d in out.docs[1:]] == [("section", "Background"), ("notes", "References")]
    assert [(n.marker, n.text) for n in out.notes] == [
        ("1", "An Example History, 1950, p. 12."), ("2", "Border Studies, vol. 3."),
    ]
    assert all(n.para is not None for n in out.notes)
    assert not any(d.reason == "page_number" for d in out.discards)


def test_heldout_markdown_minutes():
    _, out = parsed("notes_heldout.md")
    assert [d.title for d in out.docs[1:]] == ["Meeting of the Example Committee", "Decisions"]
    items = [p.text for p in out.paras if p.kind == "list_item"]
    assert len(items) == 7 and items[-1] == "The secretary was asked to prepare a memorandum by 15 May."
    assert out.paras[-1].text == "See also the annex and https://example.org/minutes."
    (note,) = out.notes
    assert out.paras[note.para].text == "A letter from the ministry concerning the frontier commission."


def test_heldout_convention():
    _, out = parsed("convention_heldout.txt")
    inst = out.docs[1]
    assert (inst.title, inst.date, inst.place) == ("CONVENTION FOR THE DEFINITION OF AGGRESSION", dt.date(1933, 7, 3), "London")
    assert [d.title for d in out.docs[2:]] == ["ARTICLE 1", "ARTICLE 2", "ARTICLE 3"]
    assert [p.text for p in out.paras if p.kind == "signature"][-2:] == ["(Signed) A. EXAMPLE.", "(Signed) B. SAMPLE."]
