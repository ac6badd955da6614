"""Web layouts (web_collection, wiki_page, web_excerpt) and the plain fallback.

Unit tests use hand-written fixtures in the corpus styles (invented text); the integration
tests at the end read the real files from ../shared/corpus and were checked against them by eye.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.parsing.assemble import assemble
from pipelines.parsing.authors import canonical_author
from pipelines.parsing.formats import plain, web_collection, web_excerpt, wiki_page
from pipelines.parsing.formats.plain import ends_sentence, is_line_per_paragraph, is_rule_line
from pipelines.parsing.formats.web_collection import (
    doc_kind,
    heading_author,
    heading_head_end,
    heading_place,
    heading_tail_start,
    is_doc_heading,
    is_editorial_line,
    is_source_note,
    is_web_boilerplate,
    runs_on,
)
from pipelines.parsing.formats.web_excerpt import source_author_title
from pipelines.parsing.formats.wiki_page import meta_line, notes_section
from pipelines.parsing.text import split_lines

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def unexplained(text: str, parsed) -> list[str]:
    rows = assemble("t", text, parsed)["discarded_text"]
    return [r["text"] for r in rows if r["reason"] == "other"]


def check_spans(text: str, parsed) -> None:
    for rec in (*parsed.paras, *parsed.notes, *parsed.discards):
        assert 0 <= rec.char_start < rec.char_end <= len(text)
        assert not text[rec.char_start].isspace() and not text[rec.char_end - 1].isspace()


# --- rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Marx-Engels |\xa0 Lenin \xa0| Stalin |\xa0 Home Page",
        "Archive | Writers | Subjects | Search",
        "Download PDF",
        "Jump to navigation Jump to search",
        "From Marxists-en",
        "Comments",
        "Retrieved from \"https://example.org/wiki/Some_page\"",
        "==========",
    ],
)
def test_boilerplate_lines(line):
    assert is_web_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Print. according to the typescript kept in the archive.",
        "Home rule for the province was discussed at length in the spring.",
        "Lenin | Stalin",  # two items are not a navigation bar
        "Download the remaining grain quotas before winter, the commissar ordered.",
    ],
)
def test_not_boilerplate(line):
    assert not is_web_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "From the Speech of the Peopleʹs Commissar for Foreign Affairs M.M. Litvinov at the session of the Central Executive Committee on March 3, 1931 ",
        "Telegram of the Soviet Ambassador in Ankara to the NKID, 5 May 1925",
        "Draft Interview of G. V. Chicherin, August 18, 1927.",
        "March 2, 1921, from Chicherin letter to the Persian Government",
        "Record of conversation of the Deputy People's Commissar with the Turkish Ambassador, 14 January 1934",
    ],
)
def test_doc_headings(line):
    assert is_doc_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        # a paragraph: sentence break inside
        "The note was handed over on May 3, 1921. The ambassador promised to reply within a week",
        # opens like running text
        "In his report of June 1920 the commissar spoke of the eastern question",
        "report for 1921 I have been able to show you only by figures",
        # no year
        "From the Report of the People's Commissar at a meeting of the Committee",
        # ends as a sentence
        "Letter from the commissar to the ambassador, written in haste on May 3, 1921, was lost.",
        # no kind of writing named
        "From Moscow to the frontier, 1921",
        # date opener not followed by a heading word
        "February 4, 1919, and the draft treaty drawn up jointly",
    ],
)
def test_not_doc_headings(line):
    assert not is_doc_heading(line)


def test_heading_run_on_after_source_note():
    raw = "Committee of the Soviets on May 2, 1921. (Stenogram) ʺ, NKID, M. 1921. April 9, 1922, from Trotsky speech at a rally of the Odessa Soviet"
    pos = heading_tail_start(raw)
    assert raw[pos:] == "April 9, 1922, from Trotsky speech at a rally of the Odessa Soviet"
    assert heading_tail_start("Print. according to the typescript, NKID, M. 1921.") is None


def test_heading_run_into_first_paragraph():
    raw = "Letter from A.B. Petrov to the Soviet Ambassador in Kabul, May 3, 1921 We have received your telegram and share your view of the emir's intentions."
    end = heading_head_end(raw)
    assert raw[:end] == "Letter from A.B. Petrov to the Soviet Ambassador in Kabul, May 3, 1921"
    assert heading_head_end("We have received your letter of May 3, 1921 and share your view of the emir.") is None


def test_kind_author_place_from_heading():
    h = "November 6, 1920, from Stalin report delivered at a celebration meeting of the Tiflis Soviet"
    assert doc_kind(h) == "report"
    assert heading_author(h) == "J. V. Stalin"
    assert heading_place(h) == "Tiflis"
    h = "Letter of the People's Commissar for Foreign Affairs G.V. Chicherin to the Ambassador in London, 3 June 1921"
    assert doc_kind(h) == "letter"
    assert heading_author(h) == "G. V. Chicherin"
    assert heading_place(h) is None  # London is the addressee's post
    assert heading_author("Telegram to J. Stalin from the delegation, April 2, 1922") is None
    assert heading_author("Note of A.B. Petrov to the Turkish Government, 1925") == "A. B. Petrov"
    assert doc_kind("Telegram in reply to the note of the Persian Government, 1921") == "telegram"
    assert doc_kind("Statement of TASS, 1939") == "statement"
    assert doc_kind("Draft Interview of the commissar, 1927") == "interview"
    assert doc_kind("Something else, 1927") == "other"
    assert heading_place("Speech delivered in Kazan, May 5, 1920") == "Kazan"


def test_canonical_author():
    assert canonical_author("Lenin") == "V. I. Lenin"
    assert canonical_author("G.V. Chicherin") == "G. V. Chicherin"
    assert canonical_author("E.H. Carr") == "E. H. Carr"
    assert canonical_author("A.B. Petrov") == "A. B. Petrov"
    assert canonical_author(" ") is None


def test_source_notes_and_editorial_lines():
    assert is_source_note("Print. according to the brochure “Report of ...")
    assert is_source_note("Published according to the newspaper text")
    assert is_source_note("Source: Collected Works, Vol. 3")
    assert is_source_note("AVP RF, f. 04, op. 32, d. 1, l. 5.")
    assert not is_source_note("Printing presses were seized in the capital.")
    assert is_editorial_line("...")
    assert is_editorial_line("[...]")
    assert is_editorial_line("[The end of the document is missing.]")
    assert not is_editorial_line("[...] The session opens at a difficult moment.")


def test_line_endings():
    assert runs_on("the government sent us the notes with which")
    assert runs_on("and the Italian cooperatives,")
    assert not runs_on("Moscow, June 3, 1920")
    assert not runs_on("G. Chicherin")
    assert ends_sentence("He left.") and ends_sentence("“Quite so.”") and not ends_sentence("and then")


# --- web_collection ------------------------------------------------------------------------

COLLECTION = """Selected Papers on Eastern Policy - 1920 to 1925

