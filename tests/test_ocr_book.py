"""OCR'd book layout: line classification, repairs, page model, and the whole parser on a
hand-written fixture in the corpus style (invented text), plus checks on the real file."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from pipelines.parsing.assemble import assemble
from pipelines.parsing.formats.ocr_book import (
    backref_page,
    is_date_line,
    kind_from_title,
    parse,
    source_note_text,
    writing_date,
)
from pipelines.parsing.layout import (
    is_ocr_noise,
    page_number,
    repair_spacing,
    running_head_page,
    running_heads,
    strip_debris,
)
from pipelines.parsing.page_model import Anchor, Candidate, PageModel, choose_markers
from pipelines.parsing.text import Vocabulary

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
REAL = CORPUS / "000_f9aba6af0706464f.txt"

# --- line classification -----------------------------------------------------------------


@pytest.mark.parametrize("line,page", [("104", 104), ("  72 ", 72), ("3—4417 33", 33), ("4* 51", 51), ("1917", 1917)])
def test_page_number(line, page):
    assert page_number(line) == page


@pytest.mark.parametrize("line", ["pp. 12-14", "No. 30", "(5)", "1)", "Lenin", "12 delegates"])
def test_not_page_number(line):
    assert page_number(line) is None


def test_running_head_with_page():
    assert running_head_page("48  THE FOREIGN POLICY OF PEACE") == 48
    assert running_head_page("THE FOREIGN POLICY OF PEACE  49") == 49
    assert running_head_page("The farmers of the region 49") is None


def test_running_heads_need_many_repeats():
    lines = []
    for _ in range(12):
        lines += ["", "ON TRADE AND PEACE", "", "Some running text of the page goes here.", ""]
    lines += ["", "Smith", "", "", "Smith", "", "", "Smith", ""]
    heads = running_heads(lines, min_repeats=5)
    assert "on trade and peace" in heads
    assert "smith" not in heads


@pytest.mark.parametrize("line", ["t", "r", "■", "^", "j L  j L", "__ __ T", "* * g", "■ v- . ;• r", "u"])
def test_ocr_noise(line):
    assert is_ocr_noise(line)


@pytest.mark.parametrize("line", ["1)", "(5)", "truel", "Lenin", "We agree.", "No. 7", "pp. 3-4"])
def test_not_ocr_noise(line):
    assert not is_ocr_noise(line)


def test_strip_debris():
    assert strip_debris("we shall meet once. ^") == "we shall meet once."
    assert strip_debris("pp. 383-89 |»") == "pp. 383-89"
    assert strip_debris("■ Notes") == "Notes"
    assert strip_debris("costs 5 - 6 roubles") == "costs 5 - 6 roubles"


VOCAB = Vocabulary.from_text(
    "\n".join(
        ["we said that all the workers and the army of the revolutionary committee met in March what we",
         "the central executive committee and the council of the russia congress met in November here",
         "the committee and the works of the daily paper said what will be done and what we will do",
         "the army and the navy and the committee sent into the town a part of the men and all"] * 6
    )
)


@pytest.mark.parametrize(
    "raw,fixed",
    [
        ("TO A L L  COMMITTEES, TO THE A R M Y  ", "TO ALL COMMITTEES, TO THE ARMY  "),
        ("M a r c h  2 7 ,1 9 2 2", "March 27, 1922"),
        ("N ovem ber 8, 1917", "November 8, 1917"),
        ("2. W hat will be done?", "2. What will be done?"),
        ("OF THE R EV O LU TIO N A R Y  COM M ITTEE", "OF THE REVOLUTIONARY COMMITTEE"),
        ("Collected W orks, Vol. 26,", "Collected Works, Vol. 26,"),
        ("May 14,1918", "May 14, 1918"),
        ("sent into the town a part of the men", "sent into the town a part of the men"),
        ("V . Ulyanov (Lenin)", "V. Ulyanov (Lenin)"),
    ],
)
def test_repair_spacing(raw, fixed):
    assert repair_spacing(raw, VOCAB) == fixed


# --- dates, kinds, notes text ------------------------------------------------------------


def test_writing_date_forms():
    d = writing_date("October 25 (November 7), 1917")
    assert (d.date, d.old_style, d.precision) == (dt.date(1917, 11, 7), dt.date(1917, 10, 25), "day")
    d = writing_date("December 2 (15), 1917")
    assert (d.date, d.old_style) == (dt.date(1917, 12, 15), dt.date(1917, 12, 2))
    d = writing_date("3. IV. 1921")
    assert (d.date, d.precision) == (dt.date(1921, 4, 3), "day")
    d = writing_date("Written on June 3 or 4, 1920")
    assert (d.date, d.precision) == (dt.date(1920, 6, 1), "month")


def test_date_line():
    assert is_date_line("March 6, 1922")
    assert is_date_line("Moscow, March 6, 1922")
    assert is_date_line("October 25 (November 7), 1917 ")
    assert not is_date_line("On March 6, 1922 the delegation left for the conference.")


@pytest.mark.parametrize(
    "title,sub,kind",
    [
        ("Concluding Speech on the Report on Trade", None, "speech"),
        ("Report on Trade Delivered at the Congress", None, "report"),
        ("Telegram to the Front Committees", None, "telegram"),
        ("Answers to Questions Put by a Newspaper Correspondent", None, "interview"),
        ("To the Workers of Europe", None, "letter"),
        ("The Situation of the Republic", "FROM A SPEECH DELIVERED AT A MEETING", "speech"),
        ("Draft Decree on Land", None, "decree"),
        ("The Situation of the Republic", None, "other"),
    ],
)
def test_kind_from_title(title, sub, kind):
    assert kind_from_title(title, sub) == kind


def test_backref_page():
    assert backref_page("The meeting was held in the town. p. 45") == (45, "The meeting was held in the town.")
    assert backref_page("printed in 1859. p. I l l") == (111, "printed in 1859.")
    assert backref_page("No page here.") == (None, "No page here.")


def test_source_note_columns_interleaved():
    pieces = [
        "Gazeta No. 12, May 3, 1919, Collected Works, Vol. 29,",
        "and Listok No. 4, May 5 pp. 101-03",
        "(April 22), 1919",
    ]
    assert source_note_text(pieces) == (
        "Gazeta No. 12, May 3, 1919, and Listok No. 4, May 5 (April 22), 1919. Collected Works, Vol. 29, pp. 101-03."
    )


def test_source_note_columns_one_after_the_other():
    pieces = ["Written on May 2, 1920 Collected Works, Vol. 31,", "First published in 1942 PP' 77-78"]
    assert source_note_text(pieces) == "Written on May 2, 1920. First published in 1942. Collected Works, Vol. 31, pp. 77-78."


# --- page model ---------------------------------------------------------------------------


def test_page_model_interpolates_and_stops():
    m = PageModel([Anchor(100, 10.99), Anchor(200, 12.99)], reach=1.0)
    assert m.page(100) == 10
    assert m.page(150) == 11
    assert m.page(199) == 12
    assert m.page(230) == 13  # within one page beyond the last anchor
    assert m.page(1000) is None


def test_page_model_drops_contradicting_anchor():
    m = PageModel([Anchor(100, 10.99), Anchor(150, 90.5), Anchor(200, 12.99), Anchor(300, 14.99)])
    assert 90.5 not in [a.page for a in m.anchors]


def test_choose_markers_uses_pages_and_order():
    model = PageModel([Anchor(100, 10.99), Anchor(200, 12.99), Anchor(300, 14.99)])
    cands = [
        Candidate(1, 110, 1100), Candidate(1, 280, 2800),  # note 1 is on p. 11: line 110
        Candidate(2, 150, 1500), Candidate(2, 290, 2900),  # note 2 on p. 14: line 290
    ]
    chosen = choose_markers([(1, 11), (2, 14)], cands, model)
    assert chosen[1].line == 110 and chosen[2].line == 290


# --- the whole parser on a hand-written book ----------------------------------------------

# "|" at a line end stands for the trailing space wrapped lines keep in this layout
BOOK = """ Foreword

