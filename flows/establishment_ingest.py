"""One establishment of an académie as its own flow run: what the nightly flow does, for one sub-folder.

Started by the nightly run's fan-out (flows/fan_out.py) on the work pool's « etablissements » queue, so that the
académie's night is shared by every worker of the pool, on any machine. Small parameters only: a folder, a UAI,
a school name; never a student.
"""
from __future__ import annotations

from prefect import flow
from prefect.states import State

from flows.nightly_ingest import nightly_ingest


@flow(name="establishment-ingest", log_prints=False)
def establishment_ingest(folder: str, uai: str | None = None, school_name: str | None = None,
                         roster: str | None = None, attestations: bool = True, school_head: str | None = None) -> State:
    """Loads the class CSVs of FOLDER, one establishment, all or nothing; makes its attestations when due;
    records its run (its own row of the run history, and its own artifact).
    """
    # the nightly flow's body in this flow run (no nested run): its tasks, history row, artifact and final state
    return nightly_ingest.fn(inbox=folder, roster=roster, uai=uai, attestations=attestations,
                             school_name=school_name, school_head=school_head)
