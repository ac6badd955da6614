"""The markdown_book layout: unit tests on hand-written fixtures (invented text in the style
of a book converted to Markdown) and an integration test on the real corpus file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.parsing.assemble import assemble
from pipelines.parsing.chronology import entry_starts, split_entry, year_heading
from pipelines.parsing.contents_table import entries_from_rows, heading_key, key_match, parse_rows
from pipelines.parsing.dates import parse_date_span
from pipelines.parsing.formats import markdown_book as mb

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
BOOK = CORPUS / "002_278814a42839b995.txt"

# --- small rules ---------------------------------------------------------------------------


def test_sup_numbers():
    assert mb.sup_numbers("¹²") == [12]
    assert mb.sup_numbers("²¹⁻²²") == [21, 22]
    assert mb.sup_numbers("87") == [87]


@pytest.mark.parametrize(
    "prev,nxt,expected",
    [
        ("the council decided to preserve and", "strengthen the union.", True),
        ("the council decided to pre-", "serve the union.", True),
        ("The treaty was signed.", "The next day it rained.", False),
        ("The treaty was signed.²", "Soon after, the envoy left.", False),
        ("as the envoy in", "Paris wrote to the minister.", True),
        ('he was "very much against Holland" 87', "The envoy left.", False),
        ("The treaty was signed.", "and only then the envoy left.", True),
    ],
)
def test_continues_paragraph(prev, nxt, expected):
    assert mb.continues_paragraph(prev, nxt) is expected


def test_note_start():
    assert mb.note_start("¹ A. B. Author, *A Book*, p. 3.") == "¹"
    assert mb.note_start("²¹⁻²² *Yearbook*, 1950, p. 1.") == "²¹⁻²²"
    assert mb.note_start("* The act was passed in 1941.") == "*"
    assert mb.note_start("* * *") is None
    assert mb.note_start("The treaty¹ was signed.") is None


def test_note_continuation_rule():
    blk = mb.Block([mb.Line(1, 0, 20, "of the Archive). Letter of May 1.")])
    nxt = mb.Block([mb.Line(3, 22, 30, "² Ibid.")])
    assert mb.is_note_continuation(False, blk, nxt, True)
    low = mb.Block([mb.Line(1, 0, 20, "ly. They lost the battle.")])
    after = mb.Block([mb.Line(3, 22, 30, "ship and pledged to stay.")])
    assert mb.is_note_continuation(True, low, after, False)
    assert not mb.is_note_continuation(False, low, after, False)


def test_md_plain():
    assert mb.md_plain("*Pravda*, **bold** and ***both*** and _it_") == "Pravda, bold and both and it"
    assert mb.md_plain("lend-lease.* It is") == "lend-lease.* It is"


@pytest.mark.parametrize(
    "text,year,start,end,precision",
    [
        ("25 *October (7 November)*", 1917, dt.date(1917, 11, 7), None, "day"),
        ("2(15) *November*", 1917, dt.date(1917, 11, 15), None, "day"),
        ("18(31) *December*", 1917, dt.date(1917, 12, 31), None, "day"),
        ("9(22) *December-3 March 1918*", 1917, dt.date(1917, 12, 22), dt.date(1918, 3, 3), "day"),
        ("23 *December 1917 (5 January 1918)*", 1917, dt.date(1918, 1, 5), None, "day"),
        ("6-8 *March*", 1918, dt.date(1918, 3, 6), dt.date(1918, 3, 8), "day"),
        ("10 April-19 May", 1922, dt.date(1922, 4, 10), dt.date(1922, 5, 19), "day"),
        ("26 August 1921-16 April 1922", 1921, dt.date(1921, 8, 26), dt.date(1922, 4, 16), "day"),
        ("14 and 16 *June*", 1940, dt.date(1940, 6, 14), dt.date(1940, 6, 16), "day"),
        ("March*", 1919, dt.date(1919, 3, 1), None, "month"),
        ("July-December", 1929, dt.date(1929, 7, 1), dt.date(1929, 12, 31), "month"),
    ],
)
def test_parse_date_span(text, year, start, end, precision):
    sp = parse_date_span(text, year, old_style=True)
    assert (sp.start, sp.end, sp.precision) == (start, end, precision)


def test_parse_date_span_old_style_without_brackets():
    # declared Old Style, no New Style given: converted from the Julian calendar
    assert parse_date_span("15 December", 1917, old_style=True).start == dt.date(1917, 12, 28)
    assert parse_date_span("15 December", 1917).start == dt.date(1917, 12, 15)
    assert parse_date_span("the envoy", 1917) is None


def test_chronology_lines():
    assert year_heading("1917") == 1917
    assert year_heading("- 1940") == 1940
    assert year_heading("1917 saw a change") is None
    line = "- 3 *May*—a treaty is signed with Ruritania."
    assert entry_starts(line) == [2]
    e = split_entry(line[2:], 1925)
    assert e.date_text == "3 May" and e.span.start == dt.date(1925, 5, 3)
    assert line[2:][e.text_offset :].startswith("a treaty")
    embedded = "relations with Ruritania. August—envoys are exchanged."
    assert entry_starts(embedded) == [embedded.index("August")]
    assert entry_starts("- Republic.") == []
    assert entry_starts("- 2(15) *November*—a decree is adopted.") == [2]


def test_contents_rows_split_and_layout():
    lines = [
        ("| | |", 0, 5),
        ("|--|----|", 6, 15),
        ("| Introduction | 9 |", 16, 35),
        ("| CHAPTER I. The Long Road of the | |", 36, 70),
        ("| | |", 71, 76),
        ("|---|-----|", 77, 88),
        ("| Envoys (1920-1921) | 30 |", 89, 115),
        ("| The First Steps . . | 30 |", 116, 142),
        ("| -CHAPTER II. Ag- gression Repelled | 41 |", 143, 185),
    ]
    rows, layout = parse_rows(lines)
    assert layout == [(0, 5), (6, 15), (71, 76), (77, 88)]
    entries = entries_from_rows(rows)
    assert [(e.title, e.page, e.kind) for e in entries] == [
        ("Introduction", 9, "introduction"),
        ("CHAPTER I. The Long Road of the Envoys (1920-1921)", 30, "chapter"),
        ("The First Steps", 30, "section"),
        ("CHAPTER II. Aggression Repelled", 41, "chapter"),
    ]
    assert rows[1].spans == [(36, 70), (89, 115)]


def test_heading_key_matches_printed_forms():
    entry = heading_key("CHAPTER III. The Long Road of the Envoys (1920-1921)")
    short = heading_key("CHAPTER III. The Long Road of the Envoys")
    assert key_match(heading_key("THE LONG ROAD OF THE ENVOYS"), entry, short) == "full"
    assert key_match(heading_key("**The Long Road"), entry, short) == "prefix"
    assert key_match(heading_key("Germany’s Policy"), heading_key("Germany's Policy"), "") == "full"
    assert key_match(heading_key("A quite different line"), entry, short) == ""


# --- a whole hand-written book -------------------------------------------------------------

FIXTURE = """

