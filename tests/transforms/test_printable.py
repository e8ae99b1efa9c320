"""Input text shown safely: controls written as escapes, rich markup as text; ordinary French text unchanged."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from transforms.printable import printable


@pytest.mark.parametrize("text, shown", [
    ("20260320_resultats_3èmeA.csv", "20260320_resultats_3èmeA.csv"),
    ("a\x1b[31mb", "a\\x1b[31mb"),
    ("ligne\nsuivante\r\t", "ligne\\nsuivante\\r\\t"),
    ("bip\x07 del\x7f c1\x9b", "bip\\x07 del\\x7f c1\\x9b"),
    ("abc\u202etxt.exe", "abc\\u202etxt.exe"),  # a right-to-left override would show "exe.txt"
    ("caf\udce9.csv", "caf\\xe9.csv"),  # a name that is not UTF-8: the byte, not a crash
    ("..\\..\\x.csv", "..\\..\\x.csv"),
])
def test_controls_are_written_as_escapes_and_the_rest_is_left_alone(text, shown):
    assert printable(text) == shown


def test_markup_is_escaped_for_a_rich_console_and_printed_as_written():
    console = Console(file=io.StringIO(), width=200, color_system=None)

    console.print(printable("[/b] [red]x\x1b[0m", markup=True))

    assert console.file.getvalue() == "[/b] [red]x\\x1b[0m\n"
