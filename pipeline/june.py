"""An académie's June in one run: a use case (export, attestations) done for each establishment in turn, in this
process, one that fails named with its reason while the others are done.

Takes the UAIs and the work to do for one; gives each one's outcome (counts, or a French reason; no names).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.history import failure_reason
from transforms.june_report import EstablishmentOutcome


def each_establishment(uais: Sequence[str], work: Callable[[str], object],
                       worded_errors: tuple[type[BaseException], ...],
                       on_done: Callable[[EstablishmentOutcome], None] = lambda outcome: None,
                       ) -> tuple[EstablishmentOutcome, ...]:
    """WORK(uai) for each of UAIS, in order: the counts() of the report it returns, or the reason it failed (the run
    history's: an error's French message, only the type of one that may quote data); ON_DONE(outcome) after each."""
    outcomes = []
    for uai in uais:
        try:
            outcome = EstablishmentOutcome(uai, work(uai).counts())
        except Exception as error:  # an establishment's failure is its own: the others are still done
            outcome = EstablishmentOutcome(uai, reason=failure_reason(error, worded_errors))
        on_done(outcome)
        outcomes.append(outcome)
    return tuple(outcomes)
