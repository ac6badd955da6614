from pipelines.parsing.assemble import LineIndex, assemble, uncovered_spans
from pipelines.parsing.records import Discard, Doc, Note, Para, ParsedSource

TEXT = "Title\n\nFirst para line one\nline two.\n\n12\n\nA note.\nstray\n"


def parsed() -> ParsedSource:
    p = ParsedSource(format="plain", title="Title")
    root = p.add_doc(Doc(kind="book", char_start=0, char_end=len(TEXT), title="Title"))
    ch = p.add_doc(Doc(kind="chapter", char_start=7, char_end=len(TEXT), parent=root))
    p.add_para(Para(doc=root, kind="heading", text="Title", char_start=0, char_end=5))
    a = TEXT.index("First")
    b = TEXT.index("two.") + 4
    p.add_para(Para(doc=ch, kind="text", text="First para line one line two.", char_start=a, char_end=b, page=12))
    n = TEXT.index("A note.")
    p.add_note(Note(doc=ch, kind="footnote", text="A note.", char_start=n, char_end=n + 7, para=1, marker="1", anchor_char=5))
    pn = TEXT.index("12")
    p.discards.append(Discard(pn, pn + 2, "page_number"))
    return p


def test_line_index():
    idx = LineIndex(TEXT)
    assert idx.line(0) == 1 and idx.line(TEXT.index("line two")) == 4
    assert idx.span(0, 5) == (1, 1)


def test_uncovered_text_becomes_other_and_nothing_is_lost():
    rows = assemble("src", TEXT, parsed())
    other = [d for d in rows["discarded_text"] if d["reason"] == "other"]
    assert [d["text"] for d in other] == ["stray"]
    assert [d["reason"] for d in rows["discarded_text"]] == ["page_number", "other"]
    assert uncovered_spans("ab  cd", [(0, 2)]) == [(4, 6)]


def test_ids_lines_depths_counts_and_pages():
    rows = assemble("src", TEXT, parsed())
    docs = rows["documents"]
    # IDs are the raw start offset (and the depth, for documents starting at the same place)
    assert [d["doc_id"] for d in docs] == ["src:d000000000.00", "src:d000000007.01"]
    assert docs[1]["parent_doc_id"] == "src:d000000000.00" and docs[1]["depth"] == 1
    assert docs[1]["n_paragraphs"] == 1 and docs[1]["n_words"] == 6
    assert docs[0]["page_start"] == 12 and docs[1]["page_end"] == 12  # pages roll up to ancestors
    p = rows["paragraphs"][1]
    pid = f"src:p{TEXT.index('First'):09d}.00"
    assert (p["paragraph_id"], p["seq"], p["line_start"], p["line_end"]) == (pid, 2, 3, 4)
    c = rows["citations"][0]
    assert c["paragraph_id"] == pid and c["doc_id"] == "src:d000000007.01" and c["line_start"] == 8


def test_ids_survive_a_change_elsewhere_and_sort_in_document_order():
    before = assemble("src", TEXT, parsed())
    p = parsed()
    p.paras[0].text = "Title, re-cleaned"  # a parser change in another paragraph
    after = assemble("src", TEXT, p)
    assert [r["paragraph_id"] for r in before["paragraphs"]] == [r["paragraph_id"] for r in after["paragraphs"]]
    ids = [r["paragraph_id"] for r in after["paragraphs"]]
    assert ids == sorted(ids)