Writers | Archive |  Home Page

  Selected Papers on Eastern Policy - 1920 to 1925
Letters and speeches on Persia and Afghanistan.

Download PDF

From the Speech of the Peopleʹs Commissar for Foreign Affairs G.V. Chicherin at a session of the Central Executive Committee on May 2, 1921\u00a0

[...] The session opens at a difficult moment, and our neighbours in the East watch us closely.

Our envoys went to Kabul and to Teheran, and we told them that the Soviet Republic wants peace with

everyone who wants peace with it. That is our whole policy.

...

The Persian question is solved in the All‐Russian interest and in the interest of the Persian people [...]

Print. according to the brochure “Speech of the Peopleʹs Commissar at a session of the Central

Executive Committee on May 2, 1921. (Stenogram) ʺ, NKID, M. 1921. March 2, 1922, from Stalin letter to the Kabul Soviet

The eastern question is no longer a question of diplomacy alone, and the masses of the East know it.

We shall not hand over our friends
"""


def test_web_collection_fixture():
    p = web_collection.parse(COLLECTION)
    check_spans(COLLECTION, p)
    assert unexplained(COLLECTION, p) == []
    root, first, second = p.docs
    assert (root.kind, root.title) == ("collection", "Selected Papers on Eastern Policy - 1920 to 1925")
    assert first.kind == "speech" and first.author == "G. V. Chicherin"
    assert first.title.startswith("From the Speech of the People's Commissar") and first.title.endswith("May 2, 1921")
    assert (first.date, first.date_precision) == (dt.date(1921, 5, 2), "day")
    assert second.kind == "letter" and second.author == "J. V. Stalin"
    assert second.place is None  # "to the Kabul Soviet": the addressee, not where written
    assert second.title == "March 2, 1922, from Stalin letter to the Kabul Soviet"
    assert second.date == dt.date(1922, 3, 2)
    # site chrome: navigation, repeated title, download link
    chrome = sorted(COLLECTION[d.char_start:d.char_end] for d in p.discards)
    assert chrome == ["Download PDF", "Selected Papers on Eastern Policy - 1920 to 1925", "Writers | Archive |  Home Page"]
    # the source note runs over two lines and stops where the next heading starts
    (note,) = p.notes
    assert note.kind == "source_note" and note.doc == 1 and note.para is None
    assert note.text.startswith("Print. according to") and note.text.endswith("NKID, M. 1921.")
    assert "People's Commissar" in note.text and "All-Russian" not in note.text
    assert first.provenance == note.text and second.provenance is None
    texts = [(x.doc, x.kind, x.text) for x in p.paras]
    assert (0, "editorial", "Letters and speeches on Persia and Afghanistan.") in texts
    assert (1, "editorial", "...") in texts
    assert any(t.startswith("[...] The session opens") for _, _, t in texts)  # elision kept
    # a paragraph split by a blank line is one paragraph
    assert any(t.endswith("wants peace with everyone who wants peace with it. That is our whole policy.") for _, _, t in texts)
    assert any("All-Russian interest" in t and t.endswith("[...]") for _, _, t in texts)
    # the file is cut off: the last writing still has its paragraphs
    assert [t for d, k, t in texts if d == 2][-1] == "We shall not hand over our friends"


def test_web_collection_heading_run_into_paragraph():
    text = (
        "Papers\n\nTelegram of the Soviet Envoy in Kabul to the NKID, 12 June 1921 The emir received me today "
        "and spoke at length of the frontier tribes and of the British subsidies to them.\n\nHe asked for aircraft.\n"
    )
    p = web_collection.parse(text)
    assert [d.kind for d in p.docs] == ["collection", "telegram"]
    assert p.docs[1].title == "Telegram of the Soviet Envoy in Kabul to the NKID, 12 June 1921"
    assert p.docs[1].date == dt.date(1921, 6, 12)
    assert [x.kind for x in p.paras if x.doc == 1] == ["heading", "text", "text"]
    assert unexplained(text, p) == []


# --- wiki_page -----------------------------------------------------------------------------

WIKI = """Note to the Commissariat of Finance on the Gold Reserve, March 3, 1921

