"""Entities and entity mentions (pipelines/extraction/entities.py, ENTITY-RULES.md).

Unit tests use hand-written sentences in the style of the corpus (never corpus text); the
integration tests read the real corpus from ../shared/corpus and the hand-annotated evaluation
set tests/data/entity_eval.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.extraction.entities import (
    build_entity_tables,
    find_mentions,
    load_gazetteer,
    slugify,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EVAL = ROOT / "tests" / "data" / "entity_eval.jsonl"


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def spans(text, gaz):
    """[(surface, entity_id)] in text order, checking offsets on the way."""
    out = []
    for m in find_mentions(text, gaz):
        assert text[m.char_start:m.char_end] == m.surface
        out.append((m.surface, m.entity_id))
    return out


# ---------------------------------------------------------------- loader


def write(dirpath: Path, name: str, text: str) -> None:
    (dirpath / name).write_text(text, encoding="utf-8")


def test_loader_ids_initials_and_missing_treaties(tmp_path):
    write(tmp_path, "people.yaml", "- name: Ivan Petrovsky\n  initials: [I. P.]\n  aliases: [Petrovskii]\n")
    write(tmp_path, "states.yaml", "- name: Ruritania\n  id: ruritania-kingdom\n  adjectives: [Ruritanian]\n")
    g = load_gazetteer(tmp_path)  # no treaties.yaml: skipped, no error
    assert set(g.entities) == {"person:ivan-petrovsky", "state:ruritania-kingdom",
                               "organisation:government-of-ruritania"}
    text = "I. P. Petrovsky met I.P. Petrovsky, IP Petrovsky and Petrovskii; the Ruritanian Government agreed."
    got = [(m.surface, m.entity_id, m.method) for m in find_mentions(text, g)]
    assert got == [
        ("I. P. Petrovsky", "person:ivan-petrovsky", "gazetteer"),
        ("I.P. Petrovsky", "person:ivan-petrovsky", "gazetteer"),
        ("IP Petrovsky", "person:ivan-petrovsky", "gazetteer"),
        ("Petrovskii", "person:ivan-petrovsky", "gazetteer"),
        ("Ruritanian Government", "organisation:government-of-ruritania", "pattern"),
    ]


def test_loader_reads_treaties_when_present(tmp_path):
    write(tmp_path, "treaties.yaml", "- name: Treaty of Zenda\n  aliases: [Zenda treaty]\n  treaty_type: peace\n")
    g = load_gazetteer(tmp_path)
    assert [m.entity_id for m in find_mentions("under the Zenda treaty of 1901", g)] == ["treaty:treaty-of-zenda"]


def test_slugify():
    assert slugify("Édouard Herriot") == "edouard-herriot"
    assert slugify("Józef Piłsudski") == "jozef-pilsudski"
    assert slugify("Oder–Neisse line") == "oder-neisse-line"


def test_real_gazetteer_ids_are_unique_and_typed(gaz):
    assert len(gaz.entities) > 500
    for eid, ent in gaz.entities.items():
        typ, slug = eid.split(":", 1)
        assert typ == ent.type and slug == slugify(slug), eid


# ---------------------------------------------------------------- ENTITY-RULES.md


def test_soviet_alone_is_nothing_but_soviet_government_is_one_organisation(gaz):
    text = "The Soviet delegation handed the Soviet Government's note to the Soviet Ambassador."
    assert spans(text, gaz) == [("Soviet Government", "organisation:government-of-the-soviet-union")]


def test_soviet_russia_rsfsr_ussr_are_the_soviet_union(gaz):
    text = "Soviet Russia, later the RSFSR and then the USSR, and the Soviet Union's allies."
    assert {e for _, e in spans(text, gaz)} == {"state:soviet-union"}
    assert [s for s, _ in spans(text, gaz)] == ["Soviet Russia", "RSFSR", "USSR", "Soviet Union"]


def test_bare_russia_and_tsarist_russia(gaz):
    assert spans("Tsarist Russia had debts; Russia refused them.", gaz) == [
        ("Tsarist Russia", "state:russian-empire"), ("Russia", "state:russia")]


def test_georgia_is_the_state(gaz):
    assert spans("Georgia and Armenia sent envoys to Tiflis.", gaz) == [
        ("Georgia", "state:georgia"), ("Armenia", "state:armenia"), ("Tiflis", "place:tbilisi")]


def test_paris_city_versus_paris_peace_conference(gaz):
    assert spans("In Paris the Paris Peace Conference ignored Moscow.", gaz) == [
        ("Paris", "place:paris"), ("Paris Peace Conference", "event:paris-peace-conference"),
        ("Moscow", "place:moscow")]


def test_longest_match_genoa_conference_and_hitler_germany(gaz):
    assert spans("At the Genoa Conference, unlike in Genoa itself, Hitler Germany was absent.", gaz) == [
        ("Genoa Conference", "event:genoa-conference"), ("Genoa", "place:genoa"),
        ("Hitler Germany", "state:germany")]


def test_turkey_not_turkish(gaz):
    assert spans("The Turkish envoy said Turkey would sign.", gaz) == [("Turkey", "state:turkey")]


def test_adjectives_and_nationality_nouns_are_nothing(gaz):
    assert spans("British, German and Baltic diplomats met the Russians and the Bolsheviks.", gaz) == []


def test_entente_also_lowercase_and_little_entente_separate(gaz):
    assert spans("The entente and the Entente powers feared the Little Entente.", gaz) == [
        ("entente", "organisation:entente"), ("Entente powers", "organisation:entente"),
        ("Little Entente", "organisation:little-entente")]


def test_hyphen_joined_forms_are_not_mentions_unless_a_name(gaz):
    text = "The Franco-Soviet and Soviet-Polish talks at Brest-Litovsk; the anti-Hitler coalition."
    assert spans(text, gaz) == [("Brest-Litovsk", "place:brest-litovsk")]


def test_no_article_title_or_possessive_in_span(gaz):
    text = "Comrade Chicherin read Lenin's letter to Mr. Lloyd George and to von Kühlmann."
    assert spans(text, gaz) == [
        ("Chicherin", "person:georgy-chicherin"), ("Lenin", "person:vladimir-lenin"),
        ("Lloyd George", "person:david-lloyd-george"), ("Kühlmann", "person:richard-von-kuhlmann")]


def test_curly_apostrophes_and_initials_variants(gaz):
    text = "G. V. Chicherin of the People’s Commissariat for Foreign Affairs and G.V. Chicherin again."
    assert spans(text, gaz) == [
        ("G. V. Chicherin", "person:georgy-chicherin"),
        ("People’s Commissariat for Foreign Affairs", "organisation:narkomindel"),
        ("G.V. Chicherin", "person:georgy-chicherin")]


def test_governments_plural_and_government_of_state(gaz):
    assert spans("The British and French governments and the government of Latvia.", gaz) == [
        ("Latvia", "state:latvia")]
    assert spans("The German Governments were told.", gaz) == []


def test_word_boundaries_and_endnote_digits(gaz):
    assert spans("Romeo wrote to Rome; thus US aid came.", gaz) == [
        ("Rome", "place:rome"), ("US", "state:united-states")]
    # an endnote marker glued to a name (Deputies1 in the OCR book) does not hide it
    assert spans("a note from Lenin1 arrived", gaz) == [("Lenin", "person:vladimir-lenin")]


def test_titled_alias_needs_a_title(gaz):
    assert spans("Colonel House met the House of Commons in the house.", gaz) == [
        ("House", "person:edward-m-house"), ("House of Commons", "organisation:house-of-commons")]
    assert spans("The House decided.", gaz) == []


def test_lowercase_event_noun_gives_the_place_only(gaz):
    assert spans("the Kronstadt revolt and the world war", gaz) == [("Kronstadt", "place:kronstadt")]


def test_bare_league_but_not_another_league(gaz):
    assert spans("The League met.", gaz) == [("League", "organisation:league-of-nations")]
    assert spans("The Balkan League met.", gaz) == []


# ---------------------------------------------------------------- ambiguous surnames


def test_shared_surname_left_unlinked_without_context(gaz):
    assert spans("Chamberlain spoke in the Commons.", gaz) == [("Commons", "organisation:house-of-commons")]


def test_shared_surname_resolved_by_full_name_in_paragraph(gaz):
    assert spans("Neville Chamberlain flew to Munich; Chamberlain returned.", gaz) == [
        ("Neville Chamberlain", "person:neville-chamberlain"), ("Munich", "place:munich"),
        ("Chamberlain", "person:neville-chamberlain")]


def test_shared_surname_resolved_by_year(gaz):
    assert spans("In 1927 Chamberlain broke off relations.", gaz) == [
        ("Chamberlain", "person:austen-chamberlain")]


def para(pid, text, doc="s:d1", source="s"):
    return {"paragraph_id": f"{source}:{pid}", "doc_id": doc, "source_id": source, "text": text, "kind": "text"}


def test_build_tables_resolves_from_earlier_paragraph_and_counts(gaz):
    paragraphs = [
        para("p00001", "Sir Austen Chamberlain received Rakovsky in London.", "s:d1"),
        para("p00002", "Chamberlain said that Britain would wait.", "s:d2"),
        para("p00003", "Britain and the Entente; Soviet plans.", "s:d2"),
        para("p00001", "Chamberlain alone, with no context.", "t:d1", "t"),
    ]
    documents = [{"doc_id": d, "parent_doc_id": None} for d in ("s:d1", "s:d2", "t:d1")]
    ents, ments = build_entity_tables(paragraphs, documents, gaz)
    by_id = {e["entity_id"]: e for e in ents}
    assert set(by_id) == {"person:austen-chamberlain", "place:london", "state:great-britain",
                          "organisation:entente"}
    assert by_id["person:austen-chamberlain"] == {
        "entity_id": "person:austen-chamberlain", "type": "person", "name": "Austen Chamberlain",
        "aliases": ["Chamberlain"], "n_mentions": 2, "n_documents": 2}
    assert by_id["state:great-britain"]["aliases"] == ["Britain"]
    assert [e["entity_id"] for e in ents] == sorted(by_id)
    assert list(ments[0]) == ["entity_id", "paragraph_id", "doc_id", "source_id", "char_start",
                              "char_end", "surface", "method"]
    keys = [(m["entity_id"], m["paragraph_id"], m["char_start"]) for m in ments]
    assert keys == sorted(keys)
    assert not any(m["source_id"] == "t" for m in ments)  # unresolved: no row


# ---------------------------------------------------------------- evaluation set and corpus


def load_eval():
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_eval_set_is_well_formed():
    rows = load_eval()
    assert len(rows) >= 40
    assert {r["source_id"][:3] for r in rows} == {"000", "001", "002", "003", "004"}
    assert {"dev", "test"} <= {r["split"] for r in rows}
    for r in rows:
        for s in r["spans"]:
            assert r["text"][s["start"]:s["end"]] == s["surface"]
            assert s["entity_id"].split(":")[0] == s["type"]


def test_held_out_f1(gaz):
    tp = fp = fn = 0
    for r in load_eval():
        if r["split"] == "dev":
            continue
        gold = {(s["start"], s["end"], s["type"]) for s in r["spans"]}
        pred = {(m.char_start, m.char_end, gaz.entities[m.entity_id].type) for m in find_mentions(r["text"], gaz)}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    p, r_ = tp / (tp + fp), tp / (tp + fn)
    assert 2 * p * r_ / (p + r_) >= 0.90


@pytest.fixture(scope="module")
def corpus_tables(gaz):
    assert CORPUS.exists(), f"the real corpus is expected at {CORPUS}"
    from pipelines.parsing.source import process_source, source_id_for
    paragraphs, documents = [], []
    for path in sorted(CORPUS.glob("*.txt")):
        res = process_source(path.read_bytes(), path.name, source_id_for(path.name), "test")
        paragraphs += res.tables["paragraphs"]
        documents += res.tables["documents"]
    return paragraphs, documents


def test_corpus_tables_consistent(gaz, corpus_tables):
    # (speed is measured by benchmarks/entities.py, not asserted here)
    paragraphs, documents = corpus_tables
    ents, ments = build_entity_tables(paragraphs, documents, gaz)
    texts = {p["paragraph_id"]: p["text"] for p in paragraphs}
    for m in ments:
        assert texts[m["paragraph_id"]][m["char_start"]:m["char_end"]] == m["surface"]
    ids = [e["entity_id"] for e in ents]
    assert len(ids) == len(set(ids)) and all(e["n_mentions"] > 0 for e in ents)
    # the most named people and states are there under their canonical rows
    by_id = {e["entity_id"]: e for e in ents}
    for eid in ("person:vladimir-lenin", "person:georgy-chicherin", "state:soviet-union", "state:germany",
                "organisation:entente", "organisation:league-of-nations"):
        assert by_id[eid]["n_mentions"] >= 10, eid


def test_no_person_split_across_two_rows(gaz, corpus_tables):
    """A surface form never names two person rows, and no two person rows share a surname form
    that is not declared ambiguous (resolved from context)."""
    ents, ments = build_entity_tables(*corpus_tables, gaz)
    seen: dict[str, str] = {}
    ambiguous = {f.form for forms in gaz.forms.values() for f in forms if len(f.entity_ids) > 1}
    for m in ments:
        if m["entity_id"].startswith("person:") and m["surface"] not in ambiguous:
            assert seen.setdefault(m["surface"], m["entity_id"]) == m["entity_id"], m
    names = [e["name"] for e in ents if e["type"] == "person"]
    assert len(names) == len(set(names))


# ---------------------------------------------------------------- generic names and context (QA round 2)


def test_generic_name_not_a_mention_when_qualified(tmp_path):
    write(tmp_path, "states.yaml", "- name: Ruritania\n  adjectives: [Ruritanian]\n- name: Borduria\n")
    write(tmp_path, "organisations.yaml",
          "- name: Ruritanian Provisional Council\n  generic: [Provisional Council]\n"
          "- name: Central Bureau\n  generic: [Central Bureau]\n  not_qualifiers: [Party]\n")
    g = load_gazetteer(tmp_path)
    text = ("The Provisional Council met. The Ruritanian Provisional Council, the Zendan Provisional Council, "
            "the Provisional Council of Borduria and Borduria's Provisional Council differ; the Party's "
            "Central Bureau agreed. Provisional Council members left.")
    got = [(m.surface, m.entity_id) for m in find_mentions(text, g)]
    assert got == [
        ("Provisional Council", "organisation:ruritanian-provisional-council"),  # sentence start: "The" is an article
        ("Ruritanian Provisional Council", "organisation:ruritanian-provisional-council"),  # its full name
        ("Borduria", "state:borduria"), ("Borduria", "state:borduria"),
        ("Central Bureau", "organisation:central-bureau"),  # "Party's" is declared not a qualifier
        ("Provisional Council", "organisation:ruritanian-provisional-council"),  # sentence-initial, no qualifier
    ]


def test_context_words_resolve_a_shared_generic_name(tmp_path):
    write(tmp_path, "events.yaml",
          "- name: Ostend Conference (1921)\n  id: ostend-1921\n  generic: [Ostend Conference]\n  context: [grain]\n"
          "- name: Ostend Conference (1931)\n  id: ostend-1931\n  generic: [Ostend Conference]\n  context: [gold]\n")
    g = load_gazetteer(tmp_path)
    assert spans("The Ostend Conference discussed grain.", g) == [("Ostend Conference", "event:ostend-1921")]
    assert spans("The Ostend Conference discussed gold.", g) == [("Ostend Conference", "event:ostend-1931")]
    assert spans("The Ostend Conference discussed grain and gold.", g) == []  # undecided: unlinked


def test_qualified_provisional_governments_are_not_the_russian_one(gaz):
    assert spans("Kerensky's ministers left the Provisional Government.", gaz)[-1] == (
        "Provisional Government", "organisation:provisional-government")
    assert spans("The Polish Provisional Government moved to Warsaw.", gaz)[0] == (
        "Polish Provisional Government", "organisation:provisional-government-of-the-republic-of-poland")
    assert spans("Vienna welcomed the Austrian Provisional Government.", gaz)[-1][1] == (
        "organisation:provisional-government-of-austria")
    assert [e for _, e in spans("The so-called Provisional Government of Karelia fled.", gaz)] == ["place:karelia"]
    assert spans("The Provisional Government of France was recognised.", gaz)[0][1] == (
        "organisation:provisional-government-of-the-french-republic")


def test_central_executive_committees_kept_apart(gaz):
    assert spans("The Ukrainian Central Executive Committee met.", gaz) == [
        ("Ukrainian Central Executive Committee", "organisation:all-ukrainian-central-executive-committee")]
    assert spans("In 1920 the CEC approved the treaty.", gaz) == [
        ("CEC", "organisation:all-russian-central-executive-committee")]
    assert spans("In 1933 the CEC approved the treaty.", gaz) == [
        ("CEC", "organisation:central-executive-committee-of-the-soviet-union")]
    assert spans("The All-Union Central Executive Committee issued an appeal.", gaz)[0][1] == (
        "organisation:central-executive-committee-of-the-soviet-union")


def test_congress_fleets_councils_and_conferences(gaz):
    assert spans("The Seventh Congress of Soviets met.", gaz) == [
        ("Congress of Soviets", "organisation:congress-of-soviets")]
    assert spans("A Karelian Congress of Soviets met.", gaz) == []
    assert spans("The Black Sea Fleet sailed.", gaz) == [("Black Sea Fleet", "organisation:black-sea-fleet")]
    assert spans("The Council of Ten decided.", gaz) == [("Council of Ten", "organisation:council-of-ten")]
    assert spans("In 1922 the Hague Conference failed.", gaz)[-1] == ("Hague Conference", "event:hague-conference-1922")
    assert spans("In 1930 the Hague Conference adopted the Young Plan.", gaz)[-1][1] == "event:hague-conference-1929"
    assert spans("The World Economic Conference in Geneva opened.", gaz)[0][1] == "event:world-economic-conference-1927"
    assert spans("The World Economic Conference in London opened.", gaz)[0][1] == "event:world-economic-conference"


def test_wrong_aliases_split_off(gaz):
    assert spans("Trade with South America grew.", gaz) == [("South America", "place:south-america")]
    assert spans("He led the Free French.", gaz) == [("Free French", "organisation:free-france")]
    assert spans("Czechia was occupied.", gaz) == [("Czechia", "state:czech-lands")]
    assert spans("The Yugoslav People's Liberation Army advanced.", gaz)[0][1] == "organisation:yugoslav-partisans"


def test_span_rules_von_der_delegation_cpsu_b_and_nazi_germany(gaz):
    assert spans("General von der Goltz stayed in Latvia.", gaz)[0] == ("Goltz", "person:rudiger-von-der-goltz")
    assert spans("The Soviet Trade Delegation opened.", gaz) == []
    assert spans("The CC CPSU(B) resolved.", gaz) == [("CC CPSU(B)", "organisation:central-committee")]
    assert spans("He feared nazi Germany, fascist Germany and Nazi Germany.", gaz) == [
        ("nazi Germany", "state:germany"), ("fascist Germany", "state:germany"), ("Nazi Germany", "state:germany")]


def test_henderson_by_year_and_initials_people(gaz):
    assert spans("In 1938 Henderson saw Ribbentrop.", gaz)[0] == ("Henderson", "person:nevile-henderson")
    assert spans("In 1930 Henderson met Dovgalevsky.", gaz)[0] == ("Henderson", "person:arthur-henderson")
    text = "G. I. Petrovsky, K. K. Yurenev and V. K. Blücher met DeWitt C. Poole and Peyton C. March on March 3."
    assert [e for _, e in spans(text, gaz)] == [
        "person:grigory-petrovsky", "person:konstantin-yurenev", "person:vasily-blyukher",
        "person:dewitt-clinton-poole", "person:peyton-c-march"]


def test_n_documents_counts_the_deepest_document_of_each_paragraph(gaz):
    """A chapter's opening paragraph belongs to the chapter (its deepest document) and counts it."""
    paragraphs = [para("p00001", "Lenin wrote.", "s:ch1"), para("p00002", "Lenin spoke.", "s:ch1.1"),
                  para("p00003", "Lenin again.", "s:ch1.1")]
    documents = [{"doc_id": "s:ch1", "parent_doc_id": None}, {"doc_id": "s:ch1.1", "parent_doc_id": "s:ch1"}]
    ents, _ = build_entity_tables(paragraphs, documents, gaz)
    assert ents[0]["entity_id"] == "person:vladimir-lenin" and ents[0]["n_documents"] == 2
