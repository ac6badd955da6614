import datetime as dt

from pipelines.parsing.dates import find_dates, julian_to_gregorian, old_style_to_new, parse_date


def test_julian_conversion_across_the_calendar_change():
    # the last Julian day in Russia was 31 January 1918 = 13 February 1918 Gregorian
    assert julian_to_gregorian(dt.date(1918, 1, 31)) == dt.date(1918, 2, 13)
    assert julian_to_gregorian(dt.date(1917, 10, 25)) == dt.date(1917, 11, 7)
    # before 1900 the difference was 12 days, not 13
    assert julian_to_gregorian(dt.date(1899, 1, 1)) == dt.date(1899, 1, 13)
    # New Style dates after the change are left alone
    assert old_style_to_new(dt.date(1918, 3, 3)) == dt.date(1918, 3, 3)


def test_old_style_with_new_style_in_brackets():
    d = parse_date("Speech delivered on October 26 (November 8), 1917 at the Congress")
    assert (d.date, d.old_style, d.precision) == (dt.date(1917, 11, 8), dt.date(1917, 10, 26), "day")


def test_old_style_day_only_in_brackets():
    d = parse_date("November 9 (22), 1917")
    assert (d.date, d.old_style) == (dt.date(1917, 11, 22), dt.date(1917, 11, 9))
    # the bracketed day rolls into the next month
    d = parse_date("January 20 (February 2), 1918")
    assert d.date == dt.date(1918, 2, 2)
    d = parse_date("October 28 (10), 1917")  # New Style day smaller: next month
    assert d.date == dt.date(1917, 11, 10)


def test_day_month_forms_and_crossing_the_year():
    d = parse_date("25 October (7 November) 1917")
    assert (d.date, d.old_style) == (dt.date(1917, 11, 7), dt.date(1917, 10, 25))
    d = parse_date("23 December 1917 (5 January 1918)")
    assert (d.date, d.old_style) == (dt.date(1918, 1, 5), dt.date(1917, 12, 23))
    d = parse_date("2(15) November", default_year=1917)
    assert (d.date, d.old_style) == (dt.date(1917, 11, 15), dt.date(1917, 11, 2))


def test_plain_dates_and_precision():
    assert parse_date("Written 24 April 1922").date == dt.date(1922, 4, 24)
    assert parse_date("Moscow, April 24, 1922.").date == dt.date(1922, 4, 24)
    m = parse_date("in March 1919 he came")
    assert (m.date, m.precision) == (dt.date(1919, 3, 1), "month")
    y = parse_date("the year 1920 saw")
    assert (y.date, y.precision) == (dt.date(1920, 1, 1), "year")
    assert parse_date("no date here") is None
    assert parse_date("February 30, 1920") is None or parse_date("February 30, 1920").precision != "day"


def test_find_dates_returns_all_in_order_with_spans():
    s = "Between May 10, 1920 and 16 April 1922 much happened."
    found = find_dates(s)
    assert [f.date for f in found] == [dt.date(1920, 5, 10), dt.date(1922, 4, 16)]
    assert s[found[0].start : found[0].end] == "May 10, 1920"


def test_dates_found_only_where_a_form_can_start():
    # find_dates tries each form only at month names / day numbers: what finditer would find
    from pipelines.parsing.dates import _PATTERNS, may_hold_date

    s = "MayDay 12 May 1920; x3 March 1921, 2(15) November 1917 and Sept. 5, 1922 (Sep 6 or 7, 1922)"
    got = [(d.text, d.date) for d in find_dates(s)]
    assert got == [("12 May 1920", dt.date(1920, 5, 12)), ("March 1921", dt.date(1921, 3, 1)),
                   ("2(15) November 1917", dt.date(1917, 11, 15)), ("Sept. 5, 1922", dt.date(1922, 9, 5))]
    starts = {m.start() for _, rx in _PATTERNS for m in rx.finditer(s)}
    assert {d.start for d in find_dates(s)} <= starts
    assert not may_hold_date("12 Mai 1920") and find_dates("12 Mai 1920") == []
