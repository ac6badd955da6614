"""Text primitives shared by every layout: raw lines with offsets, character normalisation,
re-joining broken words, undoing line wrapping, and footnote-marker sentinels.

All functions are pure (strings in, strings out) and know nothing of any one source file.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import Counter
from typing import NamedTuple

# --- raw lines ---------------------------------------------------------------------------


class Line(NamedTuple):
    """One raw line: 1-based ``number``; ``start``/``end`` offsets of its text (no newline).
    (A named tuple: immutable, and made several times faster than a frozen dataclass.)"""

    number: int
    start: int
    end: int
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    def span(self) -> tuple[int, int]:
        """Offsets of the line's non-whitespace text (start == end for a blank line)."""
        lead = len(self.text) - len(self.text.lstrip())
        trail = len(self.text.rstrip())
        if trail <= lead:
            return self.start, self.start
        return self.start + lead, self.start + trail


def split_lines(text: str) -> list[Line]:
    """Split on ``\\n`` (a ``\\r`` before it stays in the line as whitespace)."""
    lines, pos = [], 0
    for number, chunk in enumerate(text.split("\n"), start=1):
        lines.append(Line(number, pos, pos + len(chunk), chunk))
        pos += len(chunk) + 1
    return lines


def line_blocks(lines: list[Line]) -> list[list[Line]]:
    """Group consecutive non-blank lines into blocks separated by blank lines."""
    blocks, cur = [], []
    for ln in lines:
        if ln.blank:
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append(ln)
    if cur:
        blocks.append(cur)
    return blocks


# --- characters --------------------------------------------------------------------------

_CHAR_MAP = str.maketrans(
    {
        "\u02b9": "'",  # modifier letter prime
        "\u02bc": "'",  # modifier letter apostrophe
        "\u02ba": '"',  # modifier letter double prime
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\t": " ",
        "\r": " ",
        # other C0/C1 control characters (NUL bytes and the like) are dropped from clean text
        **{chr(c): None for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]},
    }
)
_SPACES = re.compile(r"[ ]{2,}")


_MAPPED_CHARS = re.compile("[" + re.escape("".join(chr(c) for c in _CHAR_MAP)) + "]")
_CHAR_REPLACEMENT = {chr(c): r or "" for c, r in _CHAR_MAP.items()}  # no replacement is itself mapped


def normalize_chars(s: str) -> str:
    """NFC, unusual characters mapped to plain ones, soft hyphens and zero-widths removed."""
    if s.isascii() and s.isprintable():
        return s  # fast path (same result): printable ASCII is NFC and holds no mapped character
    s = unicodedata.normalize("NFC", s)
    # s.translate(_CHAR_MAP), faster (str.translate with a dict is slow on long texts): each
    # mapped character present replaced in turn
    for ch in set(_MAPPED_CHARS.findall(s)):
        s = s.replace(ch, _CHAR_REPLACEMENT[ch])
    return s


def collapse_spaces(s: str) -> str:
    if "  " not in s:
        return s.strip()  # fast path (same result): nothing for _SPACES to collapse
    return _SPACES.sub(" ", s).strip()


# (``*``, ``**``, ``***``, ``_`` or ``__`` as \*\*?\*?|__? rather than \*{1,3}|_{1,2}: the same matches, and
# a pattern whose every branch opens with a literal character is searched for much faster)
_EMPHASIS = re.compile(r"(\*\*?\*?|__?)(?=\S)(.+?)(?<=\S)\1")


def emphasis_text(m: re.Match) -> str:
    """The words inside an emphasis match (as the template ``\\2``, without expanding a template
    for every match)."""
    return m.group(2)


def strip_markdown(s: str) -> str:
    """Remove Markdown emphasis (``*x*``, ``**x**``, ``_x_``) keeping the words.

    A lone ``*`` glued to a word (a footnote mark) is left alone unless it pairs up."""
    if "*" not in s and "_" not in s:
        return s  # fast path (same result): _EMPHASIS needs one of them
    prev = None
    while prev != s:
        prev, s = s, _EMPHASIS.sub(emphasis_text, s)
    return s


