"""Raw bytes → text, or a clear reason to reject the file.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are decoded directly; anything else is
left to ``charset-normalizer`` (a maintained detector: guessing legacy code pages such as
cp1251 or latin-1 by hand is a losing game). Mojibake (UTF-8 read once as cp1252) is repaired
with ``ftfy``.
The decoded text is what every offset in the dataset points into.
"""

from __future__ import annotations

import codecs

PREFERRED = ["cp1252", "latin_1", "cp1251", "koi8_r", "cp1250", "iso8859_15", "mac_roman"]


class Rejected(Exception):
    """The file cannot become text; the message is the ``reject_reason``."""


_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


_CONTROL = [chr(c) for c in range(1, 32) if chr(c) not in "\n\r\t\f"] + ["\ufffd"]  # NUL counted apart


def _looks_binary(text: str) -> bool:
    """Control characters other than line breaks and tabs in more than 1% of the text (or
    NUL bytes in more than 10%: a few stray NULs in real text are tolerated and dropped from
    clean text)."""
    if not text:
        return False
    sample = text[:65536]
    nul = sample.count("\x00")
    bad = sum(map(sample.count, _CONTROL))
    return bad / len(sample) > 0.01 or nul / len(sample) > 0.10


def _fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252/latin-1 and saved again (``â€™`` → ``’``).

    ``ftfy.fix_encoding`` does exactly this and only this, conservatively; the cheap test in
    front keeps it off the clean files."""
    if not any(s in text for s in ("â€", "Ã", "Ð", "Ñ", "Â")):
        return text
    import ftfy  # lazy: only suspicious files need it

    return ftfy.fix_encoding(text)


def decode(data: bytes) -> tuple[str, str]:
    """→ (text, encoding name). Raises ``Rejected`` with a reason a person can act on."""
    if not data.strip():
        raise Rejected("empty file (no text)")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as e:
                raise Rejected(f"damaged {enc} text: {e.reason} at byte {e.start}") from None
            if text.startswith("\ufeff"):
                text = text[1:]
            return _checked(text), enc.replace("-sig", "")
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data) // 4:
        raise Rejected("binary file (many NUL bytes, no byte-order mark)")
    try:
        text = data.decode("utf-8")
        fixed = _fix_mojibake(text)
        return _checked(fixed), "utf-8" if fixed == text else "utf-8 (mojibake repaired)"
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.end == len(data):
            # a UTF-8 file cut off inside its last character: keep everything before it
            text = data[: e.start].decode("utf-8")
            return _checked(text), f"utf-8 (truncated: last {len(data) - e.start} bytes incomplete)"
    from charset_normalizer import from_bytes  # lazy: only non-UTF-8 files need it

    matches = list(from_bytes(data))
    if not matches:
        raise Rejected("binary file or unknown encoding (no character set fits)")
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    # the detector often cannot tell close Western code pages apart on short texts (cp1250 and
    # cp1252 decode "crème" as equally coherent): among equally good candidates prefer the
    # code pages an English-language corpus most likely comes in
    ties = [m for m in matches if m.chaos <= best.chaos and m.coherence >= best.coherence - 0.01]
    best = min(ties, key=lambda m: PREFERRED.index(m.encoding) if m.encoding in PREFERRED else len(PREFERRED))
    return _checked(str(best)), best.encoding.replace("_", "-")


def _checked(text: str) -> str:
    if _looks_binary(text):
        raise Rejected("binary content (control characters in the text)")
    if not text.strip():
        raise Rejected("empty file (only whitespace)")
    return text