THE LONG ROAD

Volume II

1920-1930

Prepared for
publication by A. N. Editor.

CONTENTS

| | |
|--|----|
| Introduction | 5 |
| CHAPTER I. The Envoys and the | |

| | |
|---|-----|
| Treaties of Peace | 10 |
| The First Mission | 10 |
| The Second Mission . . | 14 |
| CHAPTER II. Trade Resumed | 20 |
| CHRONOLOGY | 30 |

INTRODUCTION

The book tells how envoys travelled.¹ It was a long road.

They spoke against aggression and against war, and aggression was repelled.

¹ *The Envoy's Diary*, Moscow, 1960, p. 3.

CHAPTER I

THE ENVOYS AND THE TREATIES OF PEACE

The First Mission

The first mission left in spring,¹ and the council resolved to preserve and

¹ *Archive*, Vol. 2, p. 10.

² See *Ag- gression Papers*, p. 5 (henceforth AP

strengthen the union of the two states.² The envoys were received with *great* honour.

* * *

of the Archive). Letter of May 1, 1921.

³ *Ibid.*, p. 12.

The second mission was refused, "the matter being closed".³

The Second Mission

A third attempt failed. The minister said "no more talks" 4

4 *Archive*, Vol. 3, p. 7.

**TRADE
RESUMED**

