from collections import Counter

from pipelines.parsing.text import (
    MARK,
    Vocabulary,
    clean,
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
