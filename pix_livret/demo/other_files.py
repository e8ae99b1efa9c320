"""The other files that land in an inbox: an Excel workbook renamed .csv, a Pix Orga campaign export.

Takes students and a school year; returns the bytes or the text (the ingest must quarantine them whole)."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, timedelta

from pix_livret.demo.class_csv import format_date
from pix_livret.demo.records import SampleStudent
from pix_livret.demo.roster import SCHOOL_NAME

CAMPAIGN_HEADER = ("Nom de l'organisation", "ID Campagne", "Code", "Nom de la campagne", "Nom du Profil Cible",
                   "Nom du Participant", "Prénom du Participant", "Classe", "% de progression", "Date de début",
                   "Partage (O/N)", "Date du partage", "% maitrise de l'ensemble des acquis du profil")


def xlsx_bytes() -> bytes:
    """A small zip shaped like an Excel workbook, with a fixed timestamp so the bytes never change."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                               '.org/package/2006/content-types"><Default Extension="xml" '
                               'ContentType="application/xml"/></Types>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
                           '.org/spreadsheetml/2006/main"><sheets><sheet name="Résultats" sheetId="1"/></sheets>'
                           "</workbook>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 5, 12, 9, 30, 0)), text)
    return buffer.getvalue()


def campaign_csv_text(students: Sequence[SampleStudent], school_year: int) -> str:
    """A Pix Orga campaign results export (the back-to-school profile campaign), as Pix writes it."""
    started = date(school_year, 9, 16)
    lines = [";".join(f'"{label}"' for label in CAMPAIGN_HEADER)]
    for i, student in enumerate(students):
        progress = 100 if i % 3 else 64
        cells = [SCHOOL_NAME, "48213", "QWXRPT472", "Parcours de rentrée 3e", "Profil rentrée collège",
                 _display(student.last_name), _display(student.first_name), student.division, f"{progress}",
                 format_date(started, "dmy"), "Oui" if progress == 100 else "Non",
                 format_date(started + timedelta(days=2), "dmy") if progress == 100 else "",
                 f"{(i * 7) % 60 + 30}"]
        lines.append(";".join(f'"{cell}"' for cell in cells))
    return "\n".join(lines) + "\n"


def _display(siecle: str) -> str:
    return "-".join(" ".join(word.capitalize() for word in part.split()) for part in siecle.split("-"))
