"""The CRCN referential (5 domains, 16 competences), the certification statuses and global levels.

Stated once here; the reader, the XSD tests, the livret XML and the attestations all use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Domain:
    code: str
    label: str


@dataclass(frozen=True)
class Competence:
    code: str  # as in Pix's column headers: "1.1"
    lsu_code: str  # the LSU CodeCompetenceNumerique
    label: str
    domain: str  # Domain.code

    @property
    def column(self) -> str:
        """Name of this competence's level column in frames and tables ("level_1_1")."""
        return "level_" + self.code.replace(".", "_")


DOMAINS: tuple[Domain, ...] = (
    Domain("1", "Information et données"),
    Domain("2", "Communication et collaboration"),
    Domain("3", "Création de contenu"),
    Domain("4", "Protection et sécurité"),
    Domain("5", "Environnement numérique"),
)

COMPETENCES: tuple[Competence, ...] = (
    Competence("1.1", "CN_INF_MEN", "Mener une recherche et une veille d’information", "1"),
    Competence("1.2", "CN_INF_GER", "Gérer des données", "1"),
    Competence("1.3", "CN_INF_TRA", "Traiter des données", "1"),
    Competence("2.1", "CN_COM_INT", "Interagir", "2"),
    Competence("2.2", "CN_COM_PAR", "Partager et publier", "2"),
    Competence("2.3", "CN_COM_COL", "Collaborer", "2"),
    Competence("2.4", "CN_COM_SIN", "S’insérer dans le monde numérique", "2"),
    Competence("3.1", "CN_CRE_TEX", "Développer des documents textuels", "3"),
    Competence("3.2", "CN_CRE_MUL", "Développer des documents multimedia", "3"),
    Competence("3.3", "CN_CRE_ADA", "Adapter les documents à leur finalité", "3"),
    Competence("3.4", "CN_CRE_PRO", "Programmer", "3"),
    Competence("4.1", "CN_PRO_SEC", "Sécuriser l’environnement numérique", "4"),
    Competence("4.2", "CN_PRO_DON", "Protéger les données personnelles et la vie privée", "4"),
    Competence("4.3", "CN_PRO_SAN", "Protéger la santé, le bien-être et l’environnement", "4"),
    Competence("5.1", "CN_ENV_RES", "Résoudre des problèmes techniques", "5"),
    Competence("5.2", "CN_ENV_EVO", "Construire un environnement numérique", "5"),
)

COMPETENCE_CODES: tuple[str, ...] = tuple(c.code for c in COMPETENCES)
LEVEL_COLUMNS: tuple[str, ...] = tuple(c.column for c in COMPETENCES)
MAX_LEVEL = 8
# v2 maximum (8 pix per level x 8 levels x 16 competences); v3 tops out at 895.
MAX_SCORE = 1024


def competences_of(domain: Domain) -> tuple[Competence, ...]:
    return tuple(c for c in COMPETENCES if c.domain == domain.code)


class Status(str, Enum):
    """Status of a certification, whatever the wording of the export."""

    VALIDATED = "validated"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ERROR = "error"
    STARTED = "started"

    @property
    def is_final(self) -> bool:
        return self in (Status.VALIDATED, Status.REJECTED)


# Pix wordings (all export versions) -> Status. Keys are compared after normalise_label().
STATUS_WORDINGS: dict[str, Status] = {
    "validee": Status.VALIDATED,
    "rejetee": Status.REJECTED,  # until 2026-03
    "non obtenue": Status.REJECTED,  # since 2026-03
    "annulee": Status.CANCELLED,
    "en erreur": Status.ERROR,
    "demarree": Status.STARTED,
}

# Livret statut of a final status (xml-format.md).
LIVRET_STATUS: dict[Status, str] = {Status.VALIDATED: "VALIDEE", Status.REJECTED: "NON_OBTENUE"}

CORE_CERTIFICATION_TYPE = "Pix"


@dataclass(frozen=True)
class GlobalLevel:
    label: str
    min_score: int


# The v3 global levels by score (formats.md §1); below 64 there is none.
GLOBAL_LEVELS: tuple[GlobalLevel, ...] = (
    GlobalLevel("Novice 1", 64),
    GlobalLevel("Novice 2", 128),
    GlobalLevel("Indépendant 1", 256),
    GlobalLevel("Indépendant 2", 384),
    GlobalLevel("Avancé 1", 512),
    GlobalLevel("Avancé 2", 640),
    GlobalLevel("Expert 1", 768),
    GlobalLevel("Expert 2", 896),
)
GLOBAL_LEVEL_LABELS: tuple[str, ...] = tuple(g.label for g in GLOBAL_LEVELS)


def global_level_for(score: int) -> str | None:
    """The global level a v3 score falls in, or None below the first threshold."""
    label = None
    for level in GLOBAL_LEVELS:
        if score >= level.min_score:
            label = level.label
    return label


# The classes the certification concerns, by the first three characters of their CODE_MEF (the BCN's "dispositif
# de formation"): 103 is the 3e, 167 the 3e SEGPA. Where the enrolment gives no such MEF (a CSV roster, a lycée:
# its terminale and CAP codes are not stated here yet), the concerned classes are those with a class results file.
CONCERNED_MEF_PREFIXES = ("103", "167")
