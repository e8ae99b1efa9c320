"""What each table of the bilan shows: its columns, their French labels and kinds, stated once for HTML and XLSX.

Takes a Bilan (or the académie summary); returns the frames to show, columns in order, with their kinds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from schemas.referential import DOMAINS

Kind = Literal["text", "count", "percent", "decimal", "mixed"]  # mixed: counts, or "< 5" where a group is small


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind


@dataclass(frozen=True)
class TableSpec:
    key: str  # the Bilan attribute
    sheet: str  # the workbook's sheet name (31 characters at most)
    title: str
    columns: tuple[Column, ...]
    named: bool = False  # holds students' names: the establishment's own files only


def _c(name: str, label: str, kind: Kind = "count") -> Column:
    return Column(name, label, kind)


CLASSES = TableSpec("classes", "Classes", "Résultats par classe", (
    _c("division", "Classe", "text"), _c("roster", "Élèves inscrits"), _c("candidates", "Candidats"),
    _c("unmatched", "dont non rattachés"), _c("set_aside", "Résultats écartés"),
    _c("absents", "Absents"), _c("validated", "Validées"), _c("not_obtained", "Non obtenues"),
    _c("cancelled_or_error", "Annulées ou en erreur"), _c("rate_of_candidates", "Validées / candidats", "percent"),
    _c("rate_of_roster", "Validées / inscrits", "percent")))
SCORES = TableSpec("scores", "Scores", "Scores des certifications validées", (
    _c("division", "Classe", "text"), _c("n", "n (validées avec score)"), _c("mean", "Moyenne", "decimal"),
    _c("median", "Médiane", "decimal"), _c("q1", "1er quartile", "decimal"), _c("q3", "3e quartile", "decimal")))
GLOBAL_LEVELS = TableSpec("global_levels", "Niveaux globaux", "Niveaux globaux", (
    _c("level", "Niveau global", "text"), _c("n", "Certifications validées"), _c("share", "Part", "percent")))
_LEVELS = (_c("n", "n (validées)"), _c("evaluated", "Niveaux évalués"), _c("mean", "Niveau moyen", "decimal"),
           _c("share_ge_1", "Niveau ≥ 1", "percent"), _c("share_ge_2", "Niveau ≥ 2", "percent"),
           _c("share_ge_3", "Niveau ≥ 3", "percent"), _c("share_not_evaluated", "Non évalués", "percent"))
COMPETENCES = TableSpec("competences", "Compétences", "Compétences", (
    _c("code", "Code", "text"), _c("label", "Compétence", "text"), *_LEVELS))
DOMAIN_TABLE = TableSpec("domains", "Domaines", "Domaines", (
    _c("code", "Domaine", "text"), _c("label", "Intitulé", "text"), *_LEVELS))
SEXES = TableSpec("sexes", "Filles et garçons", "Filles et garçons", (
    _c("unit", "Classe", "text"), _c("sex", "Groupe", "text"), _c("candidates", "Candidats", "mixed"),
    _c("validated", "Validées", "mixed"), _c("rate", "Validées / candidats", "percent"),
    _c("mean_score", "Score moyen des validées", "decimal")))
YEARS = TableSpec("years", "Années", "D'une année sur l'autre", (
    _c("school_year", "Année scolaire", "text"), _c("candidates", "Candidats"), _c("validated", "Validées"),
    _c("rate", "Validées / candidats", "percent"), _c("mean_score", "Score moyen des validées", "decimal")))
FOLLOW_UP = TableSpec("follow_up", "Élèves à suivre", "Élèves à suivre", (
    _c("division", "Classe", "text"), _c("last_name", "Nom", "text"), _c("first_name", "Prénom", "text"),
    _c("situation", "Situation", "text")), named=True)
OTHER_CLASSES = TableSpec("other_classes", "Autres classes", "Classes non concernées", (
    _c("division", "Classe", "text"), _c("roster", "Élèves inscrits")))
UNMATCHED = TableSpec("unmatched", "Non rattachés", "Certifications non rattachées à un élève SIECLE", (
    _c("division", "Classe (fichier)", "text"), _c("last_name", "Nom (Pix)", "text"),
    _c("first_name", "Prénom (Pix)", "text"), _c("status", "Résultat", "text"), _c("file", "Fichier", "text"),
    _c("row", "Ligne")), named=True)
OPEN_FILES = TableSpec("open_files", "Fichiers écartés", "Fichiers écartés, encore ouverts", (
    _c("file", "Fichier", "text"), _c("division", "Classe", "text"), _c("status", "État", "text"),
    _c("rows_quarantined", "Lignes écartées")))
WITHOUT_RESULTS = TableSpec("without_results", "Classes sans résultat", "Classes concernées sans résultat", (
    _c("division", "Classe", "text"), _c("reason", "Pourquoi", "text")))
HEAT_MAP_SHEET = "Classes x compétences"

BILAN_TABLES = (CLASSES, SCORES, GLOBAL_LEVELS, COMPETENCES, DOMAIN_TABLE, SEXES, YEARS, FOLLOW_UP, OTHER_CLASSES,
                UNMATCHED, OPEN_FILES, WITHOUT_RESULTS)

ACADEMIE = TableSpec("academie", "Établissements", "Établissements", (
    _c("uai", "UAI", "text"), _c("name", "Établissement", "text"), *CLASSES.columns[1:],
    _c("mean_score", "Score moyen des validées", "decimal"),
    *(_c(f"domain_{d.code}", f"Niveau moyen domaine {d.code}", "decimal") for d in DOMAINS)))


def labelled(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The columns SPEC shows of FRAME, in order, under their French labels."""
    return frame[[c.name for c in spec.columns]].rename(columns={c.name: c.label for c in spec.columns})
