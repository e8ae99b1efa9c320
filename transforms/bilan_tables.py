"""What each table of the bilan shows: its columns, their French labels and kinds, stated once for HTML and XLSX.

Takes a Bilan (or the académie summary); returns the frames to show, columns in order, with their kinds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from schemas.referential import DOMAINS
from transforms.bilans import MIN_GROUP, WITHHELD, previous_school_year

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

@dataclass(frozen=True)
class AcademieColumn:
    """A column of the académie summary: under its group's header on the page (short), alone in the workbook."""
    name: str
    short: str  # the page's header, read under its group's (« Cand. » under « Effectifs »)
    label: str  # the workbook's header, which stands alone
    kind: Kind
    group: str


@dataclass(frozen=True)
class ColumnGroup:
    title: str  # the page's upper header row; {previous} is the previous school year
    columns: tuple[AcademieColumn, ...]


_GROUPS = {"counts": "Effectifs", "outcomes": "Résultats", "rates": "Taux (%)", "score": "Score",
           "domains": "Niveau moyen par domaine", "previous": "Année précédente ({previous})",
           "attention": "Points d'attention"}


def _a(name: str, short: str, label: str, kind: Kind, group: str) -> AcademieColumn:
    return AcademieColumn(name, short, label, kind, _GROUPS[group])


ACADEMIE_COLUMNS = (
    _a("roster", "Inscrits", "Élèves inscrits", "count", "counts"),
    _a("candidates", "Cand.", "Candidats", "count", "counts"),
    _a("absents", "Abs.", "Absents", "count", "counts"),
    _a("set_aside", "Rés. écartés", "Résultats écartés", "count", "counts"),
    _a("validated", "Val.", "Validées", "count", "outcomes"),
    _a("not_obtained", "Non obt.", "Non obtenues", "count", "outcomes"),
    _a("cancelled_or_error", "Ann. ou err.", "Annulées ou en erreur", "count", "outcomes"),
    _a("rate_of_candidates", "Val. / cand.", "Validées / candidats", "percent", "rates"),
    _a("rate_of_roster", "Val. / inscr.", "Validées / inscrits", "percent", "rates"),
    _a("mean_score", "Moyen", "Score moyen des validées", "decimal", "score"),
    *(_a(f"domain_{d.code}", f"D{d.code}", f"Niveau moyen D{d.code} {d.label}", "decimal", "domains")
      for d in DOMAINS),
    _a("previous_rate", "Val. / cand.", "Année précédente : validées / candidats", "percent", "previous"),
    _a("previous_mean_score", "Score moyen", "Année précédente : score moyen des validées", "decimal", "previous"),
    _a("files_set_aside", "Fichiers écartés", "Fichiers écartés encore ouverts", "count", "attention"),
    _a("classes_without_results", "Classes sans résultat", "Classes concernées sans résultat", "count",
       "attention"),
    _a("unmatched", "Non rattachés", "Certifications non rattachées", "count", "attention"),
)
ACADEMIE_GROUPS = tuple(ColumnGroup(title, tuple(c for c in ACADEMIE_COLUMNS if c.group == title))
                        for title in dict.fromkeys(c.group for c in ACADEMIE_COLUMNS))
# the workbook: UAI and name apart, so that a spreadsheet sorts and filters on them
ACADEMIE = TableSpec("academie", "Établissements", "Établissements", (
    _c("uai", "UAI", "text"), _c("name", "Établissement", "text"), _c("departement_label", "Département", "text"),
    *(Column(c.name, c.label, c.kind) for c in ACADEMIE_COLUMNS)))
DEPARTEMENTS = TableSpec("departements", "Départements", "Départements", (
    _c("departement_label", "Département", "text"), _c("establishments", "Établissements"),
    *(Column(c.name, c.label, c.kind) for c in ACADEMIE_COLUMNS)))
QUARTILES = TableSpec("quartiles", "Répartition", "Répartition des établissements", (
    _c("indicator", "Indicateur", "text"), _c("n", "Établissements"), _c("q1", "1er quartile", "decimal"),
    _c("median", "Médiane", "decimal"), _c("q3", "3e quartile", "decimal")))
