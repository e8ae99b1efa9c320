"""What a sample is made of: its students as SIECLE lists them and its certifications as Pix shows them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from schemas.referential import CORE_CERTIFICATION_TYPE, Status


@dataclass(frozen=True)
class SampleStudent:
    """A student as the SIECLE roster lists them: names upper-case, often without accents."""

    eleve_id: int
    ine: str | None
    last_name: str
    usage_name: str | None
    first_name: str
    birth_date: date
    division: str
    sex: Literal["1", "2"]
    left_on: date | None
    other_first_names: str | None = None  # PRENOM2
    birth_commune: str | None = None  # CODE_COMMUNE_INSEE_NAISS


@dataclass(frozen=True)
class SampleCertification:
    """One certification as Pix shows it; student is None for someone the roster does not list."""

    number: int
    student: SampleStudent | None
    first_name: str
    last_name: str
    birth_date: date
    status: Status
    score: int | None
    global_level: str | None
    levels: dict[str, int | None]
    session: str
    passed_on: date
    centre: str | None
    certification_type: str = CORE_CERTIFICATION_TYPE
    birthplace: str | None = None
    external_id: str | None = None
    jury_comment: str | None = None
