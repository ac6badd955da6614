"""Writers' names → the canonical form of ``documents.author``.

The contract's example is ``V. I. Lenin``: initials and surname. Known writers are listed once
here (every layout uses this table); any other name keeps its printed form with the initials
spaced (``E.H. Carr`` → ``E. H. Carr``)."""

from __future__ import annotations

import re

from pipelines.parsing.text import clean

# surname or printed variant (lower case) -> canonical form
KNOWN: dict[str, str] = {
    "lenin": "V. I. Lenin",
    "ulyanov": "V. I. Lenin",
    "ulianov": "V. I. Lenin",
    "oulianoff": "V. I. Lenin",
    "chicherin": "G. V. Chicherin",
    "stalin": "J. V. Stalin",
    "carr": "E. H. Carr",
}
KNOWN_RX = re.compile(r"\b(" + "|".join(KNOWN) + r")\b", re.I)


def known_author(text: str) -> str | None:
    """The canonical name of the first known writer named in ``text``, else None."""
    m = KNOWN_RX.search(text)
    return KNOWN[m.group(1).lower()] if m else None


def canonical_author(name: str) -> str | None:
    """``G.V. Chicherin``, ``Lenin`` → the canonical name where the surname is known, else the
    name as printed with its initials spaced."""
    t = clean(name).strip(" ,.;:")
    if not t:
        return None
    words = re.findall(r"[A-Za-zÀ-ÿ-]+", t)
    if words and words[-1].lower() in KNOWN:
        return KNOWN[words[-1].lower()]
    return re.sub(r"\b([A-Z])\.\s?(?=[A-Z])", r"\1. ", t)
