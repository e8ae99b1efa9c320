"""Input text made safe to show: a file name, a folder, a cell quoted in a message.

Takes any text; returns it with control characters written visibly (ESC as \\x1b, a newline as \\n, a
bidirectional override as \\u202e), and with rich markup escaped when it goes to a rich console.
"""
from __future__ import annotations

import unicodedata

from rich.markup import escape

# Cc: C0, DEL and C1 controls (ESC sequences recolour or rewrite the terminal); Cf: format characters such as
# bidirectional overrides (they reorder what is shown); Zl/Zp: line breaks; Cs: the lone surrogates with which
# Python stands for the bytes of a file name that are not UTF-8 (printing them raises UnicodeEncodeError)
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's surrogateescape: U+DC80 + byte


def printable(text: object, *, markup: bool = False) -> str:
    """TEXT with every control character written as its escape; MARKUP: rich markup escaped too ("[/b]" as text).

    Backslashes already in TEXT are left as they are (a Windows-style name stays readable): the exact text is
    in the JSON report, this is only what a person sees.
    """
    text = str(text)
    if not text.isprintable():
        text = "".join(_visible(c) if unicodedata.category(c) in _HIDDEN_CATEGORIES else c for c in text)
    return escape(text) if markup else text


def _visible(character: str) -> str:
    code = ord(character)
    if character in _NAMED:
        return _NAMED[character]
    if code in _SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