Trade resumed in the autumn under the lend-lease.* It grew.

* The act was passed in the same year.

- first, grain;
- second, timber.

CHRONOLOGY¹

1920

- 25 *October (7 November)*—an envoy arrives in the capital.
- 2(15) *November*—a treaty is drafted.

¹ Dates before 31 January 1918 are given in Old Style, New Style in brackets.

1921

- 16 *March*—a trade agreement is signed be-

tween the two states.

- March*—talks on grain. 6-8 *April*—talks on timber.
- 26 August 1921-16 April 1922—a conference sits.

REQUEST TO READERS

Please send your comments to the publisher.
"""


@pytest.fixture(scope="module")
def book():
    return mb.parse_with_report(FIXTURE)


def _doc(out, title_start):
    return next(i for i, d in enumerate(out.docs) if (d.title or "").startswith(title_start))


def test_fixture_tree(book):
    out, stats = book
    assert out.title == "THE LONG ROAD, Volume II, 1920-1930"
    assert stats["missed_entries"] == []
    kinds = [(d.kind, d.title) for d in out.docs]
    assert kinds == [
        ("book", "THE LONG ROAD, Volume II, 1920-1930"),
        ("front_matter", "Front matter"),
        ("contents", "CONTENTS"),
        ("introduction", "Introduction"),
        ("chapter", "CHAPTER I. The Envoys and the Treaties of Peace"),
        ("section", "The First Mission"),
        ("section", "The Second Mission"),
        ("chapter", "CHAPTER II. Trade Resumed"),
        ("chronology", "CHRONOLOGY"),
        ("other", "REQUEST TO READERS"),
    ]
    first = out.docs[_doc(out, "The First Mission")]
    assert (first.page_start, first.page_end) == (10, 14)  # a section runs on to the next one's page
    ch1 = out.docs[_doc(out, "CHAPTER I")]
    assert (ch1.page_start, ch1.page_end) == (10, 19)  # a chapter ends before the next begins
    assert out.docs[_doc(out, "Introduction")].page_end == 9
    assert out.docs[_doc(out, "The Second Mission")].parent == _doc(out, "CHAPTER I")


def test_fixture_contents_rows(book):
    out, _ = book
    rows = [p.text for p in out.paras if p.kind == "table_row"]
    assert rows[1] == "CHAPTER I. The Envoys and the Treaties of Peace | 10"
    assert rows[3] == "The Second Mission | 14"
    assert len(rows) == 6


def test_fixture_page_split_paragraph_and_notes(book):
    out, _ = book
    para = next(p for p in out.paras if p.text.startswith("The first mission"))
    assert para.text == (
        "The first mission left in spring, and the council resolved to preserve and strengthen "
        "the union of the two states. The envoys were received with great honour."
    )
    notes = {(n.marker, n.text[:12]): n for n in out.notes}
    n1 = notes[("¹", "Archive, Vol")]
    assert out.paras[n1.para] is para and para.text[: n1.anchor_char].endswith("spring,")
    n2 = next(n for n in out.notes if n.marker == "²" and "Aggression" in n.text)
    assert n2.text == "See Aggression Papers, p. 5 (henceforth AP of the Archive). Letter of May 1, 1921."
    assert out.paras[n2.para] is para and para.text[: n2.anchor_char].endswith("states.")
    intro_note = next(n for n in out.notes if "Diary" in n.text)
    assert out.paras[intro_note.para].text.startswith("The book tells")
    # the paragraph after the page's notes starts its own paragraph
    assert any(p.text.startswith("The second mission was refused") for p in out.paras)


def test_fixture_plain_and_star_markers(book):
    out, _ = book
    plain = next(n for n in out.notes if n.marker == "4")
    assert out.paras[plain.para].text == 'A third attempt failed. The minister said "no more talks"'
    star = next(n for n in out.notes if n.marker == "*")
    p = out.paras[star.para]
    assert p.text == "Trade resumed in the autumn under the lend-lease. It grew."
    assert p.text[: star.anchor_char].endswith("lend-lease.")
    # numbering restarts per chapter: both ¹ notes are linked to their own chapter's marker
    ones = [n for n in out.notes if n.marker == "¹"]
    assert len(ones) == 3 and len({n.para for n in ones}) == 3


def test_fixture_kinds(book):
    out, _ = book
    items = [p.text for p in out.paras if p.kind == "list_item"]
    assert items == ["first, grain;", "second, timber."]
    heads = [p.text for p in out.paras if p.kind == "heading"]
    assert "TRADE RESUMED" in heads and "1921" in heads and "CHRONOLOGY" in heads


def test_fixture_chronology(book):
    out, _ = book
    evs = [(e.date_text, e.date_start, e.date_end, e.date_precision, e.text) for e in out.events]
    assert evs == [
        ("25 October (7 November)", dt.date(1920, 11, 7), None, "day", "an envoy arrives in the capital."),
        ("2(15) November", dt.date(1920, 11, 15), None, "day", "a treaty is drafted."),
        (
            "16 March",
            dt.date(1921, 3, 16),
            None,
            "day",
            "a trade agreement is signed between the two states.",
        ),
        ("March", dt.date(1921, 3, 1), None, "month", "talks on grain."),
        ("6-8 April", dt.date(1921, 4, 6), dt.date(1921, 4, 8), "day", "talks on timber."),
        (
            "26 August 1921-16 April 1922",
            dt.date(1921, 8, 26),
            dt.date(1922, 4, 16),
            "day",
            "a conference sits.",
        ),
    ]
    for e in out.events:
        assert out.paras[e.para].kind == "chronology_entry"
    chron_note = next(n for n in out.notes if "Old Style" in n.text)
    assert out.paras[chron_note.para].text == "CHRONOLOGY"


def test_fixture_coverage(book):
    out, _ = book
    rows = assemble("fixture", FIXTURE, out)
    other = [r for r in rows["discarded_text"] if r["reason"] == "other"]
    assert other == []
    reasons = {r["text"]: r["reason"] for r in rows["discarded_text"]}
    assert reasons["* * *"] == "boilerplate" and reasons["|--|----|"] == "boilerplate"


def test_no_contents_table_uses_heading_shapes():
    text = "A SMALL BOOK\n\n# Part One\n\nSome text here.\n\n## A Section\n\nMore text.¹\n\n¹ A note.\n"
    out = mb.parse(text)
    assert [(d.kind, d.title) for d in out.docs[2:]] == [("chapter", "Part One"), ("section", "A Section")]
    assert out.notes[0].para is not None


# --- the real book -------------------------------------------------------------------------


@pytest.mark.skipif(not BOOK.exists(), reason="corpus not available")
def test_corpus_book():
    text = BOOK.read_text(encoding="utf-8")
    out, stats = mb.parse_with_report(text)  # (its speed: benchmarks/parse_cpu.py)
    assert stats["entries"] == 101 and stats["missed_entries"] == []
    kinds = [d.kind for d in out.docs]
    assert kinds.count("chapter") == 13 and kinds.count("section") == 86
    assert kinds.count("chronology") == 1 and kinds.count("introduction") == 1
    # every printed note (1183 superscript, 4 plain-number, 2 asterisk) found and linked
    assert len(out.notes) == 1189
    assert all(n.para is not None for n in out.notes)
    for n in out.notes:
        p = out.paras[n.para]
        assert n.marker in text[p.char_start : p.char_end]
    # 304 chronology entries counted in the raw text (a month followed by an em dash)
    assert len(out.events) == 304 and all(e.date_start for e in out.events)
    # 16 entries print an Old Style date with the New Style in brackets (counted by grep)
    olds = [e for e in out.events if e.date_old_style is not None]
    assert len(olds) == 16 and all((e.date_start - e.date_old_style).days == 13 for e in olds)
    # pages: none after the chronology's first page; known pages only where both anchors agree
    chron = next(i for i, d in enumerate(out.docs) if d.kind == "chronology")
    paged = [p for p in out.paras if p.doc == chron and p.page is not None]
    assert {p.page for p in paged} == {489} and len(paged) < 20
    assert all(p.page_estimated is not None for p in out.paras if p.page is not None)
    rows = assemble("002", text, out)
    nonws = sum(1 for c in text if not c.isspace())
    other = sum(len(r["text"].replace(" ", "")) for r in rows["discarded_text"] if r["reason"] == "other")
    disc = sum(len(r["text"].replace(" ", "")) for r in rows["discarded_text"])
    assert other == 0 and disc / nonws < 0.05
    assert not any("¹" in p.text or "*" in p.text for p in out.paras if p.kind != "table_row")


PAGED = """A SHORT BOOK