From Marxists-en
Jump to navigation Jump to search
Author(s) Lenin
Written 3 March 1921

First published in 1945 in Lenin Miscellany XXXV. Printed from the original.
Source: Lenin Collected Works, Progress Publishers, 1971, Moscow, Volume 44, pages 12-13.

March 3, 1921

Comrade Krestinsky,

Please send me the figures of the gold reserve by tomorrow.[1] The figures must be exact.

“The transfer to Stockholm must wait.”[2]


  1. The figures were sent on March 4
    See the next document of this volume.
  2. The transfer was made in April 1921.
"""


def test_wiki_rules():
    assert meta_line("Author(s) Lenin") == ("author(s)", "Lenin")
    assert meta_line("Written 3 March 1921") == ("written", "3 March 1921")
    assert meta_line("Writers of the period agree.") is None
    lines = [ln for ln in split_lines(WIKI) if not ln.blank]
    assert lines[notes_section(lines)].text.strip().startswith("1. The figures")
    # a numbered list ending a page without markers, heading or indentation is not notes
    plain_list = [ln for ln in split_lines("Title\n\nText.\n\n1. First point.\n2. Second point.\n") if not ln.blank]
    assert notes_section(plain_list) == len(plain_list)


def test_wiki_page_fixture():
    p = wiki_page.parse(WIKI)
    check_spans(WIKI, p)
    assert unexplained(WIKI, p) == []
    root, note_doc = p.docs
    assert root.kind == "page" and root.title.startswith("Note to the Commissariat of Finance")
    assert note_doc.kind == "note" and note_doc.author == "V. I. Lenin"
    assert (note_doc.date, note_doc.date_precision, note_doc.date_text) == (dt.date(1921, 3, 3), "day", "3 March 1921")
    assert note_doc.provenance.startswith("First published in 1945") and "Source: Lenin Collected Works" in note_doc.provenance
    assert sorted(WIKI[d.char_start:d.char_end] for d in p.discards) == ["From Marxists-en", "Jump to navigation Jump to search"]
    kinds = {n.kind for n in p.notes}
    assert kinds == {"source_note", "footnote"}
    f1, f2 = [n for n in p.notes if n.kind == "footnote"]
    para1 = p.paras[f1.para]
    assert para1.text == "Please send me the figures of the gold reserve by tomorrow. The figures must be exact."
    assert f1.marker == "1" and para1.text[: f1.anchor_char] == "Please send me the figures of the gold reserve by tomorrow."
    assert f1.text == "The figures were sent on March 4 See the next document of this volume."
    para2 = p.paras[f2.para]
    assert para2.kind == "quote" and f2.anchor_char == len(para2.text) and f2.text == "The transfer was made in April 1921."
    assert all("[" not in x.text for x in p.paras)
    kinds_by_text = {x.text: x.kind for x in p.paras}
    assert kinds_by_text["Author(s) Lenin"] == "editorial" and kinds_by_text["March 3, 1921"] == "editorial"


# --- web_excerpt ---------------------------------------------------------------------------

EXCERPT = """In this excerpt Smith describes the first trade talks of the Soviet state.
For the background to the talks see;
http://example.org/history/trade-talks-1920
=========
The negotiations opened in London in the summer of 1920 and dragged on through the autumn, while the fighting in Poland went on and the British cabinet was divided on the question of recognition.
The agreement was signed in March 1921. It was the first agreement of its kind between the Soviet Government and a great power, and it was followed by similar agreements with Germany, Norway and Austria.
Source; J.R. Smith - Soviet Trade and Diplomacy 1918-1924; Harbour Press, London, 1985 - pp. 10-12.
Comments
"""


def test_source_author_title():
    assert source_author_title("Source; E.H. Carr - The Russian Revolution - from Lenin to Stalin 1917-1929; MacMillan, UK, 1979 - pp. 42-46.") == (
        "E. H. Carr",
        "The Russian Revolution - from Lenin to Stalin 1917-1929",
    )
    assert source_author_title("Source: A History of Trade; London, 1950") == (None, "A History of Trade")


def test_web_excerpt_fixture():
    p = web_excerpt.parse(EXCERPT)
    check_spans(EXCERPT, p)
    assert unexplained(EXCERPT, p) == []
    root, intro, ex = p.docs
    assert root.kind == "page" and intro.kind == "note" and ex.kind == "excerpt"
    assert (ex.author, ex.title) == ("J. R. Smith", "Soviet Trade and Diplomacy 1918-1924")
    assert ex.date == dt.date(1985, 1, 1) and ex.date_precision == "year"
    intro_paras = [x.text for x in p.paras if x.doc == 1]
    assert intro_paras == [
        "In this excerpt Smith describes the first trade talks of the Soviet state.",
        "For the background to the talks see; http://example.org/history/trade-talks-1920",
    ]
    assert len([x for x in p.paras if x.doc == 2]) == 2
    (note,) = p.notes
    assert note.kind == "source_note" and note.doc == 2 and ex.provenance == note.text
    assert sorted(EXCERPT[d.char_start:d.char_end] for d in p.discards) == ["=========", "Comments"]


# --- plain ---------------------------------------------------------------------------------

PLAIN = """A Short Account

