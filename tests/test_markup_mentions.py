"""Entity mentions from TEI markup (persName/placeName/orgName → method ``markup``):
pipelines/parsing/formats/tei.py (names with clean-text offsets), pipelines/extraction/markup.py
(linking) and pipelines/mentions_cache.py (the raw file read again for TEI sources).

The small TEI texts here are hand-written in the FRUS encoding; the FRUS fixtures are trimmed
real excerpts (tests/fixtures/layouts/, public-domain US government text)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipelines import mentions_cache, publish, storage
from pipelines.extraction.entities import build_entity_tables, load_gazetteer
from pipelines.extraction.markup import listed_name, trim_span
from pipelines.extraction.unlisted import add_markup
from pipelines.parsing.formats import tei
from pipelines.settings import Settings

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"

VOLUME = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>
<front><div type="section" xml:id="persons"><head>List of Persons</head><list type="participants">
  <item><persName xml:id="p_ASJ1">Ashcroft, Samuel J.</persName>, Consul at Riga.</item>
  <item><persName xml:id="p_LMM1">Litvinov, Maxim M.</persName>, Deputy Commissar.</item>
  <item><persName xml:id="p_BOL1">Bolton, Col. Oliver</persName>, Military Attaché.</item>
</list></div></front>
<body><div type="document" xml:id="d1">
  <head>The Consul at Riga (<persName type="from" corresp="#p_ASJ1">Ashcroft</persName>) to the Secretary of State</head>
  <dateline><placeName>Riga</placeName>, May 2, 1924.</dateline>
  <p>Mr. <persName corresp="#p_LMM1"><hi rend="italic">Litvinov</hi></persName> called on
     <persName corresp="#p_BOL1">Colonel   Bolton</persName> at the
     <orgName>Legation in <placeName>Riga</placeName></orgName>;<note n="1">Not
     printed; see <persName>Ashcroft</persName>.</note> he spoke of
     <placeName>Soviet Russia</placeName> and of <persName>Bolton</persName>’s report.</p>
  <p>The <placeName>Washington</placeName> office and <persName>Chamberlain</persName> were told.</p>
  <closer><signed><persName corresp="#p_ASJ1">Ashcroft</persName></signed></closer>
</div></body></text></TEI>
"""


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def rows_of(parsed, source_id="v"):
    """Paragraph rows as the mention step reads them (one document per source is enough)."""
    return [{"paragraph_id": f"{source_id}:p{i:05d}", "doc_id": f"{source_id}:d", "source_id": source_id,
             "kind": p.kind, "text": p.text} for i, p in enumerate(parsed.paras)]


def link(text, gaz, source_id="v"):
    parsed, names = tei.parse_names(text)
    paragraphs = rows_of(parsed, source_id)
    found, gazetteer = build_entity_tables(paragraphs, [], gaz)
    entities, mentions = add_markup(paragraphs, gazetteer, found, [(paragraphs[n.para]["paragraph_id"], n) for n in names], gaz)
    return paragraphs, entities, mentions


# --- the parser: names with offsets in the clean text --------------------------------------------


def test_names_get_exact_offsets_in_the_clean_text_and_the_paragraphs_do_not_change():
    parsed, names = tei.parse_names(VOLUME)
    assert dataclasses.asdict(parsed) == dataclasses.asdict(tei.parse(VOLUME))
    assert not any("\ue001" in p.text or "\ue003" in p.text for p in parsed.paras)
    assert not any("\ue001" in n.text for n in parsed.notes)
    for n in names:
        assert parsed.paras[n.para].text[n.char_start:n.char_end] == n.surface
    body = next(p for p in parsed.paras if p.text.startswith("Mr. Litvinov"))
    inside = [(n.element, n.surface) for n in names if parsed.paras[n.para] is body]
    assert inside == [("persname", "Litvinov"), ("persname", "Colonel Bolton"), ("orgname", "Legation in Riga"),
                      ("placename", "Riga"), ("placename", "Soviet Russia"), ("persname", "Bolton")]
    # the name in the note is no paragraph's: not listed
    assert sum(n.surface == "Ashcroft" for n in names) == 2  # head and signature


