"""The retention commands: `purge` (school years past) and `forget` (one student), database and files together.

The database changes in one transaction; the files it pointed to (archive copies, attestations) and the exports
of the purged years are deleted after it commits, so that a failure never leaves rows pointing to nothing. A dry
run does the same work in a transaction rolled back, and deletes nothing. Each run is in the run history, with
counts only: never the identifier of the student forgotten.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.history import recorded_run, utc_now
from store.database import connect, upgrade_to_head
from store.retention import Removed, erase_person, find_person, purge_before
from transforms.lsu_xml import left_out_file_name, livret_file_name
from transforms.select_livret import school_year_bounds

DEFAULT_RETENTION_YEARS = 3  # documented in docs/guide-exploitation.md: the current school year and the two before it
_YEAR_IN_NAME = re.compile(r"(?:^|_)(\d{4})-(\d{4})(?:[_.]|$)")


class RetentionError(Exception):
    """A request that cannot be carried out (French message): a malformed year, nobody to forget."""


@dataclass
class RetentionReport:
    removed: Removed
    deleted: list[str] = field(default_factory=list)  # files and folders (paths may name students: console only)
    failed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        """French, counts only."""
        verb = "seraient" if self.dry_run else "ont été"
        counts = self.removed.counts()
        lines = [f"Certifications anonymisées : {counts['certifications_anonymised']}",
                 f"Élèves retirés de la liste : {counts['students_removed']}",
                 f"Lignes en quarantaine supprimées (ou vidées de leur texte, quand leur fichier reste à corriger) : "
                 f"{counts['quarantined_rows_removed']}",
                 f"Attestations retirées : {counts['attestations_removed']}",
                 f"Problèmes ouverts de ces années, clos : {counts['open_problems_closed']}",
                 f"Fichiers et dossiers supprimés (archives, attestations, exports) : {len(self.deleted)}"]
        head = f"Ces données {verb} supprimées{' (simulation : rien n’est modifié)' if self.dry_run else ''} :"
        tail = [f"Fichiers impossibles à supprimer : {len(self.failed)}"] if self.failed else []
        return "\n".join([head, *[f"- {line}" for line in lines], *tail])


def purge(before: str, *, database_url: str, out_dir: Path, dry_run: bool = False) -> RetentionReport:
    """Removes the personal data of the school years before BEFORE ("2024-2025" keeps 2024-2025 and later) from the
    database at DATABASE_URL, and the outputs of those years under OUT_DIR."""
    try:
        first_day = school_year_bounds(before)[0].date()
    except ValueError as error:
        raise RetentionError(str(error)) from None
    with recorded_run("purge", {"before": before, "dry_run": dry_run}, database_url=database_url,
                      worded_errors=(RetentionError,)) as outcome:
        removed = _in_transaction(database_url, lambda connection: purge_before(connection, first_day, utc_now()),
                                  dry_run)
        files = removed.files + _outputs_before(Path(out_dir), int(before[:4]))
        report = _delete(removed, files, dry_run)
        outcome.counts, outcome.message = removed.counts() | {"files_deleted": len(report.deleted)}, report.summary()
    return report


def forget(*, database_url: str, out_dir: Path, ine: str | None = None, eleve_id: int | None = None,
           uai: str | None = None) -> RetentionReport:
    """Removes one student everywhere: roster, certifications (anonymised), quarantined rows, archive copies and
    attestations that hold them, and the livret exports under OUT_DIR that name them (to be made again)."""
    kind = "INE" if ine else "ELEVE_ID"
    with recorded_run("forget", {"identifier": kind, "uai": uai}, database_url=database_url,
                      worded_errors=(RetentionError,)) as outcome:
        def erase(connection):
            student_ids, person = find_person(connection, ine=ine, eleve_id=eleve_id, uai=uai)
            removed = erase_person(connection, student_ids, person, uai, utc_now())
            if not (removed.students or removed.certifications or removed.quarantined_rows):
                raise RetentionError(f"Aucun élève ni aucune certification pour cet {kind} : rien n’est supprimé.")
            return removed, person
        removed, person = _in_transaction(database_url, erase, dry_run=False)
        exports = [p for p in _livret_outputs(Path(out_dir)) if _file_names(p, person)]
        report = _delete(removed, removed.files + exports, dry_run=False)
        outcome.counts, outcome.message = removed.counts() | {"files_deleted": len(report.deleted)}, report.summary()
    return report


class _RolledBack(Exception):
    """Leaves the transaction of a dry run by its error path, so that it is rolled back, carrying the result."""

    def __init__(self, result) -> None:
        super().__init__("dry run")
        self.result = result


def _in_transaction(database_url: str, work, dry_run: bool):
    try:
        with connect(database_url) as connection:
            upgrade_to_head(connection)
            result = work(connection)
            if dry_run:
                raise _RolledBack(result)
            return result
    except _RolledBack as rolled_back:
        return rolled_back.result


def _delete(removed: Removed, paths: list[Path], dry_run: bool) -> RetentionReport:
    report = RetentionReport(removed, dry_run=dry_run)
    for path in dict.fromkeys(paths):
        if not path.exists():
            continue
        if dry_run:
            report.deleted.append(str(path))
            continue
        try:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            report.deleted.append(str(path))
        except OSError:
            report.failed.append(str(path))
    return report


def _outputs_before(out: Path, first_year_kept: int) -> list[Path]:
    """Livret exports (LSU_UAI_2023-2024.xml, its left-out CSV) and attestation folders of the years purged."""
    found = [p for p in _livret_outputs(out) if _year_of(p.name) is not None and _year_of(p.name) < first_year_kept]
    attestations = out / "attestations"
    if attestations.is_dir():
        found += [year for school in attestations.iterdir() if school.is_dir() for year in school.iterdir()
                  if year.is_dir() and _year_of(year.name) is not None and _year_of(year.name) < first_year_kept]
    return sorted(found)


def _livret_outputs(out: Path) -> list[Path]:
    if not out.is_dir():
        return []
    names = {livret_file_name(livret, "*", "*") for livret in ("LSU", "LSL")} \
        | {left_out_file_name(livret, "*", "*") for livret in ("LSU", "LSL")}
    return sorted({p for pattern in names for p in out.rglob(pattern) if p.is_file()})


def _year_of(name: str) -> int | None:
    found = _YEAR_IN_NAME.search(name)
    return int(found[1]) if found and int(found[2]) == int(found[1]) + 1 else None


def _file_names(path: Path, person) -> bool:
    try:
        text = path.read_text("utf-8-sig", errors="replace")
    except OSError:
        return False
    # the XML names a student by id-be="ELEVE_ID" (and names); the left-out CSV has the id-be as a field
    return person.appears_in(text) or any(re.search(rf'id-be="{e}"|(?:^|;){e}(?:;|$)', text, re.MULTILINE)
                                          for e in person.eleve_ids)