The delegation left Moscow in the
spring and reached the frontier af-
ter nine days.

Arrival

At the frontier they were met by officials of the border guard who inspected their papers at length and then allowed them to proceed to the capital by the night train, as arranged beforehand.
In the capital a reception had been prepared by the foreign ministry, and the first talks began the next morning in the old palace by the river.

-----
"""


def test_plain_fixture():
    p = plain.parse(PLAIN)
    check_spans(PLAIN, p)
    assert unexplained(PLAIN, p) == []
    assert p.title == "A Short Account" and p.docs[0].kind == "page"
    assert [(x.kind, x.text[:25]) for x in p.paras] == [
        ("heading", "A Short Account"),
        ("text", "The delegation left Mosco"),
        ("heading", "Arrival"),
        ("text", "At the frontier they were"),
        ("text", "In the capital a receptio"),
    ]
    assert p.paras[1].text == "The delegation left Moscow in the spring and reached the frontier after nine days."
    assert [PLAIN[d.char_start:d.char_end] for d in p.discards] == ["-----"]


def test_plain_rules():
    lines = split_lines("x" * 200 + "\n" + "y" * 190 + "\nshort\n")
    assert is_line_per_paragraph(lines[:3])
    assert not is_line_per_paragraph(split_lines("a wrapped line of text\nand another one\n")[:2])
    assert is_rule_line("* * * *") and is_rule_line("=====") and not is_rule_line("== Notes ==")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n\n", "  \n\t\n \r\n", "\x00\x01\x02\n\x07", "Heading\x0b\n\nbody\x00 text.\n", "\ufeff", "-\n-\n", "¹²³"],
)
def test_plain_odd_inputs(text):
    p = plain.parse(text)
    assert p.docs and p.docs[0].kind == "page"
    assemble("t", text, p)  # never raises
    for x in p.paras:
        assert x.text and not any(ord(c) < 32 for c in x.text)


def test_plain_one_huge_line():
    text = ("word " * 10_000_000)[:50_000_000]
    p = plain.parse(text)
    assert len(p.paras) == 1 and p.paras[0].char_start == 0 and p.paras[0].char_end == len(text.rstrip())


def test_all_web_parsers_survive_odd_inputs():
    for text in ["", "\n\n", "\x00\x01", "=====\n", "Comments\n", "  1. a note\n", "Source; \n"]:
        for mod in (web_collection, wiki_page, web_excerpt):
            p = mod.parse(text)
            assert p.docs[0].parent is None
            assemble("t", text, p)


# --- the real corpus -------------------------------------------------------------------------


def _read(name: str) -> str:
    path = CORPUS / name
    assert path.exists(), f"the real corpus is expected at {path}"
    return path.read_text(encoding="utf-8")


def test_corpus_001_web_collection():
    text = _read("001_a6ed507f8ecbd8e2.txt")
    p = web_collection.parse(text)
    assert unexplained(text, p) == []
    root, a, b = p.docs  # the page holds two documents before it is cut off
    assert root.kind == "collection" and root.title.startswith("Selected Secret Documents from Soviet Foreign Policy")
    assert (a.kind, a.author, a.date) == ("report", "G. V. Chicherin", dt.date(1920, 6, 17))
    assert a.title.startswith("From the Report of the People's Commissar for Foreign Affairs of the RSFSR G.V. Chicherin")
    assert (b.kind, b.author, b.date, b.place) == ("report", "J. V. Stalin", dt.date(1920, 11, 6), "Baku")
    assert b.title.startswith("November 6, 1920, from Stalin report")
    assert len(p.notes) == 1 and p.notes[0].kind == "source_note" and p.notes[0].doc == 1
    assert p.notes[0].text.endswith("NKID, M. 1920.")
    assert len(p.discards) == 3 and {d.reason for d in p.discards} == {"boilerplate"}
    assert not any("ʹ" in x.text or "\u2010" in x.text for x in p.paras)
    assert sum(1 for x in p.paras if "[...]" in x.text) >= 4


def test_corpus_003_wiki_page():
    text = _read("003_2c5013f083e6a43d.txt")
    p = wiki_page.parse(text)
    assert unexplained(text, p) == []
    root, letter = p.docs
    assert root.kind == "page" and letter.kind == "letter" and letter.author == "V. I. Lenin"
    assert (letter.date, letter.date_precision) == (dt.date(1922, 4, 24), "day")
    assert letter.provenance.startswith("First published in 1959")
    fn = [n for n in p.notes if n.kind == "footnote"]
    assert len(fn) == 1 and fn[0].marker == "1" and fn[0].text.startswith("On April 24, 1922, the text of the telegram")
    para = p.paras[fn[0].para]
    assert para.text.startswith("Please, let me know") and fn[0].anchor_char == len(para.text)
    assert [n.kind for n in p.notes].count("source_note") == 1


def test_corpus_004_web_excerpt():
    text = _read("004_e46a0e7458e67fc2.txt")
    p = web_excerpt.parse(text)
    assert unexplained(text, p) == []
    assert [d.kind for d in p.docs] == ["page", "note", "excerpt"]
    ex = p.docs[2]
    assert (ex.author, ex.title) == ("E. H. Carr", "The Russian Revolution - from Lenin to Stalin 1917-1929")
    assert len([x for x in p.paras if x.doc == 2]) == 6 and len([x for x in p.paras if x.doc == 1]) == 2
    assert [text[d.char_start:d.char_end] for d in p.discards] == ["==========", "Comments"]
