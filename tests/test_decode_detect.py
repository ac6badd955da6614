import codecs

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