def clean(s: str) -> str:
    """The standard cleaning of a piece of text: normalise characters, collapse spaces."""
    return collapse_spaces(normalize_chars(s))


_WORD = re.compile(r"\w+(?:[-'’]\w+)*")  # a word, as n_words counts them
_WORD_RUN = re.compile(r"\w+")


# ASCII text as flags: a word character (\w) → "w", any other → " "
_WORD_FLAGS = bytes(0x77 if chr(c).isalnum() or c == 0x5F else 0x20 for c in range(128)) + b" " * 128


def n_words(s: str) -> int:
    """``len(_WORD.findall(s))``, faster: the runs of word characters, less one for each joiner
    (``-``, ``'``, ``’``) standing between two word characters (\\w: alphanumeric or ``_``).
    The runs of an ASCII text are counted on its bytes, as word/other flags."""
    if s.isascii():
        flags = s.encode("ascii").translate(_WORD_FLAGS)
        n = flags.count(b" w") + flags.startswith(b"w")
    else:
        n = len(_WORD_RUN.findall(s))
    last = len(s) - 1
    for joiner in "-'’":
        i = s.find(joiner)
        while i >= 0:
            if 0 < i < last:
                a, b = s[i - 1], s[i + 1]
                if (a.isalnum() or a == "_") and (b.isalnum() or b == "_"):
                    n -= 1
            i = s.find(joiner, i + 1)
    return n


# --- vocabulary and broken words ---------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:-[A-Za-zÀ-ÖØ-öø-ÿ]+)*")
# _TOKEN's letters are all Latin-1: a byte table that keeps them, "-" and newlines and blanks the rest
_TOKEN_BYTES = bytes(c if c in (0x0A, 0x2D) or _TOKEN.fullmatch(chr(c)) else 0x20 for c in range(256))
# ... and lower-cases them on the way (each Latin-1 capital lower-cases to one Latin-1 letter)
_LOWER_TOKEN_BYTES = _TOKEN_BYTES.translate(bytes(range(256)).decode("latin-1").lower().encode("latin-1"))


def _letters_only(s: str) -> str:
    """``s`` lower-cased with every character but _TOKEN's letters, ``-`` and newlines
    replaced by a space (each letter lower-cases to one letter)."""
    return s.encode("latin-1", "replace").translate(_LOWER_TOKEN_BYTES).decode("latin-1")


def _split_tokens(flat: str) -> list[str]:
    """The _TOKEN matches of a ``_letters_only`` text (letters, ``-``, spaces and newlines): its
    blank-separated chunks once every hyphen not standing between two letters is blanked."""
    if "-" in flat:
        cuts = []
        last = len(flat) - 1
        i = flat.find("-")
        while i >= 0:
            if i == 0 or i == last or flat[i - 1] in " \n-" or flat[i + 1] in " \n-":
                cuts.append(i)
            i = flat.find("-", i + 1)
        if cuts:
            pieces, pos = [], 0
            for i in cuts:
                pieces.append(flat[pos:i])
                pos = i + 1
            pieces.append(flat[pos:])
            flat = " ".join(pieces)
    return flat.split()


def lower_words(s: str) -> list[str]:
    """``[w.lower() for w in _TOKEN.findall(s)]``, without the regular expression (faster)."""
    return _split_tokens(_letters_only(s))


