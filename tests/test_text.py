from collections import Counter

import pytest

from pipelines.parsing.text import (
    MARK,
    Vocabulary,
    clean,
    english_prefers_solid,
    line_blocks,
    reflow,
    repair_inline_breaks,
    split_lines,
    strip_markdown,
    take_marks,
)

WRAPPED = (
    "The commissariat sent an es\n"
    "sential note to the embassy \n"
    "and the essential reply came \n"
    "after the Anglo-French-\n"
    "American talks on counter\n"
    "revolution, which the counter-revolution leaders \n"
    "disliked.\n"
)


def test_split_lines_keeps_offsets():
    text = "ab\n\ncd  \n"
    lines = split_lines(text)
    assert [(ln.number, ln.text) for ln in lines] == [(1, "ab"), (2, ""), (3, "cd  "), (4, "")]
    assert text[lines[2].start : lines[2].end] == "cd  "
    assert lines[2].span() == (4, 6)
    assert [[ln.number for ln in b] for b in line_blocks(lines)] == [[1], [3]]


def test_reflow_rejoins_broken_words_and_keeps_real_compounds():
    vocab = Vocabulary.from_text(WRAPPED)
    out = reflow(WRAPPED.split("\n"), vocab, glue_unspaced=True)
    assert "essential note" in out  # lost hyphen, glued from the vocabulary
    assert "Anglo-French-American" in out  # hyphen before a capital stays
    assert "counter-revolution, which" in out  # hyphenated form known to the corpus
    assert "  " not in out and "\n" not in out


def test_reflow_hyphen_at_line_end():
    vocab = Vocabulary(Counter({"government": 3}))
    assert reflow(["the govern-", "ment of the day"], vocab) == "the government of the day"
    # without glue_unspaced, flush line ends are joined with a space
    assert reflow(["the policy", "of peace"], vocab) == "the policy of peace"


def test_unspaced_line_end_between_two_common_words_gets_a_space():
    vocab = Vocabulary(Counter({"peace": 5, "treaty": 5}))
    assert reflow(["a peace", "treaty was made"], vocab, glue_unspaced=True) == "a peace treaty was made"


def test_clean_normalises_characters():
    assert clean("People\u02b9s  All\u2010Russian\u00a0Congress\u00ades") == "People's All-Russian Congresses"


def test_strip_markdown_keeps_words():
    assert strip_markdown("*Pravda*, 12 **March** 1939 and _Izvestia_") == "Pravda, 12 March 1939 and Izvestia"


def test_repair_inline_breaks_uses_vocabulary():
    vocab = Vocabulary(Counter({"aggression": 4}))
    assert repair_inline_breaks("Japanese Ag- gression grew", vocab) == "Japanese Aggression grew"
    assert repair_inline_breaks("pro- and anti-war", vocab) == "pro- and anti-war"


def test_take_marks_gives_anchor_offsets():
    text, anchors = take_marks(f"the Congress of Deputies{MARK} met on March 14,{MARK} at noon")
    assert text == "the Congress of Deputies met on March 14, at noon"
    assert anchors == [len("the Congress of Deputies"), len("the Congress of Deputies met on March 14,")]


# --- line-broken words: OCR'd lines where the hyphen (and sometimes the space) moved ---------


def _vocab(**counts):
    return Vocabulary(Counter(counts))


def test_spaced_continuation_joins_only_a_known_word_with_a_fragment():
    v = _vocab(agreement=5, agree=3, peaceful=4, coexistence=3, the=20, people=6)
    # the OCR moved the line-end space to the next line's start: "agree" / " ment"
    assert reflow(["signed the agree", " ment at once"], v, glue_unspaced=True) == "signed the agreement at once"
    # two real words with the space at the next line's start stay two words
    assert reflow(["a peaceful", " coexistence of states"], v, glue_unspaced=True) == "a peaceful coexistence of states"
    assert reflow(["to the", " people of the town"], v, glue_unspaced=True) == "to the people of the town"
    # two fragments neither of which is a word: one word
    assert reflow(["quite unparal", " leled losses"], v, glue_unspaced=True) == "quite unparalleled losses"


def test_unspaced_line_end_between_a_word_and_a_word_without_evidence_keeps_the_space():
    v = _vocab(whereas=1, **{"with": 40, "to": 50, "instructions": 2, "business": 2, "willing": 3})
    assert reflow(["horses, whereas", "with engines"], v, glue_unspaced=True) == "horses, whereas with engines"
    # the vocabulary shows the pieces inside longer words: joined
    assert reflow(["he in", "structs them"], v, glue_unspaced=True) == "he instructs them"
    assert reflow(["their willing", "ness to help"], v, glue_unspaced=True) == "their willingness to help"
    # a prefix before the break
    assert reflow(["a non", "aggression pact"], _vocab(aggression=3), glue_unspaced=True) == "a nonaggression pact"


