"""Checks of the national identifiers: UAI (establishment), INE (student), SIECLE ELEVE_ID.

Takes text as found in a file; returns booleans or the cleaned identifier (None when unusable).
"""
from __future__ import annotations

import re

UAI_PATTERN = re.compile(r"[0-9]{7}[A-Z]")
INE_PATTERN = re.compile(r"[0-9A-Z]{11}")
ELEVE_ID_PATTERN = re.compile(r"[0-9]+")
# The letters public tools use for the UAI key; I and O are left out, as in the ministry's list.
UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def is_uai(text: object) -> bool:
    """True when text is 7 digits and an upper-case letter (the key is not checked)."""
    return isinstance(text, str) and UAI_PATTERN.fullmatch(text) is not None


def uai_key_is_valid(uai: str) -> bool:
    """True when the UAI's letter is the key of its 7 digits; False for anything not shaped like a UAI."""
    if not is_uai(uai):
        return False
    return UAI_KEY_LETTERS[int(uai[:7]) % 23] == uai[7]


def is_ine(text: object) -> bool:
    """True when text is 11 digits or upper-case letters."""
    return isinstance(text, str) and INE_PATTERN.fullmatch(text) is not None


def clean_identifier(text: object) -> str | None:
    """The identifier stripped and upper-cased; None when missing or blank."""
    if not isinstance(text, str):
        return None
    cleaned = text.strip().upper()
    return cleaned or None


def parse_eleve_id(text: object) -> int | None:
    """The SIECLE ELEVE_ID as a positive integer; None when missing, not an integer or zero."""
    cleaned = clean_identifier(text)
    if cleaned is None or ELEVE_ID_PATTERN.fullmatch(cleaned) is None:
        return None
    value = int(cleaned)
    return value if value >= 1 else None
