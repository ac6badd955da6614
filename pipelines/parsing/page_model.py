"""A page model for books whose printed page numbers mostly did not survive the OCR, and the
choice of endnote markers that it makes possible.

Anchors are (raw line number, page) pairs: a printed page number at the foot of a page says
its line ends that page; an endnote whose ``p. N`` back-reference is linked to a marker says
the marker's line is on page N. Between anchors the page is interpolated by line count;
beyond the outermost anchors it is extrapolated for at most ``reach`` pages at the typical
number of lines per page, and unknown after that.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    line: int
    page: float  # a foot-of-page number is p + 0.99; a marker on page p is p + 0.5


class PageModel:
    def __init__(self, anchors: list[Anchor], default_lines_per_page: float = 45.0, reach: float = 1.0):
        self.anchors = monotone(sorted(anchors, key=lambda a: (a.line, a.page)))
        self.lines = [a.line for a in self.anchors]
        self.lpp = lines_per_page(self.anchors, default_lines_per_page)
        self.reach = reach

    def page_float(self, line: int) -> float | None:
        a = self.anchors
        if not a:
            return None
        i = bisect.bisect_right(self.lines, line)
        if i == 0:
            est = a[0].page - (a[0].line - line) / self.lpp
            return est if a[0].page - est <= self.reach and est >= 1 else None
        if i == len(a):
            est = a[-1].page + (line - a[-1].line) / self.lpp
            return est if est - a[-1].page <= self.reach else None
        lo, hi = a[i - 1], a[i]
        if hi.line == lo.line:
            return lo.page
        return lo.page + (line - lo.line) * (hi.page - lo.page) / (hi.line - lo.line)

    def page(self, line: int) -> int | None:
        """The printed page a raw line stands on, if the model can tell."""
        p = self.page_float(line)
        return None if p is None else int(p)


def monotone(anchors: list[Anchor]) -> list[Anchor]:
    """The longest run of anchors whose pages never decrease with the line (drops anchors
    that contradict the others, e.g. a misread page number)."""
    n = len(anchors)
    if n <= 1:
        return anchors
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if anchors[j].page <= anchors[i].page and anchors[j].line <= anchors[i].line and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(n), key=lambda k: best[k])
    out = []
    while i >= 0:
        out.append(anchors[i])
        i = prev[i]
    return out[::-1]


def lines_per_page(anchors: list[Anchor], default: float) -> float:
    """Median lines per page between consecutive anchors at least one page apart."""
    rates = []
    for a, b in zip(anchors, anchors[1:]):
        dp = b.page - a.page
        if dp >= 0.9:
            rates.append((b.line - a.line) / dp)
    if not rates:
        return default
    rates.sort()
    return max(10.0, rates[len(rates) // 2])


@dataclass(frozen=True)
class Candidate:
    number: int  # the marker's number
    line: int  # raw line number
    pos: int  # raw character offset (document order)
    key: object = None  # caller's handle


def choose_markers(
    notes: list[tuple[int, int | None]],
    candidates: list[Candidate],
    model: PageModel,
    link_score: float = 10.0,
) -> dict[int, Candidate]:
    """Pick at most one marker per endnote so that markers run in document order.

    ``notes``: (number, back-referenced page or None) in the order printed. Each chosen
    candidate scores ``link_score`` less its distance in pages from the back-reference (as far
    as the page model can estimate it); a dynamic programme over the notes keeps the best
    total with strictly increasing positions. Returns note number → chosen candidate."""
    by_num: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_num.setdefault(c.number, []).append(c)
    # states: (pos, total score, chain) — keep for each chosen candidate its best chain
    chosen_states: list[tuple[int, float, list[tuple[int, Candidate]]]] = []
    for number, page in notes:
        new_states = []
        for c in by_num.get(number, []):
            s = link_score - _page_cost(c, page, model)
            if s <= 0:
                continue
            best_prev: tuple[float, list] = (0.0, [])
            for pos, total, chain in chosen_states:
                if pos < c.pos and total > best_prev[0]:
                    best_prev = (total, chain)
            new_states.append((c.pos, best_prev[0] + s, best_prev[1] + [(number, c)]))
        chosen_states.extend(new_states)
    if not chosen_states:
        return {}
    best = max(chosen_states, key=lambda st: st[1])
    return {n: c for n, c in best[2]}


def _page_cost(c: Candidate, page: int | None, model: PageModel) -> float:
    if page is None:
        return 3.0
    est = model.page_float(c.line)
    if est is None:
        return 3.0
    return min(abs(est - (page + 0.5)), 9.5)


# --- exact pages from printed signals ------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    line: int  # raw line number
    page: int
    where: str  # "head": a running head carrying the number opens the page; "foot": a bare number closes it


def page_length(signals: list[Signal], default: int = 45) -> int:
    """Typical lines per page: the median spacing of consecutive signals of the same kind
    (head to head, foot to foot) 1-3 pages apart; ``default`` when there are none."""
    rates = []
    for a, b in zip(signals, signals[1:]):
        dp = b.page - a.page
        if a.where == b.where and 1 <= dp <= 3 and b.line > a.line:
            rates.append((b.line - a.line) / dp)
    if not rates:
        return default
    rates.sort()
    return max(15, int(rates[len(rates) // 2]))


def page_runs(signals: list[Signal], breaks: list[int], page_len: int) -> dict[int, int]:
    """Lines whose printed page the signals tell exactly (raw line number → page):

    - after a running head carrying page ``n``, the lines down to the next signal or page
      break are on page ``n`` — unless a bare number other than ``n`` comes next with no page
      break between (the page turned somewhere unseen);
    - a page break (a chapter opening starts a new page) opens the page closed by the next
      bare number ``m``, or the page before the next running head ``m``;
    - never further than ``page_len`` lines from the signal or break that sets the page."""
    sigs = sorted(signals, key=lambda s: s.line)
    marks = sorted([(s.line, "sig", s) for s in sigs] + [(c, "break", None) for c in breaks], key=lambda x: (x[0], x[1] == "sig"))
    out: dict[int, int] = {}
    for k, (line, what, sig) in enumerate(marks):
        nxt = marks[k + 1] if k + 1 < len(marks) else None
        stop = nxt[0] if nxt else line + page_len + 1
        if what == "sig":
            if sig.where != "head":
                continue
            if nxt and nxt[1] == "sig" and nxt[2].where == "foot" and nxt[2].page != sig.page:
                continue
            first, page = line + 1, sig.page
        else:
            if not nxt or nxt[1] != "sig" or nxt[0] - line > page_len:
                continue
            first, page = line, nxt[2].page - (1 if nxt[2].where == "head" else 0)
        for ln in range(first, min(stop, line + page_len + 1)):
            out[ln] = page
    return out
