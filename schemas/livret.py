"""The livret export's contracts: the rows chosen for the livret, the rows left out and why, the XML's constants.

Produced by transforms/select_livret.py; read by transforms/lsu_xml.py, the export flow and the attestations.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.referential import CORE_CERTIFICATION_TYPE, Status
from schemas.stored import StoredCertificationFrame

Livret = Literal["LSU", "LSL"]
LIVRETS: tuple[str, ...] = ("LSU", "LSL")  # LSU: collège, LSL: lycée

NAMESPACE = "urn:pix-livret:import:1"
SCHEMA_VERSION = "1.0"
XSD_PATH = Path(__file__).resolve().parent / "livret-pix-1.0.xsd"
NOT_EVALUATED = "NE"  # a competence level of None ("-" in the source)
MAX_DIVISION_LENGTH = 20  # code-division in the XSD

FINAL_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.is_final)


class LeftOutReason(str, Enum):
    """Why a certification of the school year is not in the livret file (declaration order = report order)."""

    UNMATCHED = "unmatched"
    CANCELLED = "cancelled"
    ERROR = "error"
    STARTED = "started"
    OLDER = "older"
    NO_DIVISION = "no_division"

    @property
    def label(self) -> str:
        """The administrator's wording (French), as in the left-out CSV and the reports."""
        return _REASON_LABELS[self]


_REASON_LABELS = {
    LeftOutReason.UNMATCHED: "élève non rattaché à la base élèves (SIECLE)",
    LeftOutReason.CANCELLED: "certification annulée",
    LeftOutReason.ERROR: "dernière certification en erreur",
    LeftOutReason.STARTED: "dernière certification non terminée (démarrée)",
    LeftOutReason.OLDER: "remplacée par une certification plus récente",
    LeftOutReason.NO_DIVISION: "classe inconnue ou de plus de 20 caractères",
}


class LivretRowFrame(StoredCertificationFrame):
    """One row per student of the livret: their chosen certification, as stored (all StoredCertificationFrame columns).

    Matched to the roster, core Pix certification, final status, with a division usable as code-division.
    """

    status: Series[str] = pa.Field(isin=list(FINAL_STATUSES), description="validated (VALIDEE) or rejected (NON_OBTENUE)")
    certification_type: Series[str] = pa.Field(isin=[CORE_CERTIFICATION_TYPE])
    eleve_id: Series[pd.Int64Dtype] = pa.Field(ge=1, unique=True, description="SIECLE ELEVE_ID (LSU id-be): one row per student")

    class Config:
        coerce = True


class LeftOutFrame(pa.DataFrameModel):
    """One row per certification of the school year that is not exported, with its reason. No names."""

    number: Series[pd.Int64Dtype] = pa.Field(description="Pix certification number")
    eleve_id: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="SIECLE ELEVE_ID; None when unmatched")
    division: Series[str] = pa.Field(nullable=True, description="roster division, else the file name's")
    reason: Series[str] = pa.Field(isin=[r.value for r in LeftOutReason], description="a LeftOutReason value")

    class Config:
        strict = True
        coerce = True