def test_references_give_the_list_entry_and_a_list_entry_is_its_own():
    _, names = tei.parse_names(VOLUME)
    listed = {(n.surface, n.ref, n.listed) for n in names}
    assert ("Ashcroft", "#p_ASJ1", "Ashcroft, Samuel J.") in listed
    assert ("Colonel Bolton", "#p_BOL1", "Bolton, Col. Oliver") in listed
    assert ("Litvinov, Maxim M.", None, "Litvinov, Maxim M.") in listed  # the entry itself
    assert ("Riga", None, None) in listed


# --- naming rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry, name", [
    ("Francis, David R.", "David R. Francis"),
    ("Goto, Shimpei, Baron", "Shimpei Goto"),
    ("Mirbach, Wilhelm, Count von", "Wilhelm von Mirbach"),
    ("Emerson, Col. George H.", "George H. Emerson"),
    ("Maynard, Brig. Gen. (later Maj. Gen.) Charles C. M.", "Charles C. M. Maynard"),
    ("Michael Alexandrovich, Grand Duke", "Michael Alexandrovich"),
    ("Nicholas II", "Nicholas II"),
])
def test_list_entries_become_first_last(entry, name):
    assert listed_name(entry)[0] == name


def test_bracketed_names_are_kept_aside():
    assert listed_name("Lenin, N. (Vladimir Ulyanov)") == ("N. Lenin", ["Vladimir Ulyanov"])


@pytest.mark.parametrize("text, etype, span", [
    ("Col. George Emerson", "person", "George Emerson"),
    ("Emerson’s", "person", "Emerson"),
    ("the Ukraine", "place", "Ukraine"),
    ("The Times", "organisation", "The Times"),
    ("de Gaulle", "person", "de Gaulle"),
])
def test_spans_hold_the_name_only(text, etype, span):
    a, b = trim_span(text, 0, len(text), etype)
    assert text[a:b] == span


def test_a_name_that_is_only_a_title_is_no_span():
    a, b = trim_span("Ataman", 0, 6, "person")
    assert a == b


# --- linking ---------------------------------------------------------------------------------------


def test_markup_mentions_resolve_through_the_list_and_the_gazetteer(gaz):
    paragraphs, entities, mentions = link(VOLUME, gaz)
    text = {p["paragraph_id"]: p["text"] for p in paragraphs}
    markup = [m for m in mentions if m["method"] == "markup"]
    for m in mentions:
        assert text[m["paragraph_id"]][m["char_start"]:m["char_end"]] == m["surface"]
    got = {(m["surface"], m["entity_id"]) for m in markup}
    # the list's name is a gazetteer alias: the known entity (the list entry and the bare surname)
    assert ("Litvinov", "person:maxim-litvinov") in got and ("Litvinov, Maxim M.", "person:maxim-litvinov") in got
    # unknown to the gazetteer: a new person named by the list, title left out of the span
    assert ("Ashcroft", "person:samuel-j-ashcroft") in got and ("Bolton", "person:oliver-bolton") in got
    names = {e["entity_id"]: e for e in entities}
    assert names["person:samuel-j-ashcroft"]["name"] == "Samuel J. Ashcroft"
    assert names["person:samuel-j-ashcroft"]["type"] == "person"
    assert set(names["person:samuel-j-ashcroft"]["aliases"]) == {"Ashcroft", "Ashcroft, Samuel J."}
    # a bare surname with no reference: the one list entry with that surname
    bolton = [m for m in markup if m["entity_id"] == "person:oliver-bolton"]
    assert sorted(m["surface"] for m in bolton) == ["Bolton", "Bolton", "Bolton, Col. Oliver"]
    # placeName known as a state is the state; an unknown orgName is a new organisation
    assert ("Soviet Russia", "state:soviet-union") in got
    assert names["organisation:legation-in-riga"]["type"] == "organisation"
    assert ("Riga", "place:riga") in got and ("Washington", "place:washington") in got


