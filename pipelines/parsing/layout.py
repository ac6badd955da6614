"""Line classification and line-level repairs for OCR'd page layouts.

Pure functions on single raw lines (or a line with its neighbours) that know nothing of any
one source file:

- ``page_number``: a printed page number standing on its own line (``104``), possibly with a
  printer's signature mark (``2—2841 17``, ``2* 19``) or a running title (``22  V. I. LENIN``);
- ``is_ocr_noise``: scanner debris read as stray letters and symbols (``t``, ``■``, ``j L  j L``);
- ``running_heads``: short lines repeated at page tops (book or chapter title);
- ``repair_spacing``: letter-spaced words (``TO A L L``, ``M a r c h  2 7 ,1 9 2 2``) and split
  capitals (``W hat``, ``N ovem ber``) re-joined, using the text's own vocabulary;
- ``strip_debris``: symbol-only tokens at a line's edges (``once. ^``, ``pp. 383-89 |»``).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

from pipelines.parsing.text import Vocabulary, normalize_chars

# --- page numbers ------------------------------------------------------------------------

_PAGE_ONLY = re.compile(r"^\s*(\d{1,4})\s*$")
# a printer's signature mark before the page number: "2—2841 17", "2* 19", "3-1234 33"
_SIGNATURE_PAGE = re.compile(r"^\s*\d{1,2}(?:\s*[—–-]\s*\d{2,6}|\*)\s+(\d{1,4})\s*$")
# a running title beside the page number: "22  V. I. LENIN", "LENIN ON PEACE  23"
_HEAD_PAGE_L = re.compile(r"^\s*(\d{1,4})\s{1,}([A-Z][A-Z .,'’:-]{3,60})\s*$")
_HEAD_PAGE_R = re.compile(r"^\s*([A-Z][A-Z .,'’:-]{3,60}?)\s{1,}(\d{1,4})\s*$")


def page_number(text: str) -> int | None:
    """The printed page number if ``text`` (one raw line) is only a page number, with or
    without a printer's signature mark; else None. Call it only on lines standing alone
    (blank lines around them): a number inside a paragraph is not a page number."""
    t = normalize_chars(text)
    m = _PAGE_ONLY.match(t) or _SIGNATURE_PAGE.match(t)
    if m:
        n = int(m.group(1))
        return n if 0 < n < 2000 else None
    return None


def has_signature_mark(text: str) -> bool:
    """``2—2841 17`` / ``2* 19``: a page number with a printer's signature mark beside it,
    unambiguous even where the line is not set off by blank lines above."""
    return bool(_SIGNATURE_PAGE.match(normalize_chars(text)))


def running_head_page(text: str) -> int | None:
    """``22  V. I. LENIN`` / ``LENIN ON PEACE  23``: a running head carrying the page number
    (all capitals beside a number). Returns the page number, else None."""
    t = normalize_chars(text)
    m = _HEAD_PAGE_L.match(t)
    if m and not m.group(2).strip().isdigit():
        return int(m.group(1))
    m = _HEAD_PAGE_R.match(t)
    if m:
        return int(m.group(2))
    return None


def running_heads(lines: list[str], min_repeats: int | None = None) -> set[str]:
    """Normalised texts of short lines that stand alone and repeat at least ``min_repeats``
    times (running heads: the book or chapter title printed at the top of each page). By
    default a head must come back about once in ten pages (one per 500 lines, at least 3
    times), so a signature that closes a few letters (``Lenin``) is no running head.

    ``lines`` are raw lines; a candidate is a non-blank line with a blank line on at least one
    side, 3-60 characters, with letters, and not ending like a sentence."""
    if min_repeats is None:
        min_repeats = max(3, len(lines) // 500)
    counts: Counter = Counter()
    for i, ln in enumerate(lines):
        before = i == 0 or not lines[i - 1].strip()
        after = i + 1 == len(lines) or not lines[i + 1].strip()
        if before or after:
            key = _head_key(ln)
            if key:
                counts[key] += 1
    return {k for k, c in counts.items() if c >= min_repeats}


_THREE_LETTERS = re.compile(r"[A-Za-z]{3}")
_PAGE_OR_VOL = re.compile(r"^(?:pp?\.|Vol\.)")
_DIGITS = re.compile(r"\d+")
_WHITESPACE = re.compile(r"\s+")


def _head_key(line: str) -> str | None:
    if len(line) > 70:
        return None
    t = normalize_chars(line).strip()
    if not (3 <= len(t) <= 60) or not _THREE_LETTERS.search(t) or t.endswith((".", ",", ";", ":", "?", "!")):
        return None
    if _PAGE_OR_VOL.match(t):
        return None
    key = _DIGITS.sub("", t).strip().lower()
    key = _WHITESPACE.sub(" ", key)
    return key if len(key) >= 3 else None


def is_running_head(line: str, heads: set[str]) -> bool:
    key = _head_key(line)
    return key is not None and key in heads


# --- OCR debris --------------------------------------------------------------------------



_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")


def is_ocr_noise(text: str) -> bool:
    """A line of scanner debris: only symbols, or tokens of at most one letter each with at
    most four letters in all (``t``, ``r``, ``■``, ``^``, ``j L  j L``, ``__ __ T``,
    ``* * g``, ``■ v- . ;• r``). Lines with a digit (``1)``, ``(5)``), a word of two or more
    letters, or the pronoun ``I`` / article ``a`` alone with a sentence are kept."""
    t = text.strip()
    if not t or len(t) > 30:
        return False
    t = normalize_chars(t)
    if _DIGIT.search(t):
        return False
    letters = _LETTER.findall(t)
    if not letters:
        return True  # symbols only
    if len(letters) > 4:
        return False
    for tok in t.split():
        if len(_LETTER.findall(tok)) > 1:
            return False
    return True


_DEBRIS_END = set("■□▪●•^~|»«_¦<>\\")
_EDGE_DEBRIS = re.compile(r"(?:\s+[■□▪●•^~|»«_¦<>\\]+[\W_]*)+\s*$")
_LEAD_DEBRIS = re.compile(r"^\s*(?:[■□▪●•^~|»«¦<>\\]+\s+)+")


def strip_debris(text: str) -> str:
    """Remove symbol-only tokens at the end or start of a line (``once. ^`` → ``once.``,
    ``pp. 383-89 |»`` → ``pp. 383-89``, ``■ Notes`` → ``Notes``)."""
    core = text.strip()
    if not core:
        return text
    if core[-1] in _DEBRIS_END or (len(core) > 1 and core[-2] in _DEBRIS_END):
        text = _EDGE_DEBRIS.sub("", text)
    if core[0] in _DEBRIS_END:
        text = _LEAD_DEBRIS.sub("", text)
    return text


# --- letter spacing and split capitals ---------------------------------------------------



_WIDE_GAP = re.compile(r"\s{2,}")
_DIGIT_SPACE_COMMA = re.compile(r"(?<=\d) +,")
_COMMA_YEAR = re.compile(r"(\d),(1[6-9]\d\d)\b")
_SPACED_INITIAL = re.compile(r"\b([A-Z]) \.(?= [A-Z])")


def repair_spacing(line: str, vocab: Vocabulary) -> str:
    """Re-join words the OCR split into letters or pieces, using the text's vocabulary.

    ``TO A L L  REGIMENTAL`` → ``TO ALL REGIMENTAL``; ``M a r c h  2 7 ,1 9 2 2`` →
    ``March 27, 1922``; ``N ovem ber`` → ``November``; ``W hat`` → ``What``;
    ``R EV O LU TIO N A R Y`` → ``REVOLUTIONARY``. A run of tokens is joined when the joined
    word is known to the vocabulary (or is a run of single letters / digits) and at least one
    piece is not a word by itself, so ``in to`` or ``a part`` stay apart."""
    core = line.strip()
    if "  " in core:
        # wide gaps separate words, single spaces separate letters: join inside each chunk
        out = " ".join(_join_chunk(c, vocab) for c in _WIDE_GAP.split(core))
    else:
        out = _join_chunk(core, vocab)
    lead = line[: len(line) - len(line.lstrip())]
    trail = line[len(line.rstrip()):]
    # (each pattern needs the text tested for first: a cheap test skips most lines)
    if " ," in out:
        out = _DIGIT_SPACE_COMMA.sub(",", out)  # "27 ,1922" → "27,1922"
    if ",1" in out:
        out = _COMMA_YEAR.sub(r"\1, \2", out)  # "14,1918" → "14, 1918"
    if " ." in out:
        out = _SPACED_INITIAL.sub(r"\1.", out)  # "V . Ulyanov" → "V. Ulyanov"
    return lead + out + trail


def _piece_count(piece: str, vocab: Vocabulary) -> int:
    """How often a piece stands as a word; single letters other than a/i/o count as none."""
    if len(piece) == 1 and piece.lower() not in {"a", "i", "o"}:
        return 0
    return vocab.count(piece)


def _is_word(piece: str, vocab: Vocabulary) -> bool:
    p = piece.lower()
    if len(p) == 1:
        return p in {"a", "i", "o"}
    if len(p) <= 2:  # short pieces: OCR fragments ("ll", "EV") recur; real words are frequent
        return vocab.count(p) >= 10
    return vocab.count(p) >= 3


_CORE = re.compile(r"^([^\w]*)(.*?)([^\w]*)$")


class _Tokens:
    """Per vocabulary: each token's (leading punctuation, core, trailing punctuation), and the
    tokens that are fragments (a rare short piece, not a common word, or a single digit)."""

    def __init__(self):
        self.cores: dict[str, tuple[str, str, str]] = {}
        self.frags: set[str] = set()

    def add(self, t: str, vocab: Vocabulary) -> None:
        # what _CORE matches, without the regular expression (\w is alnum or "_"; a token
        # holds no newline)
        a, b = 0, len(t)
        while a < b and not (t[a].isalnum() or t[a] == "_"):
            a += 1
        while b > a and not (t[b - 1].isalnum() or t[b - 1] == "_"):
            b -= 1
        parts = (t[:a], t[a:b], t[b:])
        self.cores[t] = parts
        core = parts[1]
        if core and (
            (core.isalpha() and len(core) <= 5 and _piece_count(core, vocab) < 5) or (core.isdigit() and len(core) == 1)
        ):
            self.frags.add(t)


def _tokens(vocab: Vocabulary) -> _Tokens:
    cache = getattr(vocab, "_layout_tokens", None)
    if cache is None:
        cache = vocab._layout_tokens = _Tokens()
    return cache


def _run_length(parts: list[str], test) -> int:
    """How many of the first parts pass ``test``."""
    n = 0
    for p in parts:
        if not test(p):
            break
        n += 1
    return n


def _is_single(p: str) -> bool:
    return len(p) == 1


def _join_at(cores: list[tuple[str, str, str]], i: int, maxk: int, vocab: Vocabulary) -> tuple[int, str] | None:
    """The join starting at token ``i`` of ``k`` tokens (longest first, 2 <= k <= ``maxk``),
    as (k, joined token), or None. Tokens ``i+1 .. i+maxk-1`` carry no leading and tokens
    ``i .. i+maxk-2`` no trailing punctuation (see ``_join_chunk``)."""
    lead, first, _ = cores[i]
    if not first:
        return None
    # a hyphenated first token joins by its last segment: "ALL-RU SSIA"
    prefix = ""
    if "-" in first:
        cut = first.rindex("-") + 1
        prefix, first = first[:cut], first[cut:]
        if not first:
            return None
    parts = [first]
    parts.extend(c[1] for c in cores[i + 1 : i + maxk])
    words = list(accumulate(parts))  # words[k - 1]: the first k parts joined
    # the first k parts are all digits / all letters / all single characters when k <= these
    n_digits = _run_length(parts, str.isdigit)
    n_alpha = _run_length(parts, str.isalpha)
    n_single = _run_length(parts, _is_single)
    counts: list[int] = []  # _piece_count of the first parts, as far as needed

    def first_counts(k: int) -> list[int]:
        while len(counts) < k:
            counts.append(_piece_count(parts[len(counts)], vocab))
        return counts[:k]

    caps_first = len(cores[i][1]) == 1 and cores[i][1].isupper()
    for caps_pass in (False, True) if caps_first else (False,):
        for k in range(maxk, 1, -1):
            if n_digits >= k:
                ok = n_single >= k  # "2 7" → "27", "1 9 2 2" → "1922"
            elif n_alpha < k:
                ok = False
            elif n_single >= k and k >= 3 and not caps_pass:
                ok = True  # "A L L", "M a r c h": spaced letters
            elif caps_pass:
                # "M ETALW ORKERS": capitals split into fragments after a lone letter
                ok = len(parts[0]) == 1 and words[k - 1].isupper() and max(first_counts(k)) < 3
            else:
                word = words[k - 1]
                whole = vocab.count(word.lower())
                # the joined word must be known and commoner than its rarest piece
                # ("W hat", "RU SSIA"; not "in to", "any one")
                ok = whole >= 2 and whole > min(first_counts(k))
                if ok and k == 2 and len(parts[0]) == 1 and parts[0].lower() in {"a", "i"}:
                    # "a part" / "I tell": the one-letter word is real unless the other
                    # half is no word at all
                    ok = not _is_word(parts[1], vocab)
                if ok and not (word.isupper() or word[1:].islower()):
                    ok = False
            if ok:
                return k, lead + prefix + words[k - 1] + cores[i + k - 1][2]
    return None


def _join_chunk(chunk: str, vocab: Vocabulary) -> str:
    toks = chunk.split()
    if len(toks) < 2:
        return chunk
    cache = _tokens(vocab)
    known = cache.cores
    for t in toks:
        if t not in known:
            cache.add(t, vocab)
    if cache.frags.isdisjoint(toks):
        return " ".join(toks)
    # a join can only start at or just before a rare piece (a fragment, not a common word)
    frag = [t in cache.frags for t in toks]
    cores = [known[t] for t in toks]
    out: list[str] = []
    i = 0
    n = len(toks)
    while i < n:
        if not (frag[i] or (i + 1 < n and frag[i + 1])):
            out.append(toks[i])
            i += 1
            continue
        # a join takes at most 12 tokens with no punctuation between them
        maxk = 1
        while maxk < 12 and i + maxk < n and not cores[i + maxk - 1][2] and not cores[i + maxk][0] and cores[i + maxk][1]:
            maxk += 1
        joined = _join_at(cores, i, maxk, vocab) if maxk >= 2 else None
        if joined:
            out.append(joined[1])
            i += joined[0]
        else:
            out.append(toks[i])
            i += 1
    return " ".join(out)


# \b([A-Z]) ([a-z]{2,})\b, written with the capital first and the word boundary before it as a
# look-behind (a pattern opening with a character class is searched for several times faster)
_SPLIT_CAP = re.compile(r"([A-Z])(?<!\w[A-Z]) ([a-z]{2,})\b")


def repair_split_capitals(text: str, vocab: Vocabulary) -> str:
    """``W ilson`` → ``Wilson`` in re-flowed text (a split capital the line-level repair could
    not see because the word was also broken across lines)."""

    def fix(m: re.Match) -> str:
        word = m.group(1) + m.group(2)
        if vocab.count(word) >= 2 and vocab.count(m.group(2)) < vocab.count(word):
            return word
        return m.group(0)

    return _SPLIT_CAP.sub(fix, text)


# --- small OCR repairs -------------------------------------------------------------------

_OCR_FIXES = [
    (re.compile(r"(?<!\w)6i(?=[A-Z])"), "“"),  # an opening quote read as "6i"
    (re.compile(r"\{(?=[A-Z][^{}()]{0,40}\))"), "("),  # "{Applause, laughter.)" → "(Applause, laughter.)"
    (re.compile(r"■\s?(?=\w)|(?<=\w)■"), ""),  # a black square glued to a word is a speck
    (re.compile(r"(?<=\()([A-Z][a-z]+)\}"), r"\1)"),
    (re.compile(r"(?<=[a-z])\*(?=[a-z])"), ""),  # a speck read as "*" inside a word: "Ru*ssia"
]


def repair_ocr(line: str) -> str:
    """A few character confusions that are unambiguous in context: ``6iBetter`` → ``“Better``,
    ``{Applause.)`` → ``(Applause.)``, ``{Lenin)`` → ``(Lenin)``."""
    if "6i" not in line and "{" not in line and "}" not in line and "■" not in line and "*" not in line:
        return line
    for rx, rep in _OCR_FIXES:
        line = rx.sub(rep, line)
    return line


# --- debris inside re-flowed text ----------------------------------------------------------

# characters that, glued to letters, are scanner specks or misread letters, not text
# (one character, then any more: [...]+ written so that the search can skip ahead by the class)
_DEBRIS_RUN = re.compile(r"[\^*&$£%#@«»|~\\■¦][\^*&$£%#@«»|~\\■¦]*")
# never text in a printed book, even standing free ("stronger,^ they")
_FREE_DEBRIS = re.compile(r"(?<![A-Za-zÀ-ÿ])[\^■¦\\]+(?![A-Za-zÀ-ÿ])")
_WORDCH = re.compile(r"[A-Za-zÀ-ÿ]")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD_AT_END = re.compile(r"[A-Za-zÀ-ÿ]+$")
_WORD_AT_START = re.compile(r"^[A-Za-zÀ-ÿ]+")


def _sure_word(w: str, vocab: Vocabulary) -> int:
    """How surely ``w`` is a word: its count if seen twice or more (an inflection of such a
    word counts 1); short tokens need to be common (``th``, ``nd`` are OCR fragments),
    single letters other than ``a``/``I`` none."""
    if not w:
        return 0
    if len(w) == 1:
        return 1000 if w.lower() in {"a", "i"} else 0
    c = vocab.count(w)
    if len(w) == 2:
        return c if c >= 10 else 0
    if c >= 2:
        return c
    # seen once is no proof (the OCR repeats its misreadings); an inflection of a word is
    wl = w.lower()
    for suf in ("s", "es", "ed", "ing", "ly"):
        if wl.endswith(suf) and len(wl) - len(suf) >= 3 and vocab.count(wl[: -len(suf)]) >= 2:
            return 1
    return 0


def _best(candidates: list[list[tuple[str, str]]], vocab: Vocabulary) -> str | None:
    """``candidates``: tiers of (replacement, resulting text); the first tier where some
    replacement makes only words wins, and in it the one with the commonest rarest word."""
    for tier in candidates:
        best, score = None, 0
        for rep, res in tier:
            sc = min(_sure_word(w, vocab) for w in res.split(" "))
            if sc > score:
                best, score = rep, sc
        if best is not None:
            return best
    return None


def _mend(left: str, right: str, vocab: Vocabulary) -> str:
    """What a debris run between ``left`` and ``right`` (the word pieces glued to it, either
    may be empty) stood for: nothing (``civilisation^``), a letter (``m^st`` → ``must``,
    ``o£`` → ``of``, ``$nd`` → ``and``), a space (``our^own``), a letter and a space
    (``th&*emancipation`` → ``the emancipation``), a space and a letter — the first of these
    that leaves only known words; else a space when one piece is a known word, else
    nothing."""
    tiers: list[list[str]] = [[""], list(_LETTERS)]
    if left and right:
        tiers += [[" "], [c + " " for c in _LETTERS] + [" " + c for c in _LETTERS]]
    rep = _best([[(r, left + r + right) for r in tier] for tier in tiers], vocab)
    if rep is None and left and right and (_sure_word(left, vocab) or _sure_word(right, vocab)):
        return " "  # "are**^yithout" → "are yithout": a known word keeps its edge
    return rep or ""


def repair_debris(text: str, vocab: Vocabulary) -> str:
    """Remove scanner debris (``^``, ``*``, ``&``, ``$``, ``«`` ...) from re-flowed text where it
    cannot be text: glued to a letter, the run is mended from the vocabulary (``_mend``); a
    ``*`` after a word and before a capitalised word is a misread full stop (``countries*
    Our`` → ``countries. Our``); ``^``, ``■``, ``¦``, ``\\`` go wherever they stand.
    Free-standing symbols (``A & B``, ``5 %``, ``$5``) and linked footnote markers (already
    replaced by sentinels) are left alone. Also ``{Applause.)`` → ``(Applause.)`` (the brace
    and parenthesis on different lines) and a ``}`` after ``)``."""
    if not _DEBRIS_RUN.search(text) and "{" not in text and "}" not in text:
        return text
    text = re.sub(r"\{(?=[A-Z][^{}()]{0,40}\))", "(", text)
    text = re.sub(r"(?<=\))\}", "", text)
    text = _FREE_DEBRIS.sub("", text)
    text = re.sub(r"(?<=\s)\*+(?=[)\].,;:])", "", text)  # "they *)uld": a speck before punctuation
    out: list[str] = []
    pos = 0
    for m in _DEBRIS_RUN.finditer(text):
        a, e = m.start(), m.end()
        before = text[a - 1] if a else " "
        after = text[e] if e < len(text) else " "
        run = m.group(0)
        glued_l, glued_r = bool(_WORDCH.match(before)), bool(_WORDCH.match(after))
        if not (glued_l or glued_r):
            continue
        if run[0] in "$£" and after.isdigit():
            continue
        out.append(text[pos:a])
        pos = e
        if run == "*" and glued_l and re.match(r" [A-Z][a-z]", text[e : e + 3]):
            out.append(".")
            continue
        left = _WORD_AT_END.search(text[:a]).group(0) if glued_l else ""
        right = _WORD_AT_START.search(text[e:]).group(0) if glued_r else ""
        rep = _mend(left, right, vocab)
        if not rep and not glued_l and not before.isspace() and before not in "(“‘\"[":
            rep = " "  # "colonies,*JVars" → "colonies, JVars"
        out.append(rep)
    out.append(text[pos:])
    return re.sub(r"  +", " ", "".join(out)).strip()


# --- capitals headings ---------------------------------------------------------------------

_DIGIT_AS_LETTER = str.maketrans("0751", "OTSI")
_CAPS_TOKEN = re.compile(r"^[A-Z]+$")


def _segment_caps(letters: str, vocab: Vocabulary) -> list[str] | None:
    """Split a run of capitals into the fewest known words (``THENINTH`` → ``THE NINTH``);
    None when no split into known words exists."""
    n = len(letters)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, min(n, i + 20) + 1):
            w = letters[i:j]
            if (len(w) == 1 and w not in "AI") or _sure_word(w, vocab) == 0:
                continue
            cand = best[i] + [w]
            if best[j] is None or len(cand) < len(best[j]):
                best[j] = cand
    return best[n]


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def repair_caps_heading(text: str, vocab: Vocabulary) -> str:
    """Repairs inside a heading in capitals that only the vocabulary can make:
    - a digit group among capital words read for letters (``DELIVERED 70 THE`` → ``DELIVERED
      TO THE``: ``0``→``O``, ``7``→``T``, ``5``→``S``, ``1``→``I``) when that makes a known word;
    - letter-spaced capitals split at the wrong places (``TO THEN IN TH ALL-RUSSIA`` → ``TO THE
      NINTH ALL-RUSSIA``): a run of capital tokens holding a piece that is no word is split
      afresh into the fewest known words."""
    toks = text.split(" ")
    letters = [t for t in toks if _ASCII_LETTER.search(t)]
    if len(letters) < 2 or sum(t.isupper() for t in letters) < 0.8 * len(letters):
        return text
    for i, t in enumerate(toks):
        if t.isdigit() and 0 < i < len(toks) - 1 and toks[i - 1].isupper() and toks[i + 1].isupper():
            w = t.translate(_DIGIT_AS_LETTER)
            if w.isalpha() and _sure_word(w, vocab) >= 2:
                toks[i] = w
    out: list[str] = []
    i = 0
    while i < len(toks):
        if not _CAPS_TOKEN.match(toks[i]):
            out.append(toks[i])
            i += 1
            continue
        j = i
        while j < len(toks) and _CAPS_TOKEN.match(toks[j]):
            j += 1
        run = toks[i:j]
        bad = [t for t in run if (len(t) == 1 and t not in "AI") or (len(t) > 1 and _sure_word(t, vocab) == 0)]
        seg = _segment_caps("".join(run), vocab) if bad and len(run) > 1 else None
        out.extend(seg if seg else run)
        i = j
    return " ".join(out)


# --- chapter openings --------------------------------------------------------------------

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|seventh|"
    "eighth|ninth|tenth"
)
_CHAPTER_LABEL = re.compile(
    rf"^\s*(CHAPTER|Chapter|PART|Part|BOOK|Book)\s+([IVXLC]{{1,7}}|\d{{1,3}}|(?i:{_NUMBER_WORDS}))"
    r"\s*(?:[.:—–-]\s*(\S.{0,70}?)?)?\s*$"
)


def chapter_label(text: str) -> tuple[str, str, str | None] | None:
    """``CHAPTER III`` / ``Chapter 12.`` / ``PART TWO`` / ``BOOK I: THE WAR`` standing as a
    line of its own: (word, number, title on the same line or None); else None. A number
    after a space only (``CHAPTER III 43``) is a running head with its page, not a label."""
    m = _CHAPTER_LABEL.match(normalize_chars(text))
    if not m:
        return None
    num = m.group(2)
    if re.fullmatch(r"[IVXLC]+", num) and not re.fullmatch(r"M{0,3}(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})", num):
        return None  # not a well-formed Roman numeral ("CIVIL")
    title = m.group(3)
    if title and re.search(r"[a-z]{2,}[.!?]$", title) and len(title.split()) > 8:
        return None  # a sentence running on after the number
    return m.group(1), num, title.strip() if title else None