CONTENTS

| | |
|--|----|
| CHAPTER I. Early Years | 10 |
| The First Talks | 10 |
| The Second Talks | 11 |
| CHAPTER II. Later Years | 12 |
| CHRONOLOGY | 14 |

CHAPTER I

EARLY YEARS

The First Talks

The talks opened in a cold hall.¹

¹ *Minutes*, Vol. 1, p. 2.

They closed in a warm one.

The Second Talks

Nobody came to the second talks.²

² *Minutes*, Vol. 1, p. 9.

CHAPTER II

LATER YEARS

Years passed.

CHRONOLOGY

1930

- 5 *May*—a treaty is signed.¹

¹ All dates New Style.

- 7 *May*—a second treaty is signed.
"""


def test_page_known_where_both_printed_pages_agree():
    out = mb.parse(PAGED)
    got = {p.text: (p.page, p.page_estimated) for p in out.paras if p.kind != "table_row"}
    assert got["The First Talks"] == (10, False)  # a heading: printed in the contents
    assert got["The talks opened in a cold hall."] == (10, False)
    # after the page's notes: page 11, and counted back from "The Second Talks" (11) too
    assert got["They closed in a warm one."] == (11, False)
    # before a chapter (a new page at 12) and its page's notes: 11 both ways
    assert got["Nobody came to the second talks."] == (11, False)
    assert got["Years passed."] == (12, True)  # nothing printed after it: an estimate
    # the chronology: its first page only, up to the first page break seen (its notes)
    assert got["CHRONOLOGY"] == (14, False)
    assert got["5 May—a treaty is signed."] == (14, True)
    assert got["7 May—a second treaty is signed."] == (None, None)


def test_page_estimated_when_a_break_is_invisible():
    # without the first page's notes the break after "cold hall" cannot be seen: both
    # paragraphs of the first section are counted on page 10, which the next section's
    # printed page (11) contradicts for the second one
    text = PAGED.replace("hall.¹\n\n¹ *Minutes*, Vol. 1, p. 2.\n", "hall.\n")
    out = mb.parse(text)
    got = {p.text: (p.page, p.page_estimated) for p in out.paras if p.kind != "table_row"}
    assert got["They closed in a warm one."] == (10, True)
    assert got["The talks opened in a cold hall."] == (10, True)


def test_chronology_old_style_dates_kept(book):
    out, _ = book
    olds = {e.date_text: e.date_old_style for e in out.events}
    assert olds["25 October (7 November)"] == dt.date(1920, 10, 25)
    assert olds["2(15) November"] == dt.date(1920, 11, 2)
    assert olds["16 March"] is None