t

This small collection brings together the letters and speeches|
of a fictional statesman on questions of trade with|
his neighbours. The editors have kept the es
sential texts and left out the rest.

The reader will find the notes at the end of the book.



Speech on Trade
Delivered at the First Congress of Millers1
M a r c h  2 7 ,1 9 2 2

m

Comrades, the question of trade is the question of the day.|
We must sell our grain and buy machines, and we cannot do|
that without agreements with our neighbours.2

We have sent our proposals to every government that|
wished to hear them, and we shall go on sending them*
until they are accepted. Some of them, however, have

* Our italics.—Ed.
 not yet answered, and we shall wait.

The Congress will decide. (Applause.)

Izvestia No. 55, March 29, 1922, Collected Works, Vol. 33,
and Gazeta No. 9, March 30 pp. 201-03
(March 17), 1922



Letter to the Millers of the South
October 25 (November 7), 1917

Dear comrades,
I send you the plan of our work in the coming|

44



winter. Please read it carefully.3

With greetings,

N. Smirnov

Written on October 25 (November 7), 1917 Collected Works, Vol. 26,
First published in 1945 PP' 300-01



■ Notes

1 The First Congress of Millers met in the capital in March 1922. p. 42
2 The agreements with the neighbouring states were signed in 1923.
See Note 1. p. 43
3 The plan has not been found. p. 44
""".replace("|\n", " \n")


@pytest.fixture(scope="module")
def book():
    return parse(BOOK)


def test_book_documents(book):
    kinds = [d.kind for d in book.docs]
    assert kinds == ["book", "introduction", "speech", "letter", "notes"]
    speech, letter = book.docs[2], book.docs[3]
    assert speech.title == "Speech on Trade Delivered at the First Congress of Millers"
    assert (speech.date, speech.date_precision, speech.date_old_style) == (dt.date(1922, 3, 27), "day", None)
    assert letter.title == "Letter to the Millers of the South"
    assert (letter.date, letter.date_old_style) == (dt.date(1917, 11, 7), dt.date(1917, 10, 25))
    assert speech.provenance.startswith("Izvestia No. 55, March 29, 1922, and Gazeta No. 9, March 30 (March 17), 1922.")
    assert speech.provenance.endswith("Collected Works, Vol. 33, pp. 201-03.")
    assert letter.provenance == "Written on October 25 (November 7), 1917. First published in 1945. Collected Works, Vol. 26, pp. 300-01."


def test_book_discards(book):
    reasons = Counter(d.reason for d in book.discards)
    assert reasons == {"ocr_noise": 2, "page_number": 1}
    texts = [BOOK[d.char_start : d.char_end] for d in book.discards]
    assert "44" in texts and "t" in texts and "m" in texts


def test_book_paragraphs(book):
    texts = [p.text for p in book.paras]
    assert any("kept the essential texts" in t for t in texts)
    # the paragraph split by the footnote is re-joined, the one split by the page break too
    joined = [t for t in texts if t.startswith("We have sent our proposals")]
    assert joined and joined[0].endswith("have not yet answered, and we shall wait.")
    # the salutation on its own line is a paragraph of its own
    assert "Dear comrades," in texts
    assert "I send you the plan of our work in the coming winter. Please read it carefully." in texts
    assert not any(t.strip() in {"44", "t", "m", "■"} for t in texts)
    kinds = {p.text: p.kind for p in book.paras}
    assert kinds["March 27, 1922"] == "editorial"
    assert kinds["N. Smirnov"] == "signature"
    assert kinds["Foreword"] == "heading"


def test_book_endnotes_linked(book):
    notes = [n for n in book.notes if n.kind == "endnote"]
    assert [n.marker for n in notes] == ["1", "2", "3"]
    by = {n.marker: n for n in notes}
    title = book.paras[by["1"].para]
    assert title.kind == "heading" and title.text[: by["1"].anchor_char].endswith("Congress of Millers")
    p2 = book.paras[by["2"].para]
    assert p2.text[: by["2"].anchor_char].endswith("with our neighbours.")
    assert "2" not in p2.text
    p3 = book.paras[by["3"].para]
    assert p3.text[: by["3"].anchor_char].endswith("read it carefully.")
    assert by["2"].refers_to == book.notes.index(by["1"])
    assert by["1"].text == "The First Congress of Millers met in the capital in March 1922."
    assert p3.page == 44 or p3.page is not None


def test_book_footnote(book):
    fn = [n for n in book.notes if n.kind == "footnote"]
    assert len(fn) == 1 and fn[0].text == "Our italics.—Ed." and fn[0].marker == "*"
    para = book.paras[fn[0].para]
    assert para.text[: fn[0].anchor_char].endswith("we shall go on sending them")
    assert "*" not in para.text


def test_book_coverage(book):
    rows = assemble("fixture", BOOK, book)
    assert not [r for r in rows["discarded_text"] if r["reason"] == "other"]


# --- the real OCR'd book --------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    assert REAL.exists(), f"the real corpus is expected at {REAL}"
    text = REAL.read_text(encoding="utf-8")
    return text, parse(text)


def test_real_writings(real):
    _, out = real
    writings = [d for d in out.docs if d.kind not in ("book", "introduction", "notes")]
    assert len(writings) == 26  # counted by hand in the raw file
    assert all(d.title and d.date for d in writings)
    assert all(d.author == "V. I. Lenin" for d in writings)
    first = writings[0]
    assert first.title.startswith("Report on Peace") and first.date == dt.date(1917, 11, 8)
    assert first.date_old_style == dt.date(1917, 10, 26)
    assert sum(1 for d in out.docs if d.kind == "notes") == 1


def test_real_endnotes_and_coverage(real):
    text, out = real
    endnotes = [n for n in out.notes if n.kind == "endnote"]
    assert [n.marker for n in endnotes] == [str(i) for i in range(1, 42)]
    assert all(n.para is not None for n in endnotes)
    rows = assemble("real", text, out)
    assert not [r for r in rows["discarded_text"] if r["reason"] == "other"]
    for p in out.paras:
        assert p.text.strip() not in {"72", "73", "80", "104", "t", "r", "m", "■"}


def test_signature_mark_and_split_capitals():
    from pipelines.parsing.layout import has_signature_mark, repair_split_capitals

    assert has_signature_mark("3—4417 33") and has_signature_mark("4* 51")
    assert not has_signature_mark("33") and not has_signature_mark("pp. 3-4")
    vocab = Vocabulary.from_text("the envoy of President Wilson met the envoy of President Wilson there\n" * 3)
    assert repair_split_capitals("the envoy of President W ilson met", vocab) == "the envoy of President Wilson met"
    assert repair_split_capitals("a plan A only", vocab) == "a plan A only"


# --- paragraph boundaries, debris, capitals headings, printed pages (second fixture) --------

# "|" at a line end stands for the trailing space wrapped lines keep in this layout. The
# first lines only give the vocabulary words seen whole inside lines, as a real book does.
BOOK2 = """ Introduction

