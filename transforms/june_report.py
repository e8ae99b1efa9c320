"""An académie's June in one run: what the export or the attestations gave for each of its establishments.

Takes, per UAI, the counts of its run or the French reason it failed; returns the summary table (French headers),
the state message and the artifact. UAIs, counts and reasons only: no student is ever named here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from transforms.labels import said_uais
from transforms.printable import printable

REASON_HEADER = "Motif de l'échec"
# the counts each output's table shows, in its column order: the key of the run's counts, its French header
EXPORT_COLUMNS = (("students", "Élèves"), ("validated", "Validées"), ("not_obtained", "Non obtenues"),
                  ("left_out", "Écartées"))
ATTESTATIONS_COLUMNS = (("pages", "Attestations"), ("divisions_rendered", "Classes"),
                        ("files_written", "Fichiers écrits"), ("divisions_unchanged", "Classes inchangées"))


@dataclass(frozen=True)
class EstablishmentOutcome:
    """One establishment's part: the counts of its run, or why it failed (French, names nobody)."""

    uai: str
    counts: dict[str, int] = field(default_factory=dict)
    reason: str | None = None  # None: done

    def count(self, key: str) -> int:
        """The count KEY of its run; 0 when the run did not count it."""
        return int(self.counts.get(key) or 0)


def outcome_sentence(outcome: EstablishmentOutcome, columns: tuple[tuple[str, str], ...]) -> str:
    """One establishment's line of the run's log: its counts under COLUMNS' French names, or its reason."""
    if outcome.reason is not None:
        return f"{outcome.uai} : échec ({outcome.reason})"
    said = ", ".join(f"{label.lower()} {outcome.count(key)}" for key, label in columns)
    return f"{outcome.uai} : fait ({said})."


@dataclass(frozen=True)
class JuneReport:
    """What « Export LSU » or « Attestations » (TITLE) gave for each establishment of the académie in SCHOOL_YEAR."""

    title: str
    school_year: str
    columns: tuple[tuple[str, str], ...]
    establishments: tuple[EstablishmentOutcome, ...] = ()

    @property
    def failed(self) -> list[str]:
        return [e.uai for e in self.establishments if e.reason is not None]

    def headers(self) -> list[str]:
        return ["UAI", *(label for _, label in self.columns), REASON_HEADER]

    def rows(self) -> list[list[str]]:
        """One row per establishment: its counts, or dashes and its reason."""
        return [[e.uai, *(("—",) * len(self.columns) if e.reason is not None
                          else (str(e.count(key)) for key, _ in self.columns)), e.reason or ""]
                for e in self.establishments]

    def state_message(self) -> str:
        """One French sentence: how many establishments were done, and which failed."""
        total, failed = len(self.establishments), self.failed
        message = f"{self.title} {self.school_year} : {total - len(failed)} établissement(s) sur {total} fait(s)"
        if failed:
            message += f" ; en échec : {said_uais(failed)} (motifs dans le tableau)"
        return message

    def to_markdown(self) -> str:
        lines = [f"# {self.title} {self.school_year} : académie", "", self.state_message(), "",
                 "| " + " | ".join(self.headers()) + " |",
                 "|---|" + "---:|" * len(self.columns) + "---|"]
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in self.rows()]
        return "\n".join(lines) + "\n"

    def asdict(self) -> dict:
        return asdict(self)


def _md(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")