class Vocabulary:
    """Word counts of a text, used to decide how to re-join a word broken across lines.

    Only words standing whole inside a line are counted (a fragment at a line end is not
    evidence). Lookups are case-insensitive."""

    def __init__(self, counts: Counter):
        self.counts = counts

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        words: list[str] = []
        # (normalising the whole text is normalising each line: no character maps to or
        # from a newline, and NFC never combines across one)
        for line in _letters_only(normalize_chars(text)).split("\n"):
            toks = _split_tokens(line)  # the line's _TOKEN matches, lower-cased
            # drop the last token (may be the first half of a broken word) and the first
            # (may be the second half)
            if len(toks) > 2:
                words.extend(toks[1:-1])
        return cls(Counter(words))

    def count(self, word: str) -> int:
        return self.counts.get(word.lower(), 0)

    def __contains__(self, word: str) -> bool:
        return self.count(word) > 0

    def _sorted(self) -> tuple[list[str], list[str]]:
        cache = self.__dict__.get("_sorted_cache")
        if cache is None or cache[0] != len(self.counts):
            keys = [k for k, c in self.counts.items() if c > 0]
            cache = (len(self.counts), sorted(keys), sorted(k[::-1] for k in keys))
            self.__dict__["_sorted_cache"] = cache
        return cache[1], cache[2]

    def has_prefix(self, prefix: str) -> bool:
        """Some known word starts with ``prefix`` (case-insensitive)."""
        keys = self._sorted()[0]
        p = prefix.lower()
        i = bisect.bisect_left(keys, p)
        return i < len(keys) and keys[i].startswith(p)

    def ends_longer_word(self, suffix: str) -> bool:
        """Some known word is longer than ``suffix`` and ends with it (``ness`` in
        ``business``): evidence that ``suffix`` can be the second half of a broken word."""
        rev = self._sorted()[1]
        r = suffix.lower()[::-1]
        i = bisect.bisect_left(rev, r)
        while i < len(rev) and rev[i].startswith(r):
            if len(rev[i]) > len(r):
                return True
            i += 1
        return False

    def is_word(self, word: str) -> bool:
        """``word`` stands as a word of its own in the text: known, or known without a plain
        inflection (``quarters`` → ``quarter``, ``ranking`` → ``rank``/``ranks``). Single letters other
        than ``a``/``I``/``o`` are no words."""
        w = word.lower()
        if len(w) == 1:
            return w in {"a", "i", "o"}
        if self.count(w) > 0:
            return True
        for suf in ("s", "es", "ed", "ing", "ly"):
            stem = w[: -len(suf)]
            if w.endswith(suf) and len(stem) >= 3:
                # the stem known, or (4+ letters) known with another ending: "rank" in "ranks"
                if self.count(stem) > 0 or (len(stem) >= 4 and self.has_prefix(stem)):
                    return True
        return False


def join_broken(left: str, right: str, vocab: Vocabulary, hyphen: bool) -> str:
    """Re-join ``left`` (end of a line) and ``right`` (start of the next).

    ``hyphen``: the line ended with a hyphen. Returns the joined text, keeping the hyphen when
    the hyphenated form is a real compound: ``Anglo-French-`` + ``American``; a form the
    vocabulary knows with its hyphen (``counter-revolution``); or, for a printed hyphen, two
    halves that are both words while the solid form is unknown (``one-`` + ``tenth``,
    ``class-`` + ``consciousness``; but ``govern-`` + ``ment`` and ``some-`` + ``thing``
    are solid) — unless general English prefers the solid form (``english_prefers_solid``)."""
    lw = _TOKEN.findall(left[-80:])
    rw = _TOKEN.findall(right[:80])
    if not lw or not rw:
        return left + ("-" if hyphen else "") + right
    a, b = lw[-1], rw[0]
    a_last = a.split("-")[-1]
    solid = (a_last + b).lower()
    hyph = f"{a_last}-{b}".lower()
    if b[0].isupper() and hyphen:
        return left + "-" + right  # Anglo-French-/American, Brest-/Litovsk
    if vocab.count(hyph) > vocab.count(solid):
        return left + "-" + right
    if hyphen and vocab.count(solid) == 0 and vocab.is_word(a_last) and vocab.is_word(b) and len(a_last) > 1:
        # the text cannot tell; general English can: ``every-`` + ``thing`` is solid
        if not english_prefers_solid(a_last, b):
            return left + "-" + right
    return left + right


_BROKEN_IN_LINE = re.compile(r"\b([A-Za-z]+)- ([a-z]+)\b")


