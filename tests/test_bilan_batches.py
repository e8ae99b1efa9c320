"""The académie's bilans are read a few establishments at a time: each comes out as it would alone."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.bilans import BATCH, batches, write_establishment_bilan, write_establishment_bilans
from tests.bilan_school import UAI, YEAR, build_school
from tests.db_builders import add_establishment

OTHER, SAME_IDS, EMPTY = "0330001A", "0330002B", "0330003C"
MADE_ON = date(2026, 6, 30)


def test_bilans_read_together_are_those_read_alone(engine, db_url, tmp_path):
    build_school(engine)
    build_school(engine, OTHER, name="Collège Montaigne")
    build_school(engine, SAME_IDS, name=None, first_number=30_000)  # the same ELEVE_IDs as OTHER's: unique in an establishment only
    add_establishment(engine, EMPTY)  # no certification: no bilan, between two that have one
    uais = (UAI, EMPTY, OTHER, SAME_IDS)

    together = write_establishment_bilans(db_url, uais, YEAR, tmp_path / "batched", MADE_ON, pdf=False)
    alone = [write_establishment_bilan(db_url, uai, YEAR, tmp_path / "single", MADE_ON, pdf=False) for uai in uais]

    assert [b is None for b in together] == [False, True, False, False] == [b is None for b in alone]
    for batched, single in zip(together, alone):
        if single is None:
            continue
        assert batched.uai == single.uai and batched.summary == single.summary
        assert batched.headline == single.headline
        page, workbook = batched.paths
        assert Path(page).relative_to(tmp_path / "batched") == Path(single.paths[0]).relative_to(tmp_path / "single")
        assert open(page, "rb").read() == open(single.paths[0], "rb").read()
        sheets = pd.read_excel(workbook, sheet_name=None)
        for name, frame in pd.read_excel(single.paths[1], sheet_name=None).items():
            pd.testing.assert_frame_equal(sheets[name], frame)
    # each establishment's own students, though two share their ELEVE_IDs
    assert together[2].summary["candidates"] == together[3].summary["candidates"] == together[0].summary["candidates"]
    assert "Collège Montaigne" in open(together[2].paths[0], encoding="utf-8").read()
    assert "Collège Montaigne" not in open(together[3].paths[0], encoding="utf-8").read()


def test_batches_take_every_establishment_once_in_order_the_last_ones_alone():
    uais = [f"{n:07d}A" for n in range(110)]
    for workers in (1, 2, 8):
        cut = batches(uais, workers)
        assert [uai for batch in cut for uai in batch] == uais
        assert max(len(batch) for batch in cut) <= BATCH
        assert [len(batch) for batch in cut] == sorted((len(batch) for batch in cut), reverse=True)
        assert len(cut[-1]) == 1
    assert batches(uais[:1], 2) == [(uais[0],)] and batches([], 2) == []
