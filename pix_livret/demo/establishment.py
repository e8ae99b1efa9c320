"""The sample collège of the demo: its SIECLE roster, one class CSV per division in every header version, a
catch-up session, foreign files, and planted problems (bad rows, ambiguous and unmatched students).

Takes a folder and a seed; writes an inbox and ElevesSansAdresses.xml; returns the manifest of what to expect."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pix_livret.demo.class_csv import (AS_PIX_WRITES_IT, CsvStyle, EXCEL_RESAVED, ExportVersion, LIBREOFFICE_RESAVED,
                                       SampleFile, format_record, impossible_date, render_class_csv, status_wording)
from pix_livret.demo.other_files import campaign_csv_text, xlsx_bytes
from pix_livret.demo.people import APOSTROPHE_NAMES, COMMUNES, LAST_NAMES, Person, Sampler, fold
from pix_livret.demo.records import SampleCertification, SampleStudent
from pix_livret.demo.roster import DEFAULT_UAI, ROSTER_FILE_NAME, write_siecle_roster
from schemas.referential import Status

MINIMUM_CLASS_SIZE = 16  # class 3A carries seven featured students and eight roles on top of them


@dataclass(frozen=True)
class SampleManifest:
    root: Path
    inbox: Path
    roster_path: Path
    uai: str
    school_year: int
    students: tuple[SampleStudent, ...]
    certifications: tuple[SampleCertification, ...]  # every good row written, once
    files: tuple[SampleFile, ...]
    expected: dict[str, int]
    # (file, row as a person counts it with header = 1, or None for the whole file, what is wrong):
    # planted holds what must be quarantined, exactly; notices what loads but must be reported.
    planted: list[tuple[str, int | None, str]]
    notices: list[tuple[str, int | None, str]]


@dataclass(frozen=True)
class _ClassPlan:
    version: ExportVersion
    style: CsvStyle
    session_on: tuple[int, int]  # (month, day) of the class session, in the second calendar year
    mangling: str


# Class i takes CLASS_PLANS[i % 4]; the session export (the fifth version) is the catch-up session's.
CLASS_PLANS = (
    _ClassPlan("pix-niveau-score", AS_PIX_WRITES_IT, (4, 23), "as Pix Orga writes it"),
    _ClassPlan("pix-resultat", EXCEL_RESAVED, (3, 24), "re-saved by Excel: cp1252, CRLF, no quotes, D/M/YYYY, "
               "empty trailing columns, plain apostrophe"),
    _ClassPlan("pix-nombre-de-pix", LIBREOFFICE_RESAVED, (2, 10), "re-saved by LibreOffice: UTF-8 without BOM, "
               "',' separator, ISO dates, trailing blank lines"),
    _ClassPlan("pix-2018", AS_PIX_WRITES_IT, (1, 20), "oldest export, without Statut"),
)
CATCH_UP_PLAN = _ClassPlan("pix-session", AS_PIX_WRITES_IT, (5, 26), "Pix Certif session export")


@dataclass
class _FileDraft:
    """A certification file being planned: good rows, planted rows, and the notices some good rows raise."""

    name: str
    kind: Literal["class", "session"]
    division: str | None
    plan: _ClassPlan
    good: list[SampleCertification] = field(default_factory=list)
    to_spoil: list[tuple[str, SampleCertification]] = field(default_factory=list)  # (role, certification)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (raw record, what is wrong)
    notices: dict[int, str] = field(default_factory=dict)  # certification number -> what is special


def make_sample_establishment(root: Path, *, seed: int = 2026, uai: str = DEFAULT_UAI, school_year: int = 2025,
                              classes: int = 4, students_per_class: int = 25) -> SampleManifest:
    """Writes root/inbox (class CSVs, a catch-up session export, an .xlsx renamed .csv, a campaign export)
    and root/ElevesSansAdresses.xml; returns what was written and what an ingest should report.
    """
    if classes < 1 or students_per_class < MINIMUM_CLASS_SIZE:
        raise ValueError(f"a sample needs at least 1 class of {MINIMUM_CLASS_SIZE} students")
    sampler = Sampler(seed, school_year)
    year = school_year + 1
    divisions = [_division_name(i) for i in range(classes)]
    people = {division: [sampler.person("3") for _ in range(students_per_class)] for division in divisions}
    featured = _feature_students(sampler, people, divisions)
    roster_people: dict[str, list[Person]] = {
        **people, "3D": [sampler.person("3") for _ in range(students_per_class)],
        **{division: [sampler.person("4") for _ in range(students_per_class)] for division in ("4A", "4B")}}
    students = _enrol(sampler, roster_people, featured, year)
    student_of = {id(person): student for division in roster_people
                  for person, student in zip(roster_people[division], students[division])}

    drafts, catch_up = _draft_class_files(sampler, divisions, people, featured, student_of, year)
    _plant_problems(sampler, drafts)
    drafts.append(catch_up)

    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    files, planted, notices = [], [], []
    for draft in drafts:
        sample_file, file_planted, file_notices = _write_draft(inbox, draft)
        files.append(sample_file)
        planted += file_planted
        notices += file_notices
    files += _write_foreign_files(inbox, students["3A"], year, school_year)
    planted += [(f.name, None, _FOREIGN_PROBLEMS[f.kind]) for f in files if f.quarantined_whole]

    roster_students = tuple(s for division in roster_people for s in students[division])
    roster_path = root / ROSTER_FILE_NAME
    write_siecle_roster(roster_path, uai, school_year, list(roster_students))
    certifications = tuple(cert for draft in drafts for cert in draft.good)
    expected = _expected(files, drafts, roster_students, featured["ambiguous"])
    notices.append((ROSTER_FILE_NAME, None, f"{expected['absents']} students of the certified divisions have no "
                                            "loaded certification (absents; the student who left is not one)"))
    return SampleManifest(root, inbox, roster_path, uai, school_year, roster_students, certifications,
                          tuple(files), expected, planted, notices)


def _division_name(index: int) -> str:
    # 3D is the class whose file comes as a workbook; one class is spelled the long way, accent included
    letter = "ABCEFGHIJKLMNOPQRSTUVWXYZ"[index]
    return f"3ème{letter}" if index == 2 else f"3{letter}"


def _feature_students(sampler: Sampler, people: dict[str, list[Person]],
                      divisions: list[str]) -> dict[str, list[Person]]:
    """Replaces the first students of 3A (and one of the next class) by the cases the matching must handle."""
    first_class = people[divisions[0]]
    family, married = sampler.rng.sample(LAST_NAMES, 2)
    usage = sampler.person("3", sex="2", last=family, usage=married)
    apostrophe = sampler.person("3", last=sampler.rng.choice(APOSTROPHE_NAMES))
    hyphen = sampler.person("3", first="Jean-Baptiste", sex="1")
    # Pix holds both first names where SIECLE has them in PRENOM and PRENOM2
    two_first_names = sampler.person("3", first="Marie", second="Louise", sex="2")
    no_ine = sampler.person("3")
    ambiguous = sampler.person("3", first="Léa", last="Martin", sex="2")
    left = sampler.person("3")
    first_class[:7] = [usage, apostrophe, hyphen, two_first_names, no_ine, ambiguous, left]
    # the same names and birth date, another student: an unlucky coincidence the matcher must not resolve
    twin = replace(ambiguous, commune=sampler.rng.choice(COMMUNES)[0], keep_accents=not ambiguous.keep_accents)
    people[divisions[1] if len(divisions) > 1 else divisions[0]][-1] = twin
    return {"matched": [usage, apostrophe, hyphen, two_first_names, no_ine], "ambiguous": [ambiguous, twin],
            "left": [left], "two_first_names": [two_first_names], "no_ine": [no_ine]}


def _enrol(sampler: Sampler, roster_people: dict[str, list[Person]], featured: dict[str, list[Person]],
           year: int) -> dict[str, list[SampleStudent]]:
    left_on = date(year, 2, 13)
    no_ine, left = {id(p) for p in featured["no_ine"]}, {id(p) for p in featured["left"]}
    return {division: [sampler.student(person, division, ine=id(person) not in no_ine,
                                       left_on=left_on if id(person) in left else None) for person in persons]
            for division, persons in roster_people.items()}


def _draft_class_files(sampler: Sampler, divisions: list[str], people: dict[str, list[Person]],
                       featured: dict[str, list[Person]], student_of: dict[int, SampleStudent],
                       year: int) -> tuple[list[_FileDraft], _FileDraft]:
    """One draft per class and the catch-up session's; roles decide who certifies where, with what status."""
    rng = sampler.rng
    catch_up_on = date(year, *CATCH_UP_PLAN.session_on)
    catch_up = _FileDraft("", "session", None, CATCH_UP_PLAN)
    catch_up_session = sampler.session()
    fixed = {id(p) for group in ("matched", "ambiguous", "left") for p in featured[group]}
    uncertified = {id(p) for p in featured["left"]} | {id(featured["ambiguous"][1])}
    two_first_names = {id(p) for p in featured["two_first_names"]}
    drafts = []
    for index, division in enumerate(divisions):
        plan = CLASS_PLANS[index % len(CLASS_PLANS)]
        session_on = date(year, *plan.session_on) + timedelta(days=index // len(CLASS_PLANS))
        session = sampler.session()
        draft = _FileDraft("", "class", division, plan)
        persons = [p for p in people[division] if id(p) not in fixed]
        roles = _roles(rng, persons, index, plan.version)
        for person in people[division]:
            role = roles.get(id(person), "validated")
            if id(person) in uncertified or role == "absent":
                continue
            student = student_of[id(person)]
            pix_first = f"{person.first} {person.second}" if id(person) in two_first_names else None
            external = student.ine if plan.version == "pix-nombre-de-pix" and student.ine else None
            if role == "catch-up":
                catch_up.good.append(sampler.certification(person, student, Status.VALIDATED, "pix-session",
                                                           catch_up_session, catch_up_on))
                continue
            status = Status(role) if role in {s.value for s in Status} else Status.VALIDATED
            cert = sampler.certification(person, student, status, plan.version, session, session_on,
                                         pix_first=pix_first, external_id=external)
            if role.startswith("bad-"):
                draft.to_spoil.append((role, cert))
                continue
            draft.good.append(cert)
            if id(person) == id(featured["ambiguous"][0]):
                draft.notices[cert.number] = "fits two roster students (same names and birth date): loads, ambiguous"
            if status is Status.CANCELLED:
                # retaken at the catch-up session, and validated there
                catch_up.good.append(sampler.certification(person, student, Status.VALIDATED, "pix-session",
                                                           catch_up_session, catch_up_on))
        if index == min(1, len(divisions) - 1):
            newcomer = sampler.person("3")  # arrived after the roster export: Pix knows them, SIECLE's file does not
            cert = sampler.certification(newcomer, None, Status.VALIDATED, plan.version, session, session_on)
            draft.good.append(cert)
            draft.notices[cert.number] = "is of a student the roster does not list: loads, unmatched"
        draft.good.sort(key=pix_order)
        last_session = max(c.passed_on for c in draft.good)
        download = last_session + timedelta(days=rng.randint(2, 9))
        draft.name = f"{download:%Y%m%d}_resultats_{division}.csv"
        drafts.append(draft)
    catch_up.good.sort(key=pix_order)
    catch_up.name = f"{catch_up_on + timedelta(days=3):%Y%m%d}_resultats_session_{catch_up_session}.csv"
    return drafts, catch_up


def pix_order(cert: SampleCertification) -> tuple[str, str, int]:
    return fold(cert.last_name), fold(cert.first_name), cert.number


def _roles(rng: random.Random, persons: list[Person], index: int, version: ExportVersion) -> dict[int, str]:
    """id(person) -> role for the ordinary students of class INDEX; the others are validated."""
    roles = ["absent", "absent"]
    if index < 3:
        roles.append("catch-up")
    roles += {0: ["bad-status", "bad-birth-date"], 1: ["bad-level"], 2: ["bad-score"]}.get(index, [])
    if version != "pix-2018":  # without a Statut column only a score tells validated from rejected
        roles += {0: [Status.CANCELLED.value], 1: [Status.ERROR.value], 2: [Status.STARTED.value]}.get(index, [])
    roles += [Status.REJECTED.value] * rng.randint(1, 2)
    chosen = rng.sample(persons, len(roles))
    return {id(person): role for person, role in zip(chosen, roles)}


def _plant_problems(sampler: Sampler, drafts: list[_FileDraft]) -> None:
    """Turns the drafted bad certifications into bad records, and repeats a row (a copy-paste)."""
    for draft in drafts:
        style, version = draft.plan.style, draft.plan.version
        for role, cert in draft.to_spoil:
            if role == "bad-status":
                overrides, wrong = {"Statut": "Bof"}, 'status "Bof" is no Pix status'
            elif role == "bad-birth-date":
                text = impossible_date(style.date_style)
                overrides, wrong = {"Date de naissance": text}, f'birth date "{text}" does not exist'
            elif role == "bad-level":
                cert = replace(cert, levels=cert.levels | {"2.3": 9})
                overrides, wrong = {}, 'competence 2.3 at level "9" (0 to 8)'
            else:
                _, _, levels = sampler.result(Status.REJECTED, version)
                cert = replace(cert, status=Status.REJECTED, score=212, global_level=None, levels=levels)
                wording = status_wording(Status.REJECTED, version)
                overrides, wrong = {}, f'"{wording}" certification with a score of "212" pix'
            draft.bad.append((_record(cert, version, style, overrides), f"certification {cert.number}: {wrong}"))
    duplicated = drafts[min(3, len(drafts) - 1)]
    copy = sampler.rng.choice(duplicated.good)
    duplicated.bad.append((_record(copy, duplicated.plan.version, duplicated.plan.style, {}),
                           f'certification {copy.number}: number "{copy.number}" already on an earlier row'))


def _record(cert: SampleCertification, version: ExportVersion, style: CsvStyle, overrides: dict[str, str]) -> str:
    return format_record(cert, version, delimiter=style.delimiter, quote_text=style.quote_text,
                         date_style=style.date_style, trailing_empty_columns=style.trailing_empty_columns,
                         overrides=overrides)


def _write_draft(inbox: Path, draft: _FileDraft) -> tuple[SampleFile, list[tuple[str, int | None, str]],
                                                         list[tuple[str, int | None, str]]]:
    style, version = draft.plan.style, draft.plan.version
    extra = [record for record, _ in draft.bad]
    text, starts = render_class_csv(draft.good, version, style, extra)
    (inbox / draft.name).write_bytes(text.encode(style.encoding))
    line_of = dict(zip((c.number for c in draft.good), starts))
    notices = [(draft.name, line_of[number], f"certification {number} {what}")
               for number, what in draft.notices.items()]
    planted = [(draft.name, start, wrong) for (_, wrong), start in zip(draft.bad, starts[len(draft.good):])]
    sample_file = SampleFile(draft.name, draft.kind, version, draft.division, style,
                             rows_read=len(draft.good) + len(draft.bad), rows_loaded=len(draft.good),
                             rows_quarantined=len(draft.bad),
                             certification_numbers=tuple(c.number for c in draft.good))
    return sample_file, planted, sorted(notices, key=lambda n: n[1])


_FOREIGN_PROBLEMS = {
    "unreadable": "an Excel workbook (.xlsx bytes, zip) renamed .csv: not readable, quarantined whole",
    "campaign": "a Pix Orga campaign results export, not certification results: quarantined whole",
}


def _write_foreign_files(inbox: Path, students: list[SampleStudent], year: int, school_year: int) -> list[SampleFile]:
    workbook = f"{year}0512_resultats_3D.csv"
    (inbox / workbook).write_bytes(xlsx_bytes())
    campaign = f"Resultats-Parcours de rentree 3e-48213-{school_year}-09-18-1012.csv"
    (inbox / campaign).write_bytes(campaign_csv_text(students[7:12], school_year).encode("utf-8-sig"))
    return [SampleFile(workbook, "unreadable", None, "3D", None, 0, 0, 0, ()),
            SampleFile(campaign, "campaign", None, None, AS_PIX_WRITES_IT, 0, 0, 0, ())]


def _expected(files: list[SampleFile], drafts: list[_FileDraft], students: Sequence[SampleStudent],
              ambiguous: list[Person]) -> dict[str, int]:
    """The counts an ingest of the sample must report, derived from the rows written."""
    ambiguous_keys = {(p.birth, fold(p.first), fold(p.usage or p.last)) for p in ambiguous}
    matched: dict[int, list[SampleCertification]] = {}
    certified_divisions, unmatched, ambiguous_rows = set(), 0, 0
    for draft in drafts:
        for cert in draft.good:
            if cert.student is None:
                unmatched += 1
                certified_divisions.add(draft.division)
            elif (cert.birth_date, fold(cert.first_name), fold(cert.last_name)) in ambiguous_keys:
                ambiguous_rows += 1
                certified_divisions.add(draft.division)
            else:
                matched.setdefault(cert.student.eleve_id, []).append(cert)
                certified_divisions.add(cert.student.division)
    # a row set aside whose names and birth date still name its student makes them « résultat écarté », not absent
    set_aside = {cert.student.eleve_id for draft in drafts for role, cert in draft.to_spoil
                 if role != "bad-birth-date" and cert.student is not None
                 and (cert.birth_date, fold(cert.first_name), fold(cert.last_name)) not in ambiguous_keys}
    absents = [s for s in students if s.division in certified_divisions and s.left_on is None
               and s.eleve_id not in matched and s.eleve_id not in set_aside]
    # LSU takes the latest non-cancelled certification of each student
    latest = [max((c for c in certs if c.status is not Status.CANCELLED), key=lambda c: (c.passed_on, c.number))
              for certs in matched.values() if any(c.status is not Status.CANCELLED for c in certs)]
    return {
        "files": len(files),
        "files_quarantined_whole": sum(f.quarantined_whole for f in files),
        "rows_read": sum(f.rows_read for f in files),
        "rows_loaded": sum(f.rows_loaded for f in files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
        "unmatched": unmatched,
        "ambiguous": ambiguous_rows,
        "absents": len(absents),
        "validated": sum(c.status is Status.VALIDATED for c in latest),
        "non_obtenue": sum(c.status is Status.REJECTED for c in latest),
    }
