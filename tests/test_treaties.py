"""Treaties and treaty events (hand-written fixtures in the corpus's style)."""

import datetime as dt
from pathlib import Path

import pytest

from pipelines.extraction.treaties import (
    TREATY_TYPES,
    build_treaty_tables,
    compound_parties,
    load_gazetteer,
    match_aliases,
    mentions_for,
    parties_in,
    resolve_description,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def chron(pid, d, text, d_end=None, date_text=None):
    return {"event_id": pid, "source_id": "book", "paragraph_id": pid, "date_start": d, "date_end": d_end,
            "date_precision": "day", "date_text": date_text or d.isoformat(), "text": text, "kind": "chronology"}


def para(pid, text, kind="text"):
    return {"paragraph_id": pid, "doc_id": "d", "source_id": "book", "kind": kind, "text": text}


def test_gazetteer_is_valid():
    g = load_gazetteer()
    ids = [t.id for t in g]
    assert len(ids) == len(set(ids)) and all(i.startswith("treaty:") for i in ids)
    assert all(t.treaty_type in TREATY_TYPES for t in g)
    aliases = [a for t in g for a in t.aliases]
    assert len(aliases) == len(set(aliases)), "an alias names two treaties"
    assert all(t.date_signed or t.proposed or not t.parties for t in g if t.name != "Non-Intervention Agreement")


def test_alias_matching_longest_and_not_inside_hyphenated_words():
    text = "They denounced the Brest-Litovsk Peace Treaty; the Brest peace was dead. A pre-Rapallo treaty talk."
    hits = [(text[s:e], tid) for s, e, tid in match_aliases(text)]
    assert hits == [("Brest-Litovsk Peace Treaty", "treaty:treaty-of-brest-litovsk"),
                    ("Brest peace", "treaty:treaty-of-brest-litovsk")]


def test_parties():
    assert compound_parties("the Anglo-Soviet trade agreement")[0][2] == ["Great Britain", "Soviet Union"]
    assert compound_parties("the Brest-Litovsk treaty") == []
    assert parties_in("treaty of alliance is signed between USSR, Great Britain and Iran") == [
        "Soviet Union", "Great Britain", "Iran"]
    assert parties_in("armistice is signed between USSR and Britain on the one hand, and Finland on the other") == [
        "Soviet Union", "Great Britain", "Finland"]
    # what an agreement is about is not a party
    assert "Czechoslovakia" not in parties_in("agreement on partition of Czechoslovakia is signed by Britain, France, Germany and Italy")
    assert parties_in("treaty of friendship is signed between Transcaucasian Soviet Republics and Turkey") == [
        "Armenia", "Azerbaijan", "Georgia", "Turkey"]
    # the state a declaration is about or has power over is not a party either
    assert parties_in("a Declaration Concerning the Occupation of Austria and the assumption of authority over "
                      "Austria by the governments of the USSR, Britain and France was signed") == [
        "Soviet Union", "Great Britain", "France"]
    assert parties_in("the treaty signed by Germany and Japan in Berlin") == ["Germany", "Japan"]


def test_text_parties_that_are_part_of_the_reference_parties_are_completed():
    """"between RSFSR and Poland" for a treaty Soviet Ukraine signed too: the reference list
    completes the parties and reference_fields says so; a text naming other parties keeps them."""
    events = [chron("r1", dt.date(1921, 3, 18), "peace treaty is signed in Riga between RSFSR and Poland.")]
    paras = [para(e["paragraph_id"], e["text"], "chronology_entry") for e in events]
    prov: dict = {}
    rows, _ = build_treaty_tables(paras, events, mentions_for(paras), provenance=prov)
    riga = next(r for r in rows if r["treaty_id"] == "treaty:peace-of-riga")
    assert sorted(riga["parties"]) == ["Poland", "Soviet Union", "Ukraine"]
    assert prov["treaty:peace-of-riga"]["parties"] == "gazetteer"
    assert prov["treaty:peace-of-riga"]["date_signed"] == "text"


def test_description_resolves_only_when_one_treaty_fits():
    g = load_gazetteer()
    assert resolve_description("the Soviet-Turkish treaty of 17 December 1925", g) == "treaty:soviet-turkish-treaty-1925"
    assert resolve_description("the Soviet-German treaty of 1922", g) == "treaty:treaty-of-rapallo"
    assert resolve_description("a non-aggression pact with Poland", g) == "treaty:soviet-polish-non-aggression-pact-1932"
    # several Soviet-German agreements of 1939: a year alone is not enough
    assert resolve_description("the Soviet-German treaty of 1939", g) is None
    assert resolve_description("the Soviet-German treaty of 1939", g, on_date=dt.date(1939, 9, 28)) == \
        "treaty:german-soviet-boundary-treaty-1939"
    assert resolve_description("a Soviet-Ruritanian treaty", g) is None


def test_chronology_events_and_rows():
    events = [
        chron("c1", dt.date(1918, 3, 3), "Soviet Russia signs Brest-Litovsk peace with Germany, Austria-Hungary, Bulgaria and Turkey."),
        chron("c2", dt.date(1918, 3, 15), "Brest-Litovsk Peace Treaty is ratified by the Congress of Soviets."),
        chron("c3", dt.date(1918, 11, 13), "Central Executive Committee denounces Brest-Litovsk Peace Treaty."),
        chron("c4", dt.date(1939, 9, 28), "mutual assistance pact is concluded between USSR and Estonia."),
        chron("c5", dt.date(1939, 9, 28), "treaty is signed establishing border between USSR and Germany."),
        chron("c6", dt.date(1931, 6, 24), "Soviet-German protocol prolonging 1929 Berlin Treaty is signed."),
        chron("c7", dt.date(1922, 11, 5), "Soviet-German agreement is signed on extension of Treaty of Rapallo to the Ukrainian SSR."),
        chron("c8", dt.date(1945, 3, 19), "Soviet government denounces treaty of friendship and neutrality with Turkey of 17 December 1925."),
        chron("c9", dt.date(1938, 9, 29), "agreement on partition of Czechoslovakia is signed by Britain, France, Germany and Italy in Munich.",
              d_end=dt.date(1938, 9, 30)),
        chron("c10", dt.date(1930, 3, 1), "USSR tables draft protocol on economic non-aggression."),
        chron("c11", dt.date(1928, 5, 1), "treaty of friendship is signed between USSR and Ruritania."),
    ]
    paras = [para(e["paragraph_id"], e["text"], "chronology_entry") for e in events]
    paras.append(para("p1", "It was the Treaty of Rapallo that broke the blockade."))
    rows, evs = build_treaty_tables(paras, events, mentions_for(paras))
    got = {(e["treaty_id"], e["event"], e["date"], e["paragraph_id"]) for e in evs}
    assert ("treaty:treaty-of-brest-litovsk", "signed", dt.date(1918, 3, 3), "c1") in got
    assert ("treaty:treaty-of-brest-litovsk", "ratified", dt.date(1918, 3, 15), "c2") in got
    assert ("treaty:treaty-of-brest-litovsk", "denounced", dt.date(1918, 11, 13), "c3") in got
    assert ("treaty:soviet-estonian-mutual-assistance-pact-1939", "signed", dt.date(1939, 9, 28), "c4") in got
    assert ("treaty:german-soviet-boundary-treaty-1939", "signed", dt.date(1939, 9, 28), "c5") in got
    assert ("treaty:soviet-german-protocol-1931", "signed", dt.date(1931, 6, 24), "c6") in got
    assert ("treaty:treaty-of-berlin-1926", "prolonged", dt.date(1931, 6, 24), "c6") in got
    assert ("treaty:rapallo-supplementary-agreement-1922", "signed", dt.date(1922, 11, 5), "c7") in got
    assert ("treaty:soviet-turkish-treaty-1925", "denounced", dt.date(1945, 3, 19), "c8") in got
    # a range entry agreeing with the reference date takes it
    assert ("treaty:munich-agreement", "signed", dt.date(1938, 9, 30), "c9") in got
    assert not any(e["paragraph_id"] == "c10" for e in evs)  # a draft is no treaty
    assert not any(e["treaty_id"] == "treaty:treaty-of-rapallo" and e["event"] == "signed" for e in evs)

    by_id = {r["treaty_id"]: r for r in rows}
    assert list(by_id) == sorted(by_id)
    brest = by_id["treaty:treaty-of-brest-litovsk"]
    assert brest["date_signed"] == dt.date(1918, 3, 3)
    assert set(brest["parties"]) == {"Soviet Union", "Germany", "Austria-Hungary", "Bulgaria", "Turkey"}
    assert brest["n_mentions"] == 3
    # one row per treaty: the two Soviet-German agreements of 28 September 1939 stay apart from the Estonian pact
    assert by_id["treaty:german-soviet-boundary-treaty-1939"]["parties"] == ["Soviet Union", "Germany"]
    # a signing the gazetteer lacks becomes a new treaty row with the stated parties
    new = [r for r in rows if "ruritania" in r["treaty_id"]]
    assert not new  # Ruritania is no known state: no parties, no row
    rapallo = by_id["treaty:treaty-of-rapallo"]
    assert rapallo["n_mentions"] == 2 and rapallo["date_signed"] == dt.date(1922, 4, 16)  # gazetteer fallback
    for r in rows:
        assert set(r) == {"treaty_id", "name", "treaty_type", "parties", "date_signed", "place_signed", "n_mentions"}
    for e in evs:
        assert set(e) == {"treaty_id", "event", "date", "date_text", "paragraph_id", "source_id"}


def test_new_treaty_from_chronology_signing():
    events = [chron("c1", dt.date(1928, 11, 1), "treaty of friendship and trade is signed between USSR and Iraq.")]
    rows, evs = build_treaty_tables([para("c1", events[0]["text"], "chronology_entry")], events, [])
    assert len(rows) == 1 and rows[0]["parties"] == ["Soviet Union", "Iraq"]
    assert rows[0]["treaty_type"] == "friendship" and rows[0]["date_signed"] == dt.date(1928, 11, 1)
    assert evs[0]["paragraph_id"] == "c1" and evs[0]["event"] == "signed"


def test_running_text_events():
    paras = [
        para("p1", "Despite London's objections, the Soviet-Afghan Treaty was signed in Moscow on February 28, 1921. "
                   "It was welcomed in Kabul."),
        para("p2", "A treaty on neutrality on the pattern of the Soviet-Turkish treaty was signed with Kabul on August 31, 1926."),
        para("p3", "On December 17, 1929 a protocol was signed; the raid was a violation of the Anglo-Soviet trade agreement of 1921."),
        para("p4", "A peace treaty with Lithuania was signed on July 12, 1920."),
    ]
    rows, evs = build_treaty_tables(paras, [], mentions_for(paras))
    got = {(e["treaty_id"], e["event"], e["date"], e["paragraph_id"]) for e in evs}
    assert got == {
        ("treaty:soviet-afghan-treaty-1921", "signed", dt.date(1921, 2, 28), "p1"),
        ("treaty:soviet-lithuanian-peace-treaty-1920", "signed", dt.date(1920, 7, 12), "p4"),
    }
    afghan = next(r for r in rows if r["treaty_id"] == "treaty:soviet-afghan-treaty-1921")
    assert afghan["place_signed"] == "Moscow"


@pytest.mark.skipif(not (CORPUS / "002_278814a42839b995.txt").exists(), reason="corpus not available")
def test_corpus_chronology_lines_link_brest():
    """Integration: the raw chronology lines of the book about the Brest-Litovsk treaty."""
    import re

    raw = (CORPUS / "002_278814a42839b995.txt").read_text(encoding="utf-8")
    lines = [ln for ln in raw.split("\n") if re.match(r"^- \d+ \*March\*—.*Brest", ln)]
    assert len(lines) == 2
    events = []
    for i, ln in enumerate(lines):
        day = int(re.match(r"^- (\d+)", ln).group(1))
        text = ln.split("—", 1)[1]
        events.append(chron(f"c{i}", dt.date(1918, 3, day), text))
    _, evs = build_treaty_tables([], events, [])
    assert {(e["event"], e["date"]) for e in evs} == {("signed", dt.date(1918, 3, 3)), ("ratified", dt.date(1918, 3, 15))}


def _got(paras, events=()):
    rows, evs = build_treaty_tables(paras, list(events), mentions_for(paras))
    return rows, {(e["treaty_id"], e["event"], e["date"], e["paragraph_id"]) for e in evs}


def test_treaty_named_with_its_date_is_evidence_of_the_signing():
    rows, got = _got([
        para("p1", "Berlin then tore up the German-Polish non-aggression pact of January 26, 1934, to everyone's alarm."),
        para("h1", "The Soviet-Japanese Agreement of January 20, 1925", "heading"),
        para("p2", "Moscow joined the Protocol of 17 June 1925 on the prohibition of gases."),
        # a date three weeks off the treaty's own is a slip of the text: not taken
        para("p3", "The search was a breach of the Treaty of Rapallo of May 20, 1922."),
    ])
    assert ("treaty:german-polish-non-aggression-pact-1934", "signed", dt.date(1934, 1, 26), "p1") in got
    assert ("treaty:soviet-japanese-basic-convention-1925", "signed", dt.date(1925, 1, 20), "h1") in got
    assert ("treaty:geneva-protocol-1925", "signed", dt.date(1925, 6, 17), "p2") in got
    assert not any(g[3] == "p3" for g in got)
    by_id = {r["treaty_id"]: r for r in rows}
    assert by_id["treaty:geneva-protocol-1925"]["date_signed"] == dt.date(1925, 6, 17)


def test_active_verbs_before_the_treaty_and_their_dates():
    _, got = _got([
        para("p1", "On March 7, 1936 Germany revoked the Locarno agreements and marched into the Rhineland."),
        para("p2", "Defeated, the Dashnaks signed a humiliating Alexandropol Treaty with Turkey on December 2, 1920, and fled."),
        # the date belongs to another verb: "following the signing of"
        para("p3", "On November 21, 1925, following the signing of the Locarno agreements, Moscow sent a draft to Berlin."),
        # not stated as done: a modal, an accusation
        para("p4", "On May 3, 1927 London threatened that it would annul the Anglo-Soviet Trade Agreement at once."),
        para("p5", "On May 4, 1927 the British accused Moscow of violating the Anglo-Soviet Trade Agreement."),
    ])
    assert ("treaty:locarno-treaties", "denounced", dt.date(1936, 3, 7), "p1") in got
    assert ("treaty:treaty-of-alexandropol", "signed", dt.date(1920, 12, 2), "p2") in got
    assert not any(g[3] in ("p3", "p4", "p5") for g in got)


def test_relative_date_and_prolonging_protocol():
    _, got = _got([
        para("p1", "On February 2, 1920, at Tartu a peace treaty with Estonia was signed, which was ratified "
                   "two days later by the Central Executive Committee."),
        para("p2", "On December 17, 1929, Moscow signed a protocol with Turkey prolonging the 1925 treaty, and on "
                   "March 7, 1931, a trade protocol."),
    ])
    assert ("treaty:treaty-of-tartu-estonia", "signed", dt.date(1920, 2, 2), "p1") in got
    assert ("treaty:treaty-of-tartu-estonia", "ratified", dt.date(1920, 2, 4), "p1") in got
    assert ("treaty:soviet-turkish-treaty-1925", "prolonged", dt.date(1929, 12, 17), "p2") in got


def test_kind_only_description_resolved_with_the_sentence_states():
    _, got = _got([para("p1", "On November 28, 1939, the Soviet government informed the government of Finland "
                              "that it had denounced the non-aggression treaty.")])
    assert got == {("treaty:soviet-finnish-non-aggression-pact-1932", "denounced", dt.date(1939, 11, 28), "p1")}


def _pattern(paras, events=()):
    out: list = []
    rows, _ = build_treaty_tables(paras, list(events), mentions_for(paras), mentions_out=out)
    return rows, [(m["entity_id"], m["surface"], m["paragraph_id"], m["method"]) for m in out]


def test_place_word_treaty_noun_resolved_by_the_year():
    text = "Deliveries under the Moscow protocol for November 1941 fell short."
    rows, got = _pattern([para("p1", text)])
    assert [r["treaty_id"] for r in rows] == ["treaty:first-moscow-protocol-1941"]
    assert got == [("treaty:first-moscow-protocol-1941", "Moscow protocol", "p1", "pattern")]
    assert rows[0]["n_mentions"] == 1
    rows, got = _pattern([para("p1", "Deliveries under the Moscow protocol fell short.")])
    assert rows == [] and got == []


def test_a_row_needs_a_mention_or_an_event():
    # a name several treaties share, resolved from its year: a pattern mention (the name only)
    named = para("p1", "Just as useful was the Soviet-American trade agreement of 1937, based on fair terms.")
    rows, got = _pattern([named])
    assert got == [("treaty:soviet-american-trade-agreement-1937", "Soviet-American trade agreement", "p1", "pattern")]
    assert [r["treaty_id"] for r in rows] == ["treaty:soviet-american-trade-agreement-1937"]
    # without a caller that writes pattern mentions, no row rests on them
    assert build_treaty_tables([named], [], mentions_for([named]))[0] == []
    # a description with no name and no event: no mention, no row
    rows, got = _pattern([para("p2", "Peking broke off the talks on the annulment of tsarist Russia's "
                                     "unequal treaty with China of 1896 and left.")])
    assert rows == [] and got == []
    # "Franco-Polish agreements" is not the many-party Kellogg-Briand Pact
    rows, got = _pattern([para("p3", "He had in mind the Franco-Polish agreements of 1928 above all.")])
    assert rows == [] and got == []


def test_chronology_names_take_the_dated_link():
    e = chron("c1", dt.date(1922, 11, 5), "Soviet-German agreement is signed on extension of Treaty of Rapallo to the republics.")
    _, got = _pattern([para("c1", e["text"], "chronology_entry")], [e])
    assert ("treaty:rapallo-supplementary-agreement-1922", "Soviet-German agreement", "c1", "pattern") in got


def test_unknown_parties_are_null_and_the_ussr_founders_are_entity_states():
    rows, _ = _got([para("p1", "The Geneva Protocol banned gas. The Treaty on the Formation of the USSR united the republics.")])
    by_id = {r["treaty_id"]: r for r in rows}
    assert by_id["treaty:geneva-protocol-1925"]["parties"] is None
    assert by_id["treaty:treaty-on-the-creation-of-the-ussr"]["parties"] == [
        "Soviet Union", "Ukraine", "Belarus", "Armenia", "Azerbaijan", "Georgia"]


def test_old_style_pair_for_parties_on_the_gregorian_calendar():
    from pipelines.extraction.treaties import calendar_date
    ns, os_ = dt.date(1918, 1, 5), dt.date(1917, 12, 23)
    assert calendar_date(ns, os_, {"Great Britain", "France"}) == os_  # the printed date was New Style
    assert calendar_date(ns, os_, {"Soviet Union", "Germany"}) == ns  # Russia still on the Julian calendar
    assert calendar_date(dt.date(1918, 3, 3), None, {"Great Britain"}) == dt.date(1918, 3, 3)
    e = chron("c1", ns, "secret Anglo-French convention is concluded on dividing the region into zones.",
              date_text="23 December 1917 (5 January 1918)")
    e["date_old_style"] = os_
    rows, got = _got([para("c1", e["text"], "chronology_entry")], [e])
    assert ("treaty:anglo-french-convention-1917", "signed", os_, "c1") in got
    assert rows[0]["date_signed"] == os_


def test_chronology_name_of_a_treaty_the_gazetteer_lacks():
    # the entry creates a new treaty; its state-compound name is a pattern mention of it
    # (this raised a TypeError on the 10x benchmark corpus)
    e = chron("c1", dt.date(1926, 12, 15), "Soviet-Norwegian trade agreement is signed between USSR and Norway.")
    rows, got = _pattern([para("c1", e["text"], "chronology_entry")], [e])
    new_id = "treaty:soviet-norwegian-trade-agreement-soviet-union-norway-1926-12-15"
    assert got == [(new_id, "Soviet-Norwegian trade agreement", "c1", "pattern")]
    assert [(r["treaty_id"], r["parties"], r["n_mentions"]) for r in rows] == [(new_id, ["Soviet Union", "Norway"], 1)]


def _source(sid, text, d=dt.date(1921, 2, 28)):
    e = {**chron(f"{sid}:c1", d, text), "source_id": sid}
    return {**para(f"{sid}:c1", text, "chronology_entry"), "source_id": sid}, e


def test_per_source_evidence_merged_in_source_order():
    """What each source says is found apart (``source_evidence``) and merged by ``treaty_tables``;
    where two sources disagree at the same rank the first source_id wins, whatever the input order."""
    from pipelines.extraction.treaties import source_evidence, treaty_tables

    (pa_, ea), (pb, eb) = (_source("a", "Soviet-Afghan Treaty is signed in Moscow."),
                           _source("b", "Soviet-Afghan Treaty is signed in Kabul."))
    parts = [source_evidence([p], [e], mentions_for([p])) for p, e in ((pa_, ea), (pb, eb))]
    assert [ev.source_id for part in parts for ev in part.evidence] == ["a", "b"]
    rows, evs = treaty_tables(parts, {})  # a description, no name: no mention
    assert [(r["treaty_id"], r["place_signed"], r["n_mentions"]) for r in rows] == [
        ("treaty:soviet-afghan-treaty-1921", "Moscow", 0)]
    assert [e["paragraph_id"] for e in evs] == ["a:c1", "b:c1"]
    for paras, events in (([pa_, pb], [ea, eb]), ([pb, pa_], [eb, ea])):
        assert build_treaty_tables(paras, events, mentions_for(paras)) == (rows, evs)


def test_pattern_mentions_merged_into_the_sorted_mentions():
    import pyarrow as pa

    from pipelines import storage
    from pipelines.corpus_cache import merge_pattern_mentions

    def m(eid, pid, s, e, method="gazetteer"):
        return {"entity_id": eid, "paragraph_id": pid, "doc_id": "d", "source_id": "book", "char_start": s,
                "char_end": e, "surface": "x" * (e - s), "method": method}

    given = [m("person:a", "p1", 0, 5), m("place:moscow", "p2", 21, 27), m("state:b", "p1", 9, 12),
             m("treaty:a", "p3", 0, 12), m("treaty:c", "p1", 0, 4), m("zone:z", "p2", 0, 3)]
    pattern = [m("treaty:b", "p2", 21, 36, "pattern"), m("treaty:a", "p3", 0, 9, "pattern"),
               m("treaty:b", "p2", 21, 36, "pattern")]
    expected = [("person:a", "p1", 0, "gazetteer"), ("state:b", "p1", 9, "gazetteer"),
                ("treaty:a", "p3", 0, "gazetteer"),  # a given mention with the same key stays
                ("treaty:b", "p2", 21, "pattern"),  # once; the place inside it gives way
                ("treaty:c", "p1", 0, "gazetteer"), ("zone:z", "p2", 0, "gazetteer")]

    schema = storage.to_arrow("entity_mentions", []).schema

    def merged(rows):
        out = merge_pattern_mentions(pa.Table.from_pylist(rows, schema=schema), pattern).to_pylist()
        return [(r["entity_id"], r["paragraph_id"], r["char_start"], r["method"]) for r in out]

    # as mentions_cache gives them: sorted by entity, paragraph and start, once each
    assert merged(sorted(given, key=lambda r: (r["entity_id"], r["paragraph_id"], r["char_start"]))) == expected
    # in another order, a row twice: the same rows, sorted, once each
    assert merged(given[::-1] + given[:1]) == expected
    table = pa.Table.from_pylist(given, schema=schema)
    assert merge_pattern_mentions(table, []) is table
