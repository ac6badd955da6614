"""Damaged sources beside good ones: each is decoded correctly (encoding recorded) or rejected
with a clear reason; nothing raises; nothing outside the raw directory is read."""

import codecs
import os
import random

import pytest

from pipelines import publish, storage
from pipelines.rawdir import scan
from pipelines.settings import Settings

RUSSIAN = "Народный комиссариат иностранных дел заявляет о готовности заключить мирный договор.\n"
ENGLISH = "The People's Commissar sent a note to the British Government about the trade agreement.\n"


def make_raw(raw, outside):
    random.seed(7)
    files = {
        "empty.txt": b"",
        "random.txt": bytes(random.randrange(256) for _ in range(20000)),
        "nul bytes.txt": b"\x00".join(ENGLISH.encode() for _ in range(50)),
        "utf16.txt": codecs.BOM_UTF16_LE + (ENGLISH * 5).encode("utf-16-le"),
        "russian-cp1251.txt": (RUSSIAN * 5).encode("cp1251"),
        "latin1.txt": ("Le régime soviétique et l'Entente cordiale: une société à part. " * 5).encode("latin-1"),
        "truncated.txt": (RUSSIAN * 3).rstrip(".\n").encode("utf-8")[:-1],  # cut inside the last letter
        "mojibake.txt": "".join(
            bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in ("Lenin’s “Decree” " * 20).encode()
        ).encode("utf-8"),
        "one-line.txt": b"war and peace " * (50 * 1024 * 1024 // 14),
        "copy-a.txt": ENGLISH.encode() * 3,
        "copy-b.txt": ENGLISH.encode() * 3,
        "it's; \"odd\" name — Чичерин.txt": ENGLISH.encode(),
        ("long" * 60) + ".txt": ENGLISH.encode(),
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    secret = outside / "secret.txt"
    secret.write_text("outside the raw directory\n")
    os.symlink(secret, raw / "escape.txt")
    return files


@pytest.fixture
def damaged(tmp_path):
    raw, out, outside = tmp_path / "raw", tmp_path / "out", tmp_path / "outside"
    raw.mkdir()
    outside.mkdir()
    make_raw(raw, outside)
    settings = Settings(raw_dir=raw, output_dir=out)
    outcomes = {}
    for f in scan(raw, ["*.txt"]):
        outcomes[f.path] = publish.refresh_source(settings, f, "test")
    sources = {r["path"]: r for r in storage.read_table(settings.parquet_dir, "sources").to_dicts()}
    return settings, outcomes, sources


def test_every_damaged_file_is_decoded_or_rejected_with_a_reason(damaged):
    _, outcomes, sources = damaged
    assert len(sources) == 14
    for path, row in sources.items():
        assert row["status"] in ("ok", "rejected")
        if row["status"] == "rejected":
            assert row["reject_reason"] and row["encoding"] is None, path
        else:
            assert row["encoding"], path
    rejected = {p: r["reject_reason"] for p, r in sources.items() if r["status"] == "rejected"}
    assert "empty" in rejected["empty.txt"]
    assert "binary" in rejected["random.txt"] or "unknown encoding" in rejected["random.txt"]
    assert "outside the raw directory" in rejected["escape.txt"]
    assert "MAX_LINE_CHARS" in rejected["one-line.txt"]


def test_encodings_are_detected(damaged):
    _, _, sources = damaged
    enc = {p: r["encoding"] for p, r in sources.items()}
    assert enc["utf16.txt"] == "utf-16"
    assert enc["russian-cp1251.txt"] in ("cp1251", "windows-1251")
    assert enc["latin1.txt"] in ("cp1252", "latin-1", "iso8859-1")
    assert enc["truncated.txt"].startswith("utf-8 (truncated")
    assert "mojibake" in enc["mojibake.txt"]


def test_decoded_text_is_right(damaged):
    settings, _, sources = damaged
    paras = storage.read_table(settings.parquet_dir, "paragraphs")
    text = {sid: " ".join(paras.filter(paras["source_id"] == sid)["text"]) for sid in paras["source_id"].unique()}
    by_path = {p: r["source_id"] for p, r in sources.items()}
    assert "Народный комиссариат" in text[by_path["russian-cp1251.txt"]]
    assert "régime soviétique" in text[by_path["latin1.txt"]]
    assert "Lenin’s “Decree”" in text[by_path["mojibake.txt"]]
    assert "\x00" not in text[by_path["nul bytes.txt"]] and "British Government" in text[by_path["nul bytes.txt"]]


def test_hostile_names_get_safe_unique_ids(damaged):
    _, _, sources = damaged
    ids = [r["source_id"] for r in sources.values()]
    assert len(set(ids)) == len(ids)
    for sid in ids:
        assert all(c.isascii() and (c.isalnum() or c in "_-") for c in sid) and len(sid) <= 100


def test_file_deleted_while_building_removes_its_rows(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "gone.txt").write_text(ENGLISH)
    settings = Settings(raw_dir=raw, output_dir=tmp_path / "out")
    (f,) = scan(raw, ["*.txt"])
    assert publish.refresh_source(settings, f, "v1").status == "ok"
    (raw / "gone.txt").write_text(ENGLISH + ENGLISH)  # changed, then deleted before it is read
    os.unlink(raw / "gone.txt")
    assert publish.refresh_source(settings, f, "v2").status == "removed"
    assert storage.read_table(settings.parquet_dir, "sources").height == 0


def test_unchanged_source_is_not_reparsed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(ENGLISH)
    settings = Settings(raw_dir=raw, output_dir=tmp_path / "out")
    (f,) = scan(raw, ["*.txt"])
    assert publish.refresh_source(settings, f, "v1").status == "ok"
    assert publish.refresh_source(settings, f, "v1").status == "unchanged"
    assert publish.refresh_source(settings, f, "v2").status == "ok"  # parser changed
