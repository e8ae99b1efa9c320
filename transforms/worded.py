"""The errors the code expects: a usage or data error whose message, in French, says what to fix and names nobody.

Takes nothing; gives the base class. Logs show such an error as its message alone (flows/failures.py): a traceback
is for a bug, and an administrator reads it as one.
"""
from __future__ import annotations


class WordedError(Exception):
    """An expected failure told for administrators (French, no personal data): its message is the whole story."""