The farmers must sell the grain, and the agreement on the grain must be kept by the farmers.|
The farmers and the millers must make the agreement on the emancipation of the farmers.|
The millers must make the agreement and the emancipation of the millers must come soon.|
Every agreement must be kept, and the emancipation of the farmers must come to the villages.|
We went to the market and to the mill to see the agreement to the grain trade with them.|
They came to the town to go to the mill, to the market and to the fair to talk to us.|



Speech at the Millers' Congress
FROM A SPEECH DELIVERED 70 THE
MILLERS' CONGRESS
March 3, 1921

Comrades,
About a year ago, in my letter to the millers of the south|

(dated May 3rd, 1920) I wrote that the farmers m^st sell the grain|
to the towns. We signed the agree
 ment, and th&*emancipation of the farmers came. We have|
peace with Ruritania* and

* This is a slip in the text; Valdonia is meant.—Ed.
 Valdonia is at hand. The farmers were glad of it.|
The mills must be built again.
 Grain Needs Markets

The grain must be sold in the towns and in all the markets of the|
south, and the farmers must have the right to decide on home|
 1)

truel

2)

cisely

rule in their villages. That is all I wanted to say.|

12



The next page opens with this paragraph about the grain trade.|

Pravda No. 12, March 5, 1921 Collected Works, Vol. 32,
pp. 10-12
""".replace("|\n", " \n")


@pytest.fixture(scope="module")
def book2():
    return parse(BOOK2)


def _para(book, start):
    hits = [p for p in book.paras if p.text.startswith(start)]
    assert len(hits) == 1, [p.text[:60] for p in book.paras]
    return hits[0]


def test_salutation_and_split_paragraph_rejoined(book2):
    texts = [p.text for p in book2.paras]
    assert "Comrades," in texts
    p = _para(book2, "About a year ago")
    # the paragraph broken by a blank line mid-sentence ("(dated ...") is one paragraph
    assert "letter to the millers of the south (dated May 3rd, 1920) I wrote" in p.text
    # a footnote between "... Ruritania* and" and "Valdonia is at hand." does not split it
    assert "peace with Ruritania and Valdonia is at hand. The farmers were glad of it." in p.text


def test_run_in_subheading_is_a_heading(book2):
    head = _para(book2, "Grain Needs Markets")
    assert head.kind == "heading" and head.text == "Grain Needs Markets"
    assert _para(book2, "About a year ago").text.endswith("The mills must be built again.")


def test_marginal_notes_leave_the_sentence_whole(book2):
    p = _para(book2, "The grain must be sold")
    assert "the right to decide on home rule in their villages." in p.text
    assert "1)" not in p.text and "truel" not in p.text
    assert _para(book2, "1)").text == "1) truel 2) cisely"


def test_debris_and_moved_space_repaired(book2):
    p = _para(book2, "About a year ago")
    assert "the farmers must sell the grain" in p.text
    assert "We signed the agreement, and the emancipation of the farmers came." in p.text
    assert not any(c in p.text for c in "^&*")


def test_caps_subtitle_digit_repaired(book2):
    sub = _para(book2, "FROM A SPEECH")
    assert sub.text == "FROM A SPEECH DELIVERED TO THE MILLERS' CONGRESS"


def test_printed_page_only_after_a_page_number(book2):
    after = _para(book2, "The next page opens")
    assert (after.page, after.page_estimated) == (13, False)
    before = _para(book2, "The grain must be sold")
    assert before.page_estimated is not False
    # no evidence at all: no page
    intro = _para(book2, "The farmers must sell")
    assert intro.page is None or intro.page_estimated is True


@pytest.mark.parametrize(
    "raw,fixed",
    [
        ("but I m^st go", "but I must go"),
        ("and th&*emancipation came", "and the emancipation came"),
        ("on our^own farms", "on our own farms"),
        ("of the farmers* The mills", "of the farmers. The mills"),
        ("the farmers,*Millers too", "the farmers, Millers too"),
        ("we grew stronger,^ they said", "we grew stronger, they said"),
        ("{Applause.) We", "(Applause.) We"),
        ("A & B paid $5 and 5 % more", "A & B paid $5 and 5 % more"),
    ],
)
def test_repair_debris(raw, fixed):
    from pipelines.parsing.layout import repair_debris

    vocab = Vocabulary(Counter({"must": 9, "the": 50, "emancipation": 3, "our": 9, "own": 5, "farmers": 4, "go": 4}))
    assert repair_debris(raw, vocab) == fixed


def test_repair_caps_heading():
    from pipelines.parsing.layout import repair_caps_heading

    vocab = Vocabulary(Counter({"the": 50, "ninth": 2, "then": 9, "in": 40, "to": 40, "congress": 5, "all": 9}))
    assert repair_caps_heading("TO THEN IN TH CONGRESS", vocab) == "TO THE NINTH CONGRESS"
    assert repair_caps_heading("DELIVERED 70 THE CONGRESS", vocab) == "DELIVERED TO THE CONGRESS"
    assert repair_caps_heading("THEN IN ALL", vocab) == "THEN IN ALL"  # all words: untouched
    assert repair_caps_heading("Held in 1920 at the Congress", vocab) == "Held in 1920 at the Congress"


def test_salutations():
    from pipelines.parsing.formats.ocr_book import is_run_in_subheading, is_salutation

    assert is_salutation("Comrades,") and is_salutation("Dear Mr. Brown:") and is_salutation("Dear comrades,")
    assert not is_salutation("Yours,") and not is_salutation("N. Smirnov,") and not is_salutation("Moscow, March 6,")
    assert is_run_in_subheading(" Grain Needs Markets")
    assert not is_run_in_subheading("the grain needs markets") and not is_run_in_subheading("Grain Needs Markets.")


# --- chapter openings and pages set by running heads (hand-written, invented text) ----------

CHAPTERED = """Chapter 1. The Grain Talks