def test_the_gazetteer_entity_must_agree_with_the_list_entry(gaz):
    """A list entry whose given name differs from the gazetteer's person of that surname is
    another person (a new entity), though the gazetteer links the bare surname."""
    other = VOLUME.replace("Litvinov, Maxim M.", "Litvinov, Ivan P.")
    _, entities, mentions = link(other, gaz)
    assert {m["entity_id"] for m in mentions if m["surface"].startswith("Litvinov")} == {"person:ivan-p-litvinov"}
    assert next(e for e in entities if e["entity_id"] == "person:ivan-p-litvinov")["name"] == "Ivan P. Litvinov"


def test_the_gazetteer_name_must_be_the_whole_name(gaz):
    """A longer marked-up name is not the gazetteer entity named inside it: a person whose given
    name differs, a place containing a state's name."""
    doc = VOLUME.replace("<persName>Bolton</persName>’s report", "<persName>J. Edgar Hoover</persName>’s report")
    doc = doc.replace("<placeName>Soviet Russia</placeName>", "<placeName>Sea of Japan</placeName>")
    _, _, mentions = link(doc, gaz)
    got = {m["surface"]: m["entity_id"] for m in mentions if m["method"] == "markup"}
    assert got["J. Edgar Hoover"] == "person:j-edgar-hoover"  # not person:herbert-hoover
    assert got["Sea of Japan"] == "place:sea-of-japan"  # not state:japan
    assert not any(m["entity_id"] in ("person:herbert-hoover", "state:japan") for m in mentions)


def test_frus_person_list_links_known_people(gaz):
    text = (LAYOUTS / "frus1918russia_front_excerpt.xml").read_text(encoding="utf-8")
    _, _, mentions = link(text, gaz, "front")
    got = {m["surface"]: m["entity_id"] for m in mentions if m["method"] == "markup"}
    assert got["Chicherin, George V."] == "person:georgy-chicherin"  # the gazetteer's, given names agree
    assert got["Lenin, N. (Vladimir Ulyanov)"] == "person:vladimir-lenin"  # "N. Lenin" is an alias
    assert got["Trotsky, L. D. (Bronstein)"] == "person:leon-trotsky"
    assert got["Goto, Shimpei, Baron"] == "person:goto-shinpei"  # surname first in the gazetteer
    assert got["Francis"] == got["Francis, David R."] == "person:david-r-francis"  # a titled-only alias
    assert got["George Emerson"] == got["Emerson"] == "person:george-h-emerson"  # new, named by the list
    assert got["McAdoo"] == "person:william-gibbs-mcadoo"  # in a table cell


def test_markup_wins_over_overlapping_gazetteer_mentions(gaz):
    paragraphs, _, mentions = link(VOLUME, gaz)
    body = next(p for p in paragraphs if p["text"].startswith("Mr. Litvinov"))
    here = sorted((m["char_start"], m["char_end"], m["method"], m["entity_id"]) for m in mentions
                  if m["paragraph_id"] == body["paragraph_id"])
    for first, second in zip(here, here[1:]):
        assert first[1] <= second[0], here  # no two mentions over the same characters
    # "Riga" inside the marked-up organisation is not also a place mention (longest match)
    legation = body["text"].index("Legation in Riga")
    assert [m for m in here if m[0] >= legation and m[1] <= legation + 16] == [
        (legation, legation + 16, "markup", "organisation:legation-in-riga")]
    assert {m[2] for m in here} == {"markup"}  # every gazetteer hit here lies inside markup