@pytest.mark.parametrize(
    "left,right,counts,out",
    [
        ("only one-", "tenth of it", {"one": 9, "tenth": 2}, "only one-tenth of it"),
        ("their class-", "consciousness grew", {"class": 9, "consciousness": 3}, "their class-consciousness grew"),
        ("or three-", "quarters of them", {"three": 9, "quarter": 2}, "or three-quarters of them"),
        ("the govern-", "ment fell", {"government": 5, "govern": 1}, "the government fell"),
        ("some-", "thing new", {"some": 9, "thing": 4, "something": 3}, "something new"),
        ("Brest-", "Litovsk", {}, "Brest-Litovsk"),
        ("be-", "tween us", {"be": 9, "between": 4}, "between us"),
    ],
)
def test_printed_hyphen_kept_between_two_words(left, right, counts, out):
    assert reflow([left, right], Vocabulary(Counter(counts))) == out


def test_vocabulary_word_evidence():
    v = _vocab(ranks=1, quarter=2, business=1, instructions=1)
    assert v.is_word("ranking") and v.is_word("quarters") and v.is_word("a")
    assert not v.is_word("ment") and not v.is_word("x")
    assert v.has_prefix("instr") and not v.has_prefix("tosu")
    assert v.ends_longer_word("ness") and not v.ends_longer_word("business")


# --- fallback on general English frequencies (wordfreq) when the text cannot decide ----------


@pytest.mark.parametrize(
    "left,right,out",
    [
        # both halves are words of the text, the solid form never stands whole in it
        ("kept them from over", "coming the border", "kept them from overcoming the border"),
        ("But mean", "while the envoys waited", "But meanwhile the envoys waited"),
        ("at the out", "break of hostilities", "at the outbreak of hostilities"),
        ("they argued some", "what as follows", "they argued somewhat as follows"),
        # the space was merely lost: two English words stay two
        ("we have heard", "so many rumours", "we have heard so many rumours"),
        ("a peace", "treaty was made", "a peace treaty was made"),
        ("it is", "a pact", "it is a pact"),
        ("during", "the talks", "during the talks"),
    ],
)
def test_lost_hyphen_between_two_words_decided_by_english_frequency(left, right, out):
    words = "kept them from over coming the border but mean while envoys waited at out break of hostilities"
    words += " they argued some what as follows we have heard so many rumours a peace treaty was made it is pact"
    words += " during talks"
    v = Vocabulary(Counter(words.split()))
    assert reflow([left, right], v, glue_unspaced=True) == out


def test_text_vocabulary_still_wins_over_english_frequency():
    # the text prints the hyphenated form: kept, although English writes it solid
    v = _vocab(**{"half": 3, "way": 5, "half-way": 2})
    assert reflow(["they went half", "way to meet us"], v, glue_unspaced=True) == "they went half-way to meet us"
    # a single letter before a common word keeps its space (``a round`` / ``around``)
    v = _vocab(a=30, round=4)
    assert reflow(["after a", "round of talks"], v, glue_unspaced=True) == "after a round of talks"


def test_printed_hyphen_closed_up_when_english_writes_the_word_solid():
    v = _vocab(every=6, thing=3, one=9, tenth=2)
    assert reflow(["and every-", "thing else"], v) == "and everything else"
    assert reflow(["only one-", "tenth of it"], v) == "only one-tenth of it"


def test_english_prefers_solid():
    assert english_prefers_solid("over", "coming") and english_prefers_solid("Mean", "while")
    assert not english_prefers_solid("the", "rules")  # "therules" is no word
    assert not english_prefers_solid("of", "course")  # "ofcourse" rarer than "of course"
    assert not english_prefers_solid("power", "station")


# --- fast paths: the same results as the regular expressions that define them ---------------

TRICKY = [
    "", " ", "a", "Anglo-French-American co-operation", "--a-b--c-", "x-", "-x", "a - b", "Peopleʹs All‐Russian",
    "l’Humanité, ßtraße ÀÖ×Øö÷øÿ", "İstanbul Kelvin\u212a Ÿ", "Москва and Paris", "under_score 1917-1918", "it's don't ’tis",
    "line one\nline-\ntwo \n\n", "\u00adsoft\u200bhyphen\u00a0space\tTab\rCR", "word¹ note² 3rd",
]


@pytest.mark.parametrize("s", TRICKY)
def test_word_helpers_match_their_patterns(s):
    from pipelines.parsing.text import _ENDS_WORD, _TOKEN, _WORD, _ends_word, lower_words, n_words

    assert lower_words(s) == [w.lower() for w in _TOKEN.findall(s)]
    assert n_words(s) == len(_WORD.findall(s))
    assert _ends_word(s) == bool(_ENDS_WORD.search(s))


def test_vocabulary_counts_words_inside_lines_only():
    v = Vocabulary.from_text("Anglo-French talks resumed today\nThe talks ended in Paris today\nabout")
    # each line's first and last words are left out (possible halves of broken words)
    assert v.counts == Counter({"talks": 2, "resumed": 1, "ended": 1, "in": 1, "paris": 1})


def test_take_marks_takes_the_space_before_each_sentinel():
    s = f"Deputies {MARK}and  {MARK}{MARK} peace {MARK}"
    assert take_marks(s) == ("Deputiesand peace", [8, 11, 11, 17])
