"""Property: a real export mangled any way (encoding, separator, column order, cut, injected bytes, line ends) is
read without crashing, every row it does not load is accounted for by a problem, and no problem quotes a name."""
from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pix_livret.demo.sample_data import make_sample_academie
from schemas.certification import PERSONAL_COLUMNS
from transforms.check_files import InputFile, check_files

NAME = "20260301_resultats_3A.csv"
RUN_DAY = date(2026, 6, 30)
PERSONAL_LABELS = {"Prénom", "Nom", "Date de naissance", "Lieu de naissance", "Identifiant Externe"}
assert len(PERSONAL_LABELS) == len(PERSONAL_COLUMNS)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[str, list[str]]:
    """A real export's text and the names it holds (four letters or more: shorter ones occur in any word)."""
    root = tmp_path_factory.mktemp("property")
    academie = make_sample_academie(root / "inbox", establishments=1, classes=1, students_per_class=8, seed=3)
    path = next((root / "inbox" / academie.uais[0]).glob("*.csv"))
    text = path.read_text("utf-8-sig")
    names = {cell.strip('"') for line in text.splitlines()[1:] for cell in line.split(";")[1:3]}
    names = sorted(name for name in names if len(name) >= 4)
    assert len(names) >= 8
    return text, names


mangling = st.fixed_dictionaries({
    "encoding": st.sampled_from(["utf-8-sig", "utf-8", "cp1252", "utf-16", "utf-16-le", "latin-1"]),
    "separator": st.sampled_from([";", ",", "\t"]),
    "line_end": st.sampled_from(["\n", "\r\n", "\r"]),
    "permutation_seed": st.none() | st.integers(0, 10_000),
    "cut": st.none() | st.floats(0.0, 1.0),
    "injected": st.lists(st.tuples(st.floats(0.0, 1.0), st.binary(min_size=1, max_size=4)), max_size=3),
})


def mangle(text: str, how: dict) -> bytes:
    lines = [line.split(";") for line in text.splitlines()]
    if how["permutation_seed"] is not None:  # a spreadsheet user moved columns around
        order = list(range(len(lines[0])))
        random.Random(how["permutation_seed"]).shuffle(order)
        lines = [[cells[i] for i in order if i < len(cells)] for cells in lines]
    content = how["line_end"].join(how["separator"].join(cells) for cells in lines)
    data = content.encode(how["encoding"], errors="replace")
    if how["cut"] is not None:
        data = data[:int(len(data) * how["cut"])]
    for where, injected in how["injected"]:
        at = int(len(data) * where)
        data = data[:at] + injected + data[at:]
    return data


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=mangling)
def test_a_mangled_export_is_read_and_accounted_for_without_quoting_a_name(export, how):
    text, names = export
    content = mangle(text, how)

    [checked] = check_files([InputFile("0860100S", NAME, content)], {"0860100S": None}, received_on=RUN_DAY).files

    assert checked.rows_good <= checked.rows_read
    if checked.rows_good < checked.rows_read or not checked.readable:
        assert checked.problems, "rows set aside without a reason"
    problem_rows = {p["row"] for p in checked.problems if p["row"] is not None}
    whole_file = any(p["row"] is None for p in checked.problems)
    assert whole_file or len(problem_rows) >= checked.rows_quarantined
    assert checked.status == ("quarantined" if checked.rows_good == 0 and checked.problems or not checked.readable
                              else "partial" if checked.problems else "loaded")
    for problem in checked.problems + checked.notices:
        if problem["column"] in PERSONAL_LABELS:
            assert problem["value"] is None, problem
        quoted = f"{problem['message']} {problem['value'] or ''}"
        assert not [name for name in names if name in quoted], problem