QUARTILE_INDICATORS = {"rate_of_candidates": ("Validées / candidats (%)", 100.0),
                       "mean_score": ("Score moyen des validées (pix)", 1.0)}


ACADEMIE_NOTES_SHEET = "À lire"
# what the page says beside its table, and the workbook on its first-read sheet: written once, here
SECRET_RULE = (f"Pour un établissement de moins de {MIN_GROUP} candidats, les effectifs sont donnés, mais ni les "
               "taux, ni le nombre de certifications validées, non obtenues, annulées ou en erreur, ni le score "
               f"moyen, ni les niveaux par domaine : la case porte « {WITHHELD} » (non diffusé), car ces chiffres "
               "décriraient quelques élèves. Le score moyen et les niveaux par domaine ne sont pas non plus diffusés "
               f"quand moins de {MIN_GROUP} certifications validées les fondent. La même règle vaut pour l'année précédente et pour chaque "
               "total.")
DEFINITIONS = ("Mêmes définitions que dans le bilan de chaque établissement. Inscrits : élèves des classes "
               "concernées. Cand. : candidats. Abs. : absents. Rés. écartés : élèves dont le résultat a été écarté, "
               "à corriger. Val., Non obt., Ann. ou err. : certifications validées, non obtenues, annulées ou en "
               "erreur. Val. / cand., Val. / inscr. : part des validées parmi les candidats, parmi les inscrits. "
               "Score moyen des validées, en pix. Points d'attention : fichiers de classe écartés encore ouverts, "
               "classes concernées sans résultat, certifications non rattachées à un élève de la liste SIECLE. "
               "« — » : pas de valeur.")
DOMAINS_NOTE = ("Domaines (niveau moyen des niveaux évalués des certifications validées, de 0 à 8) : "
                + " · ".join(f"D{d.code} {d.label}" for d in DOMAINS) + ".")
PREVIOUS_NOTE = ("Année précédente ({previous}) : chiffres du bilan de chaque établissement pour cette année-là, "
                 "s'il a été fait, « — » sinon ; jamais recalculés d'une autre année. Ses totaux ne comptent que "
                 "les établissements qui ont ce bilan.")
UNKNOWN_ATTENTION = ("Fichiers écartés et classes sans résultat « — » : inconnus pour un bilan fait par une version "
                     "antérieure ; « pix-livret report » le refait.")
QUARTILES_NOTE = ("Quartiles des établissements (chaque établissement compte pour un, quel que soit son nombre de "
                  "candidats), sur ceux dont le chiffre est diffusé : un quart des établissements est sous le 1er "
                  "quartile, un quart au-dessus du 3e.")


def academie_notes(school_year: str | None) -> list[str]:
    """The workbook's first-read sheet: the rules and definitions the page states beside its table."""
    previous = previous_school_year(school_year) if school_year else "l'année d'avant"
    title = f"Bilan académique de la certification Pix {school_year}" if school_year else "Bilan académique Pix"
    return [title, "", "Secret statistique. " + SECRET_RULE, "", DEFINITIONS, "", DOMAINS_NOTE, "",
            PREVIOUS_NOTE.format(previous=previous), "", UNKNOWN_ATTENTION, "", QUARTILES_NOTE]


def shown_quartiles(quartiles: pd.DataFrame) -> pd.DataFrame:
    """The académie's quartiles as shown: one row per indicator, named in French, rates in percent."""
    factor = quartiles["indicator"].map({k: f for k, (_, f) in QUARTILE_INDICATORS.items()})
    return quartiles.assign(indicator=quartiles["indicator"].map({k: t for k, (t, _) in QUARTILE_INDICATORS.items()}),
                            **{c: quartiles[c] * factor for c in ("q1", "median", "q3")})


def labelled(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The columns SPEC shows of FRAME, in order, under their French labels."""
    return frame[[c.name for c in spec.columns]].rename(columns={c.name: c.label for c in spec.columns})