def repair_inline_breaks(s: str, vocab: Vocabulary) -> str:
    """``Ag- gression`` (a line-break hyphen left inside a line) → ``Aggression`` when the
    vocabulary knows the solid word; ``pro- and anti-`` stays."""

    def fix(m: re.Match) -> str:
        solid = m.group(1) + m.group(2)
        if vocab.count(solid) > 0 and vocab.count(m.group(1) + "-" + m.group(2)) <= vocab.count(solid):
            return solid
        return m.group(0)

    return _BROKEN_IN_LINE.sub(fix, s)


_ENDS_WORD = re.compile(r"[A-Za-zÀ-ÿ]$")


def _ends_word(s: str) -> bool:
    """``_ENDS_WORD.search(s)`` without scanning ``s``: its last character (the one before a
    final newline, where ``$`` also matches) is a letter of ``[A-Za-zÀ-ÿ]``."""
    c = s[-2:-1] if s.endswith("\n") else s[-1:]
    return "a" <= c <= "z" or "A" <= c <= "Z" or "\u00c0" <= c <= "\u00ff"
_STARTS_WORD = re.compile(r"^[a-zà-ÿ]")


def reflow(pieces: list[str], vocab: Vocabulary | None = None, glue_unspaced: bool = False) -> str:
    """Undo line wrapping: join raw line pieces into one clean string.

    - a line ending in ``-`` followed by a lower-case word start is a broken word
      (see ``join_broken``);
    - with ``glue_unspaced`` (layouts where wrapped lines keep a trailing space, so a line
      ending flush on a letter with the next starting flush on a lower-case letter is a
      word broken by OCR that lost its hyphen: ``es``/``sential``), such pairs are joined
      (``_glue_plausible``); where the next line starts with a space after such a flush
      end, the OCR may have moved the line-end space there (``proletar`` / `` ian``): the
      pair is joined only on the stricter ``_glue_spaced_plausible``;
    - everything else is joined with one space.
    The result is normalised with ``clean``."""
    vocab = vocab or Vocabulary(Counter())
    # each decision looks only at the previous part, so the work stays linear in the length
    parts: list[str] = []
    for i, raw in enumerate(pieces):
        piece = normalize_chars(raw)
        if not parts:
            parts.append(piece)
            continue
        prev_raw = pieces[i - 1]
        left = parts[-1].rstrip()
        right = piece.lstrip()
        if not right:
            continue
        if left.endswith("-") and _HYPHEN_END.search(left[-2:]) and _LETTER_START.match(right):
            parts[-1] = join_broken(left[:-1], right, vocab, hyphen=True)
        elif (
            glue_unspaced
            and _ends_word(prev_raw)
            and not prev_raw.endswith((" ", "\t"))
            and not raw.startswith((" ", "\t"))
            and _STARTS_WORD.match(right)
            and _glue_plausible(left, right, vocab)
        ):
            parts[-1] = join_broken(left, right, vocab, hyphen=False)
        elif (
            glue_unspaced
            and _ends_word(prev_raw)
            and raw[:1] in (" ", "\t")
            and _STARTS_WORD.match(right)
            and _glue_spaced_plausible(left, right, vocab)
        ):
            parts[-1] = join_broken(left, right, vocab, hyphen=False)
        else:
            parts[-1] = left
            parts.append(right)
    return collapse_spaces(" ".join(parts))


_HYPHEN_END = re.compile(r"[A-Za-zÀ-ÿ]-$")
_LETTER_START = re.compile(r"[A-Za-zÀ-ÿ]")


# prefixes that stand before a line break without being words of their own
_PREFIXES = frozenset(
    "anti co counter de dis em en ex extra im in inter mis non over post pre pro re semi sub super trans un under".split()
)


def _halves(left: str, right: str) -> tuple[str, str]:
    return _TOKEN.findall(left[-80:])[-1].split("-")[-1], _TOKEN.findall(right[:80])[0].split("-")[0]