The talks on grain began in a small room above the
harbour office. Nobody expected them to succeed.

The second meeting went better than the first, and
the clerks were sent home early.


7


THE GRAIN TALKS 8


The delegates then turned to the question of freight
and insurance, which took the rest of the week.


CHAPTER 2

THE SHIPPING TALKS


Shipping was a smaller matter, and it was settled
within two days by the harbour masters themselves.


9


10  THE SHIPPING TALKS


A protocol on the use of the port was signed at the
end of the month by both delegations.


THE SHIPPING TALKS 11


The protocol was printed in the gazette a week later
and nobody read it.


CHAPTER 3

THE LOAN


The loan was the hardest question of all, and it was
left to the last.


THE LOAN 13


In the end no loan was granted.


CHAPTER 4

CLOSING REMARKS


Nothing more was said.
"""


def test_chapter_label():
    from pipelines.parsing.layout import chapter_label

    assert chapter_label("CHAPTER III ") == ("CHAPTER", "III", None)
    assert chapter_label("Chapter 12.") == ("Chapter", "12", None)
    assert chapter_label("PART TWO") == ("PART", "TWO", None)
    assert chapter_label("BOOK I: THE WAR") == ("BOOK", "I", "THE WAR")
    assert chapter_label("Chapter XIV. Peace") == ("Chapter", "XIV", "Peace")
    assert chapter_label("CHAPTER III 43") is None  # a running head with its page
    assert chapter_label("CHAPTER CIVIL") is None  # no Roman numeral
    assert chapter_label("Part of the delegation") is None and chapter_label("Book 3 was read.") is None
    assert chapter_label("Chapter 3. It was a cold day and the delegates argued for many long hours.") is None


def test_chapter_labels_and_titles_are_not_running_heads():
    from pipelines.parsing.formats.ocr_book import classify_lines
    from pipelines.parsing.text import split_lines

    lines = split_lines(CHAPTERED)
    info = classify_lines(lines)
    kind = {ln.text.strip(): li.kind for ln, li in zip(lines, info) if not ln.blank}
    # "CHAPTER 2/3/4" are one key once digits go, and "THE SHIPPING TALKS" repeats at page tops
    assert kind["CHAPTER 2"] == kind["CHAPTER 4"] == "content"
    assert kind["THE SHIPPING TALKS"] == "content"  # the title right under its label
    assert kind["THE SHIPPING TALKS 11"] == "running_header" and kind["9"] == "page_number"


def test_chapters_without_source_notes():
    out = parse(CHAPTERED)
    assert out.docs[0].kind == "book" and out.title is None
    assert [(d.kind, d.title) for d in out.docs[1:]] == [
        ("chapter", "The Grain Talks"),  # title on the label's line
        ("chapter", "THE SHIPPING TALKS"),
        ("chapter", "THE LOAN"),
        ("chapter", "CLOSING REMARKS"),
    ]
    heads = [(p.doc, p.text) for p in out.paras if p.kind == "heading"]
    assert heads[:3] == [(1, "Chapter 1. The Grain Talks"), (2, "CHAPTER 2"), (2, "THE SHIPPING TALKS")]
    text = [p for p in out.paras if p.kind == "text"]
    assert [p.doc for p in text] == [1, 1, 1, 2, 2, 2, 3, 3, 4]
    assert out.docs[1].char_start == 0 and CHAPTERED[out.docs[2].char_start :].startswith("CHAPTER 2")


def test_pages_from_heads_and_chapter_openings():
    out = parse(CHAPTERED)
    pages = [(p.text[:12], p.page, p.page_estimated) for p in out.paras if p.kind == "text"]
    assert pages == [
        ("The talks on", 7, False),  # the opening page: closed by the bare "7" below it
        ("The second m", 7, False),
        ("The delegate", 8, False),  # under "THE GRAIN TALKS 8"
        ("Shipping was", 9, False),  # chapter opening page, closed by "9"
        ("A protocol o", 10, False),
        ("The protocol", 11, False),
        ("The loan was", 12, False),  # the page before the head "THE LOAN 13"
        ("In the end n", 13, False),
        ("Nothing more", None, None),  # a new chapter after head 13, nothing printed below it
    ]


def test_a_table_of_contents_opens_no_chapter():
    toc = "CONTENTS\n\nCHAPTER I\n\nCHAPTER II\n\nCHAPTER III\n\n\nThe first page of the text begins here and goes on.\n"
    out = parse(toc)
    # labels followed by another label are a list; only the last one, followed by text, opens a chapter
    assert [(d.kind, d.title) for d in out.docs if d.kind == "chapter"] == [("chapter", "CHAPTER III")]


def test_page_runs():
    from pipelines.parsing.page_model import Signal, page_length, page_runs

    head = Signal(10, 5, "head")
    # after a head: its page down to the next signal, never past the page length
    assert page_runs([head, Signal(30, 5, "foot")], [], 45) == {n: 5 for n in range(11, 30)}
    assert page_runs([head], [], 5) == {n: 5 for n in range(11, 16)}
    # head 5 then a bare 6 with no break between: the page turned somewhere unseen
    assert page_runs([head, Signal(60, 6, "foot")], [], 45) == {}
    # a break (chapter opening) ends the head's page and opens the one the next signal names
    runs = page_runs([head, Signal(60, 6, "foot"), Signal(70, 8, "head")], [40], 45)
    assert runs[39] == 5 and runs[40] == runs[59] == 6 and 60 not in runs and runs[71] == 8
    assert page_runs([Signal(30, 9, "head")], [5], 45)[5] == 8  # the page before the next head
    assert page_runs([Signal(90, 9, "foot")], [5], 45) == {}  # too far: more than a page
    assert page_length([Signal(1, 3, "head"), Signal(41, 4, "head"), Signal(121, 6, "head")]) == 40
    assert page_length([Signal(1, 3, "head"), Signal(41, 4, "foot")], default=45) == 45


def test_page_markers_and_paragraphs_without_blank_lines():
    """Page-by-page OCR dumps (HathiTrust full text): ``## p. N (#M) ###`` markers, no blank
    lines between paragraphs; a short line ending a sentence ends its paragraph, a bare number
    at a page's edge is its page number (real sample: tests/fixtures/layouts/unseen/)."""
    from pipelines.parsing.formats.ocr_book import parse

    para1 = [
        "The commission of the two governments met again at the frontier",
        "station in the first week of May, and after three long sittings it",
        "agreed on the line.",
    ]
    para2 = [
        "Both delegations then returned to their capitals to report, and the",
        "ministers approved the protocol without any change of substance, so",
        "the talks ended.",
    ]
    text = "## p. 12 (#20) ##########\n\n" + "\n".join(para1 + para2 + ["12"]) + "\n"
    text += "## p. 13 (#21) ##########\n\n" + "\n".join(para2 + para1) + "\n"
    out = parse(text)
    gone = sorted(text[d.char_start : d.char_end] for d in out.discards if d.reason == "page_number")
    assert gone == ["## p. 12 (#20) ##########", "## p. 13 (#21) ##########", "12"]
    firsts = [p.text.split()[:2] for p in out.paras]
    assert firsts == [["The", "commission"], ["Both", "delegations"], ["Both", "delegations"], ["The", "commission"]]
    assert out.paras[0].text.endswith("three long sittings it agreed on the line.")


def test_token_parts_match_the_core_pattern():
    # repair_spacing splits tokens into (leading punctuation, core, trailing punctuation)
    # without the _CORE regular expression: the same parts
    from pipelines.parsing.layout import _CORE, _Tokens

    cache = _Tokens()
    for tok in ["word", "(Lenin),", "—", "“ZVorks”", "1917.", "_x_", "¹²", "a.b", "...", "Deputies1", "Ж!"]:
        cache.add(tok, Vocabulary.from_text(""))
        assert cache.cores[tok] == _CORE.match(tok).groups(), tok
