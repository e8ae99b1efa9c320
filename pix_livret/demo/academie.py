"""A sample académie: one sub-folder per establishment, the current export, every row good (benches, load tests).

Takes a folder and sizes; writes the inbox, the rosters and etablissements.csv; returns its manifest."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pix_livret.demo.class_csv import ExportVersion, write_class_csv
from pix_livret.demo.establishment import pix_order
from pix_livret.demo.people import COMMUNES, INE_LETTERS, Sampler
from pix_livret.demo.roster import ROSTER_FILE_NAME, write_siecle_roster
from schemas.referential import Status

SCHOOLS_FILE_NAME = "etablissements.csv"
ACADEMIE_NUMBERS_OFFSET = 1_000_000
ACADEMIE_VERSION: ExportVersion = "pix-niveau-score"
DEPARTMENTS = ("086", "079", "017", "016")  # the académie de Poitiers
PATRONS = ("Jean Moulin", "Victor Hugo", "Jules Ferry", "Marie Curie", "Jean Jaurès", "Louise Michel",
           "Albert Camus", "Simone Veil", "Pierre de Ronsard", "George Sand", "Jean Zay", "Condorcet",
           "Jacques Prévert", "Paul Éluard", "Camille Claudel", "Aliénor d'Aquitaine", "René Descartes",
           "Olympe de Gouges", "François Rabelais", "Joachim du Bellay", "Lucie Aubrac", "Théodore Monod",
           "Jean Rostand", "Alfred de Vigny", "Romain Rolland", "Germaine Tillion", "Arthur Rimbaud",
           "Henri Matisse", "Françoise Dolto", "Jean Monnet")
# (status, cumulative probability): most students validate, a few fail, a handful did not finish
ACADEMIE_STATUSES = ((Status.VALIDATED, 0.92), (Status.REJECTED, 0.97), (Status.CANCELLED, 0.98),
                     (Status.ERROR, 0.99), (Status.STARTED, 1.0))


@dataclass(frozen=True)
class AcademieManifest:
    """What make_sample_academie wrote: every row is good, so an ingest loads all of them."""

    root: Path
    uais: tuple[str, ...]
    school_names: dict[str, str]  # UAI -> name, as in root/etablissements.csv
    rosters: bool
    files: int  # class CSVs
    rows: int
    rows_loaded: int
    validated: int  # validated certifications: the attestation pages, once matched
    unmatched: int  # certifications no roster lists (all of them without rosters)


def academie_uai(index: int) -> str:
    """A distinct UAI with a valid key letter for each INDEX (0860100P, 0790101…)."""
    digits = f"{DEPARTMENTS[index % len(DEPARTMENTS)]}{100 + index:04d}"
    return digits + INE_LETTERS[int(digits) % 23]  # the UAI key uses the same 23 letters as the INE


def academie_division(index: int) -> str:
    """3A … 3Z, then 3AA, 3AB … as a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return "3" + letters


def college_name(index: int) -> str:
    patron = PATRONS[index % len(PATRONS)]
    town = COMMUNES[(index + index // len(PATRONS)) % len(COMMUNES)][1]  # distinct pairs for 300 schools
    return f"Collège {patron}, {town}"


def make_sample_academie(root: Path, *, establishments: int = 110, classes: int = 30, students_per_class: int = 30,
                         rosters: bool = True, seed: int = 2026, school_year: int = 2025) -> AcademieManifest:
    """Writes an académie inbox: root/{UAI}/ with ElevesSansAdresses.xml (if ROSTERS) and one class CSV per
    division in the current export as Pix writes it, plus root/etablissements.csv (uai;nom).

    Every row is good and, with rosters, matches exactly one student of its establishment's roster (each student
    certifies once). No planted cases (make_sample_establishment has those): 99,000 rows take about 8 s.
    """
    if establishments < 1 or classes < 1 or students_per_class < 1:
        raise ValueError("an académie needs at least one establishment, one class and one student")
    sampler = Sampler(seed, school_year)
    # Pix numbers its certifications once for all establishments: the académie's numbers start above the sample
    # establishment's range, so that both samples can share a database (a shared number is set aside as another
    # establishment's)
    sampler.next_number += ACADEMIE_NUMBERS_OFFSET
    rng, year = sampler.rng, school_year + 1
    uais = tuple(academie_uai(i) for i in range(establishments))
    names = {uai: college_name(i) for i, uai in enumerate(uais)}
    root.mkdir(parents=True, exist_ok=True)
    rows = validated = 0
    for uai in uais:
        folder = root / uai
        folder.mkdir(exist_ok=True)
        sampler.identities.clear()  # names and birth date identify a student within one establishment
        students = []
        for index in range(classes):
            division = academie_division(index)
            session, passed_on = sampler.session(), date(year, 1, 12) + timedelta(days=rng.randrange(118))
            certifications = []
            for _ in range(students_per_class):
                person = sampler.person("3")
                student = sampler.student(person, division)
                status = next(s for s, below in ACADEMIE_STATUSES if rng.random() < below)
                certifications.append(sampler.certification(person, student, status, ACADEMIE_VERSION, session,
                                                            passed_on))
                students.append(student)
            certifications.sort(key=pix_order)
            downloaded = passed_on + timedelta(days=rng.randint(2, 9))
            write_class_csv(folder / f"{downloaded:%Y%m%d}_resultats_{division}.csv", certifications,
                            ACADEMIE_VERSION)
            rows += len(certifications)
            validated += sum(c.status is Status.VALIDATED for c in certifications)
        if rosters:
            write_siecle_roster(folder / ROSTER_FILE_NAME, uai, school_year, students)
    lines = ["uai;nom", *(f"{uai};{name}" for uai, name in names.items())]
    (root / SCHOOLS_FILE_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return AcademieManifest(root, uais, names, rosters, files=establishments * classes, rows=rows, rows_loaded=rows,
                            validated=validated, unmatched=0 if rosters else rows)