def _glue_plausible(left: str, right: str, vocab: Vocabulary) -> bool:
    """For an unspaced line end: join when the solid (or hyphenated) form is known; else,
    when both halves are words of the text, as general English prefers
    (``english_prefers_solid``: ``over``/``coming`` joined, ``peace``/``treaty`` or
    ``heard``/``so`` not — the space was merely lost); a single letter before a common word
    (``a``/``state``) keeps its space; else join when both halves are fragments, the first is a prefix (``non``/``belligerent``),
    or the vocabulary shows the pieces inside longer words (a word starting like the solid
    form, ``in``/``structs`` ~ ``instructions``; a word ending in the second half,
    ``willing``/``ness`` ~ ``business``). A word followed by a word with no such evidence
    keeps its space (``whereas``/``with``, ``to``/``surround``)."""
    a, b = _halves(left, right)
    solid = a + b
    if solid.lower() in vocab or f"{a}-{b}".lower() in vocab:
        return True
    ca, cb = vocab.count(a), vocab.count(b)
    if ca >= 1 and cb >= 1 and len(a) > 1:
        return english_prefers_solid(a, b)
    if ca >= 2 and cb >= 2:
        return False
    if ca == 0 and cb == 0:
        return True
    if a.lower() in _PREFIXES:
        return True
    return vocab.has_prefix(solid[: len(a) + 2]) or vocab.ends_longer_word(b)


# --- fallback: general English word frequencies (wordfreq), when the text cannot decide ----

# the solid form must be an everyday English word (Zipf 3 = once per million words) ...
ZIPF_SOLID_MIN = 3.0
# ... and more frequent, by this many Zipf units (log10), than the two words side by side would be
ZIPF_MARGIN = 0.5


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency (log10 per billion words; 0 = unknown) of one English word in the
    ``wordfreq`` lists (bundled data, no network). Imported on first use: importing and
    loading the list costs ~0.4 s, paid only by texts that reach this fallback."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en")


def english_prefers_solid(a: str, b: str) -> bool:
    """Two halves that are both words of the text, at a line break, when the text itself never
    shows the solid form whole: is ``a + b`` one English word (``over``/``coming``,
    ``mean``/``while``, ``half``/``way``) rather than two (``heard``/``so``, ``the``/``rules``)?
    The solid form must be an everyday English word and beat, by ``ZIPF_MARGIN``, the
    frequency the pair would have if its words were independent (``zipf(a) + zipf(b) - 9``), so
    ``is``/``a`` (``isa``) or ``of``/``course`` stay apart."""
    zs = zipf(a + b)
    return zs >= ZIPF_SOLID_MIN and zs >= zipf(a) + zipf(b) - 9 + ZIPF_MARGIN


def _glue_spaced_plausible(left: str, right: str, vocab: Vocabulary) -> bool:
    """A line ending flush on a letter and the next starting with a space: normally two
    words (``peaceful`` / `` coexistence``), but the OCR sometimes moved the line-end space
    to the next line's start (``agree`` / `` ment``). Join only when the solid form is known
    and at least one half is no word of its own, or when neither half is a word."""
    a, b = _halves(left, right)
    wa, wb = vocab.count(a) > 0, vocab.count(b) > 0
    if vocab.count(a + b) > 0:
        return not (wa and wb)
    return not wa and not wb


# --- footnote-marker sentinels -----------------------------------------------------------

MARK = "\ue000"  # placed in raw pieces where a marker stood; survives reflow and clean


def take_marks(s: str) -> tuple[str, list[int]]:
    """Remove marker sentinels (and the spaces before them) from clean text.

    Returns the text and, for each sentinel in order, its offset in the returned text."""
    if MARK not in s:
        return s, []
    # each sentinel goes with the whitespace before it (back to the previous sentinel)
    out, offsets, length, pos = [], [], 0, 0
    i = s.find(MARK)
    while i >= 0:
        start = i
        while start > pos and s[start - 1].isspace():  # \s is str.isspace
            start -= 1
        chunk = s[pos:start]
        out.append(chunk)
        length += len(chunk)
        offsets.append(length)
        pos = i + 1
        i = s.find(MARK, pos)
    out.append(s[pos:])
    return "".join(out), offsets