def test_an_ambiguous_bare_surname_with_no_list_entry_stays_unlinked(gaz):
    _, _, mentions = link(VOLUME, gaz)
    assert not any(m["surface"] == "Chamberlain" for m in mentions)  # Austen or Neville: undecided


def test_sources_without_names_keep_their_gazetteer_rows(gaz):
    text = VOLUME.replace("<persName", "<hi").replace("</persName>", "</hi>").replace("<placeName>", "<hi>")
    text = text.replace("</placeName>", "</hi>").replace("<orgName>", "<hi>").replace("</orgName>", "</hi>")
    parsed, names = tei.parse_names(text)
    assert names == []
    paragraphs = rows_of(parsed)
    entities, mentions = build_entity_tables(paragraphs, [], gaz)
    assert add_markup(paragraphs, mentions, entities, [], gaz) == (entities, mentions)


# --- the mention step: TEI sources read again, others as before ------------------------------------


def test_mention_cache_adds_markup_for_tei_sources_only(tmp_path, gaz):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "volume.xml").write_text(VOLUME, encoding="utf-8")
    plain = "Notes\n\nLitvinov met Colonel Bolton at the Legation in Riga in May 1924.\n"
    (raw / "notes.txt").write_text(plain, encoding="utf-8")
    settings = Settings(raw_dir=raw, output_dir=out, include=["*.txt", "*.xml"])
    publish.refresh_sources(settings, ["notes", "volume"], "test", workers=1)
    assert mentions_cache.refresh(settings, "v1", workers=1)["computed"] == 2
    table = mentions_cache.mentions_table(settings, ["notes", "volume"]).to_pylist()
    paragraphs = storage.read_table(out / "parquet", "paragraphs").to_dicts()
    text = {p["paragraph_id"]: p["text"] for p in paragraphs}
    assert all(text[m["paragraph_id"]][m["char_start"]:m["char_end"]] == m["surface"] for m in table)
    # the plain text: exactly the gazetteer's rows
    notes = [p for p in paragraphs if p["source_id"] == "notes"]
    _, expected = build_entity_tables(notes, [], gaz)
    assert [m for m in table if m["source_id"] == "notes"] == expected
    volume = [m for m in table if m["source_id"] == "volume"]
    # 3 list entries, head, dateline, 5 in the body (not Riga inside the Legation), Washington,
    # signature; not Chamberlain (ambiguous) nor the name in the note
    assert sum(m["method"] == "markup" for m in volume) == 12
    ashcroft = next(e for e in mentions_cache.entity_rows(settings, ["volume"]) if e["entity_id"] == "person:samuel-j-ashcroft")
    assert ashcroft["n_mentions"] == 3

    # the raw file changed after it was parsed: no markup until it is parsed again
    (raw / "volume.xml").write_text(VOLUME.replace("Riga</placeName>, May", "Libau</placeName>, May"), encoding="utf-8")
    assert mentions_cache.markup_names(settings, "volume", paragraphs) == []


def test_frus_fixtures_every_name_in_a_paragraph_is_a_mention_or_accounted_for(gaz):
    """On the real FRUS excerpts: each name inside a paragraph is a markup mention at the name's
    own place, except a title alone (``Ataman``); the two names in a footnote are no paragraph's."""
    elements = in_paragraphs = 0
    left_out = []
    for f in sorted(LAYOUTS.glob("frus*.xml")):
        text = f.read_text(encoding="utf-8")
        elements += len(tei.entity_references(tei.parse_tree(text)))
        parsed, names = tei.parse_names(text)
        in_paragraphs += len(names)
        paragraphs, _, mentions = link(text, gaz, f.stem)
        markup = {(m["paragraph_id"], m["char_end"]) for m in mentions if m["method"] == "markup"}
        left_out += [n.surface for n in names if (paragraphs[n.para]["paragraph_id"], n.char_end) not in markup]
    assert elements - in_paragraphs == 2  # Balfour and Viviani, in a footnote
    assert left_out == ["Ataman"]
