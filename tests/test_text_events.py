"""Dated events in running text (hand-written fixtures in the corpus's style)."""

import datetime as dt

from pipelines.extraction.text_events import find_text_events, split_sentences


def test_on_date_sentence_is_an_event():
    ev = find_text_events("On June 3, 1921, the stevedores of Hull refused to load the steamer. It sailed empty.")
    assert len(ev) == 1
    e = ev[0]
    assert (e.date_start, e.date_end, e.date_precision) == (dt.date(1921, 6, 3), None, "day")
    assert e.date_text == "June 3, 1921"
    assert e.text == "On June 3, 1921, the stevedores of Hull refused to load the steamer."


def test_old_style_date_gives_new_style():
    ev = find_text_events("On November 2 (15), 1917 the Council published its appeal to the workers.")
    assert ev[0].date_start == dt.date(1917, 11, 15)


def test_signed_on_date_inside_sentence():
    ev = find_text_events("The convention was signed in Oslo on 4 May 1925 by both delegations.")
    assert ev[0].date_start == dt.date(1925, 5, 4) and ev[0].date_text == "4 May 1925"


def test_range_from_to():
    ev = find_text_events("The talks went on from March 2, 1923 to March 9, 1923 without result.")
    assert (ev[0].date_start, ev[0].date_end) == (dt.date(1923, 3, 2), dt.date(1923, 3, 9))


def test_month_at_sentence_start():
    ev = find_text_events("In April 1926 a trade mission left for Kabul.")
    assert (ev[0].date_start, ev[0].date_precision, ev[0].date_text) == (dt.date(1926, 4, 1), "month", "April 1926")


def test_not_events():
    # a publication date, a bare year, a day without a year, a question, a quotation, two dates
    for text in (
        "Izvestia, April 4, 1924, carried the note in full.",
        "The negotiations dragged on through 1927 and into the next year.",
        "On May 5 the delegation left for Geneva.",
        "Was it signed on May 5, 1922?",
        'He said that "on May 5, 1922 everything will be settled" and left.',
        "The note was sent on May 5, 1922 and answered on May 9, 1922.",
        "The treaty of May 5, 1922 remained in force.",
    ):
        assert find_text_events(text) == [], text


def test_sentence_split_keeps_initials_and_abbreviations():
    text = "G. V. Chicherin replied at once. See Vol. 3, p. 12. Then Mr. Krasin spoke."
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "G. V. Chicherin replied at once.", "See Vol. 3, p. 12.", "Then Mr. Krasin spoke."]


def test_char_span_points_at_sentence():
    text = "Nothing happened then. On 7 July 1920 the dockers struck."
    e = find_text_events(text)[0]
    assert text[e.char_start:e.char_end] == e.text


def test_old_and_new_style_full_dates_in_brackets_are_one_date():
    ev = find_text_events("On December 30, 1917 (January 12, 1918) the commissariat issued a note on the loans.")
    assert len(ev) == 1
    assert ev[0].date_start == dt.date(1918, 1, 12)
    assert ev[0].date_text == "December 30, 1917 (January 12, 1918)"


def test_bracketed_date_that_is_not_the_julian_gap_stays_apart():
    from pipelines.extraction.text_events import dates_in

    # eleven days apart: not an Old/New Style pair, two dates
    ds = dates_in("The note of March 1, 1921 (March 12, 1921) was answered.")
    assert [d.date for d in ds] == [dt.date(1921, 3, 1), dt.date(1921, 3, 12)]


def test_unspaced_initials_do_not_end_a_sentence():
    text = ("On May 3, 1939 talks with V.M. Molotov and M.I. Kalinin opened in Moscow. The U.S.A. stayed away. "
            "Trade with the U.S. The rest.")
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "On May 3, 1939 talks with V.M. Molotov and M.I. Kalinin opened in Moscow.",
        "The U.S.A. stayed away.", "Trade with the U.S.", "The rest."]
    # initials before a sentence opener still end the sentence
    text = "The letter was signed A.B. The next day it arrived."
    assert len(split_sentences(text)) == 2
    ev = find_text_events("On May 3, 1939 the envoy called on V.P. Potemkin at the commissariat.")
    assert ev[0].text.endswith("at the commissariat.")


def test_old_style_date_is_kept():
    ev = find_text_events("On November 2 (15), 1917 the Council published its appeal to the workers.")
    assert (ev[0].date_start, ev[0].date_old_style) == (dt.date(1917, 11, 15), dt.date(1917, 11, 2))
    ev = find_text_events("On December 30, 1917 (January 12, 1918) the commissariat issued a note on the loans.")
    assert ev[0].date_old_style == dt.date(1917, 12, 30)
    assert find_text_events("On June 3, 1921, the stevedores of Hull refused to load it.")[0].date_old_style is None
