import codecs
from pathlib import Path

import pytest

from pipelines.parsing.decode import Rejected, decode
from pipelines.parsing.detect import detect_format
from pipelines.parsing.source import process_source, source_id_for

RUSSIAN = "Народный комиссариат по иностранным делам сообщает о мирном договоре."


def test_utf8_and_bom_forms():
    assert decode("Peace — мир".encode()) == ("Peace — мир", "utf-8")
    assert decode(codecs.BOM_UTF8 + b"Peace")[0] == "Peace"
    text, enc = decode("Peace treaty".encode("utf-16"))
    assert (text, enc) == ("Peace treaty", "utf-16")


def test_legacy_cyrillic_code_page_is_detected():
    text, enc = decode((RUSSIAN + " " + RUSSIAN).encode("cp1251"))
    assert text.startswith("Народный") and enc in ("cp1251", "windows-1251")


def test_mojibake_is_repaired():
    # what a Windows tool makes of UTF-8: each byte read as cp1252 (undefined bytes kept as latin-1)
    broken = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in "Lenin’s “Decree on Peace”".encode())
    text, enc = decode(broken.encode())
    assert text == "Lenin’s “Decree on Peace”" and "mojibake" in enc


@pytest.mark.parametrize(
    "data, reason",
    [(b"", "empty"), (b"   \n\n", "empty"), (bytes(range(256)) * 40, "binary"), (b"\x00\x01\x02" * 500, "binary")],
)
def test_bad_input_is_rejected_with_a_reason(data, reason):
    with pytest.raises(Rejected, match=reason):
        decode(data)


def test_process_source_never_raises_on_bad_bytes():
    res = process_source(b"\x00\xff" * 100, "bad.txt", "bad", "v")
    assert res.source["status"] == "rejected" and res.source["reject_reason"]
    assert all(rows == [] for rows in res.tables.values())


def test_source_id_rules():
    assert source_id_for("000_F9ABA.txt") == "000_f9aba"
    assert source_id_for("sub/My File (copy);1.txt") == "my_file_copy_1"
    assert source_id_for("archive.tar.gz") == "archive_tar"


def test_detect_formats_on_handwritten_samples():
    wiki = "A Letter\n\nFrom Somewhere\nJump to navigation Jump to search\nAuthor(s) Lenin\n\nText.\n"
    assert detect_format(wiki)[0] == "wiki_page"
    excerpt = "An editor's note.\n==========\n" + ("A long paragraph of history. " * 30 + "\n") * 3
    assert detect_format(excerpt)[0] == "web_excerpt"
    assert detect_format("Just a short note.\n\nAnother line.\n")[0] == "plain"


def test_real_corpus_formats(corpus_dir):
    expected = {
        "000": "ocr_book", "001": "web_collection", "002": "markdown_book",
        "003": "wiki_page", "004": "web_excerpt",
    }
    for f in sorted(corpus_dir.glob("*.txt")):
        assert detect_format(f.read_text(encoding="utf-8"))[0] == expected[f.name[:3]], f.name


def test_detect_unseen_layout_rules():
    """Rules added for real files of layouts first met in issue 10 (samples under
    tests/fixtures/layouts/unseen/)."""
    # a Project Gutenberg e-text, however long and hard-wrapped, is a clean text, not an OCR scan
    line = "The delegation left Moscow in the spring and reached the town."
    body = "\n\n".join("\n".join([line] * 6) for _ in range(120))
    pg = (
        "The Project Gutenberg EBook of Notes, by A. Writer\n\nTitle: Notes\n\n"
        "*** START OF THIS PROJECT GUTENBERG EBOOK NOTES ***\n\n" + body
        + "\n\n*** END OF THIS PROJECT GUTENBERG EBOOK NOTES ***\n"
    )
    assert detect_format(body)[0] == "ocr_book" and detect_format(pg)[0] == "plain"
    # HathiTrust page markers look like "## " headings: still an OCR text
    pages = "".join(f"## p. {n} (#{n + 8}) ####################\n\n{line}\n{line}\n" for n in range(1, 5))
    assert detect_format(pages)[0] == "ocr_book"
    # articles behind Markdown heading marks, and in other languages, with a signing formula
    md = "---\ntitle: Pact\n---\n\n#### Article I.\n\nPeace.\n\n#### Article II.\n\nTrade.\n\n`Moscow, August 23, 1939.`\n"
    assert detect_format(md)[0] == "markdown"  # no signing formula: a Markdown page
    assert detect_format(md.replace("Trade.", "The High Contracting Parties trade."))[0] == "treaty_text"
    ru = "ДОГОВОР\n\nСтатья 1\n\nМир.\n\nСтатья 2\n\nТорговля.\n\nDone at Moscow, March 16, 1921.\n"
    assert detect_format(ru)[0] == "treaty_text"


ARTICLE_LINES = [  # hand-written: an article saved as one paragraph per long line, no documents
    "The Conference at Lausanne",
    "",
    "In the autumn of 1922 the delegations gathered by the lake, and the Soviet delegation arrived late after a long journey across three frontiers and two customs posts.[1]",
    "",
    "The debates on the Straits lasted for weeks; the British delegate insisted on free passage for warships while the Turkish side asked for guarantees of its own.[2]",
    "",
    "Later accounts disagree on who first proposed the compromise, and the archives of the period leave the question open for the historian of the conference.",
    "",
    "When the talks broke off in February the delegates went home, to return in April for a second session that lasted until the summer of the following year.",
    "",
    "The treaty that closed the conference was signed in July, and its clauses on the Straits were revised again thirteen years later at another conference.",
]


def test_long_lines_without_documents_are_an_article_not_a_collection():
    # each paragraph line well over 400 characters, as saved web text has them
    article = "\n".join(f"{ln} {ln} {ln}" if len(ln) > 100 else ln for ln in ARTICLE_LINES) + "\n"
    fmt, evidence = detect_format(article)
    assert fmt == "plain" and "no document heading or source note" in evidence
    res = process_source(article.encode(), "lausanne.md", "lausanne", "t")
    kinds = [p["kind"] for p in res.tables["paragraphs"]]
    assert kinds.count("text") == 5  # the paragraphs are text, not editorial remarks
    # the same lines with a source note closing a document are a collection
    collection = article + "\nPrint. according to the brochure: Moscow, 1923.\n"
    assert detect_format(collection)[0] == "web_collection"


def test_unseen_wikipedia_excerpt_is_read_as_text():
    path = Path(__file__).parent / "fixtures" / "layouts" / "unseen" / "wikipedia_abstract_kerensky.md"
    res = process_source(path.read_bytes(), path.name, "kerensky", "t")
    assert res.source["format"] == "plain"
    kinds = [p["kind"] for p in res.tables["paragraphs"]]
    assert "editorial" not in kinds and kinds.count("text") >= 5
