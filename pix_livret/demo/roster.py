"""SIECLE rosters of the sample school: ElevesSansAdresses.xml as SIECLE exports it (students, divisions,
structures), names upper-cased and often without their accents.

Takes students and a school year; writes the XML."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from pix_livret.demo.class_csv import format_date
from pix_livret.demo.records import SampleStudent

DEFAULT_UAI = "0861234Z"  # key letter checked: "ABCDEFGHJKLMNPRSTUVWXYZ"[861234 % 23] == "Z"
SCHOOL_NAME = "Collège Jean Moulin"
ROSTER_FILE_NAME = "ElevesSansAdresses.xml"
MEF_CODES = {"3": "10310019110", "4": "10210001110"}  # 3e and 4e générales


def write_siecle_roster(path: Path, uai: str, school_year: int, students: list[SampleStudent]) -> None:
    """Writes a BEE_ELEVES ElevesSansAdresses.xml as SIECLE exports it: ISO-8859-15, declared so."""
    exported = date(school_year + 1, 5, 18)  # after the sessions, before the June livret export
    lines = ['<?xml version="1.0" encoding="ISO-8859-15"?>', '<BEE_ELEVES VERSION="3.4">', "<PARAMETRES>",
             f"<UAJ>{escape(uai)}</UAJ>", f"<ANNEE_SCOLAIRE>{school_year}</ANNEE_SCOLAIRE>",
             f"<DATE_EXPORT>{format_date(exported, 'dmy')}</DATE_EXPORT>",
             f"<HORODATAGE>{format_date(exported, 'dmy')} 07:42:15</HORODATAGE>", "</PARAMETRES>", "<DONNEES>",
             "<ELEVES>"]
    ordered = sorted(students, key=lambda s: s.eleve_id)
    for student in ordered:
        lines += _eleve_lines(student, school_year)
    lines += ["</ELEVES>", "<STRUCTURES>"]
    for student in ordered:
        lines += _structure_lines(student)
    lines += ["</STRUCTURES>", "</DONNEES>", "</BEE_ELEVES>"]
    # strict: a character ISO-8859-15 lacks (the typographic apostrophe) must never reach SIECLE's file
    path.write_bytes(("\n".join(lines) + "\n").encode("iso-8859-15"))


def _elenoet(student: SampleStudent) -> int:
    # SIECLE's establishment number runs alongside the ELEVE_ID
    return 1000 + student.eleve_id % 9000


def _eleve_lines(student: SampleStudent, school_year: int) -> list[str]:
    grade = student.division[0]
    entered = date(school_year - (3 if grade == "3" else 2), 9, 1)  # in 6e
    usual_birth_year = school_year - (14 if grade == "3" else 13)
    elements = [("ID_NATIONAL", student.ine), ("NOM_DE_FAMILLE", student.last_name),
                ("NOM_USAGE", student.usage_name), ("PRENOM", student.first_name),
                ("PRENOM2", student.other_first_names), ("DATE_NAISS", format_date(student.birth_date, "dmy")),
                ("DOUBLEMENT", "O" if student.birth_date.year < usual_birth_year else "N"),
                ("CODE_PAYS", "100"), ("CODE_SEXE", student.sex), ("DATE_ENTREE", format_date(entered, "dmy")),
                ("DATE_SORTIE", format_date(student.left_on, "dmy") if student.left_on else None),
                ("CODE_REGIME", "2"), ("CODE_MEF", MEF_CODES.get(grade, MEF_CODES["3"])),
                ("CODE_COMMUNE_INSEE_NAISS", student.birth_commune)]
    body = [f"<{tag}>{escape(value)}</{tag}>" for tag, value in elements if value]
    return [f'<ELEVE ELEVE_ID="{student.eleve_id}" ELENOET="{_elenoet(student)}">', *body, "</ELEVE>"]


def _structure_lines(student: SampleStudent) -> list[str]:
    structures = [(student.division, "D")]
    # options are G structures; the reader must not take them for the class
    if student.eleve_id % 5 == 0:
        structures.append((f"{student.division[0]}LATIN", "G"))
    body = []
    for code, kind in structures:
        body += ["<STRUCTURE>", f"<CODE_STRUCTURE>{escape(code)}</CODE_STRUCTURE>",
                 f"<TYPE_STRUCTURE>{kind}</TYPE_STRUCTURE>", "</STRUCTURE>"]
    return [f'<STRUCTURES_ELEVE ELEVE_ID="{student.eleve_id}" ELENOET="{_elenoet(student)}">', *body,
            "</STRUCTURES_ELEVE>"]
