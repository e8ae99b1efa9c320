"""What each table of the bilan shows: its columns, their French labels and kinds, stated once for HTML and XLSX.

Takes a Bilan (or the académie summary); returns the frames to show, columns in order, with their kinds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from schemas.referential import DOMAINS
from transforms.bilans import MIN_FOR_MEANS, MIN_GROUP, WITHHELD, previous_school_year

Kind = Literal["text", "count", "percent", "decimal", "mixed"]  # mixed: counts, or "< 5" where a group is small


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind
    definition: str = ""  # what it counts, for the workbook's cover sheet


@dataclass(frozen=True)
class TableSpec:
    key: str  # the Bilan attribute
    sheet: str  # the workbook's sheet name (31 characters at most)
    title: str
    columns: tuple[Column, ...]
    named: bool = False  # holds students' names: the establishment's own files only
    total_apart: bool = False  # its ESTABLISHMENT row is a total, set apart from the rows a reader sorts


def _c(name: str, label: str, kind: Kind = "count", definition: str = "") -> Column:
    return Column(name, label, kind, definition)


# Labels say what a column counts: a reader of one header, in the workbook, has nothing else
CLASSES = TableSpec("classes", "Classes", "Résultats par classe", (
    _c("division", "Classe", "text", "La division SIECLE ; « Établissement » : le total."),
    _c("roster", "Élèves inscrits", definition="Élèves de la classe dans la liste SIECLE de l'année, hors élèves "
       "partis ; le total ne compte que les classes concernées."),
    _c("candidates", "Candidats", definition="Élèves ayant passé la certification dans l'année, comptés une fois "
       "avec leur meilleur résultat, non rattachés compris."),
    _c("unmatched", "dont non rattachés", definition="Candidats qu'aucun élève de la liste SIECLE ne reconnaît."),
    _c("set_aside", "Résultats écartés", definition="Élèves sans certification dont une ligne ou le fichier de la "
       "classe a été écarté : à corriger, ce n'est pas une absence."),
    _c("absents", "Absents", definition="Élèves inscrits dans une classe concernée, sans certification ni résultat "
       "écarté."),
    _c("validated", "Validées", definition="Candidats dont la certification est validée."),
    _c("not_obtained", "Non obtenues", definition="Candidats dont la meilleure certification est non obtenue "
       "(rejetée)."),
    _c("cancelled_or_error", "Annulées, en erreur ou non terminées", definition="Candidats dont la meilleure "
       "certification est annulée, en erreur ou démarrée sans être terminée."),
    _c("rate_of_candidates", "Validées / candidats", "percent", "Validées divisées par les candidats."),
    _c("rate_of_roster", "Validées / inscrits", "percent", "Validées divisées par les élèves inscrits ; le total "
       "ne compte que les classes concernées.")), total_apart=True)
SCORES = TableSpec("scores", "Scores", "Scores des certifications validées", (
    _c("division", "Classe", "text", "La division ; « Établissement » : toutes les certifications validées."),
    _c("n", "Validées avec un score", definition="Certifications validées qui ont un score (en Pix)."),
    _c("mean", "Score moyen", "decimal", "Moyenne des scores, en Pix ; « — » dans la page, vide dans le classeur, "
       "pour une classe de moins de 5 validées, comme la médiane et les quartiles."),
    _c("median", "Score médian", "decimal", "La moitié des validées ont un score inférieur ou égal."),
    _c("q1", "1er quartile", "decimal", "Le quart des validées ont un score inférieur ou égal."),
    _c("q3", "3e quartile", "decimal", "Les trois quarts des validées ont un score inférieur ou égal.")),
    total_apart=True)
GLOBAL_LEVELS = TableSpec("global_levels", "Niveaux globaux", "Niveaux globaux", (
    _c("level", "Niveau global", "text", "Le niveau global que Pix donne (exports v3), de Novice 1 à Expert 2."),
    _c("n", "Certifications validées", definition="Certifications validées de ce niveau global."),
    _c("share", "Part des validées", "percent", "Parmi les certifications validées qui ont un niveau global.")))
_SHARES = "Part des {0} qui atteignent au moins le niveau {1}."


def _levels(evaluated: Column, unit: str, not_evaluated: str) -> tuple[Column, ...]:
    # the number of validated certifications, the same on every row, is said once above the table instead
    return (evaluated,
            _c("mean", "Niveau moyen des évalués", "decimal", f"Moyenne des niveaux (0 à 8) des {unit}."),
            # a no-break space: « ≥ » never ends a line without its level
            *(_c(f"share_ge_{n}", f"Niveau ≥\u00a0{n} (part des évalués)", "percent", _SHARES.format(unit, n))
              for n in (1, 2, 3)),
            _c("share_not_evaluated", "Non évalués (part)", "percent", not_evaluated))


COMPETENCES = TableSpec("competences", "Compétences", "Compétences", (
    _c("code", "Code", "text", "Le numéro de la compétence dans le référentiel Pix."),
    _c("label", "Compétence", "text", "L'intitulé de la compétence."),
    *_levels(_c("evaluated", "Candidats évalués", definition="Certifications validées avec un niveau dans la "
                "compétence."), "candidats évalués dans la compétence",
             "Part des certifications validées sans niveau dans la compétence.")))
DOMAIN_TABLE = TableSpec("domains", "Domaines", "Domaines", (
    _c("code", "Domaine", "text", "Le numéro du domaine dans le référentiel Pix."),
    _c("label", "Intitulé", "text", "L'intitulé du domaine."),
    *_levels(_c("evaluated", "Compétences évaluées (élève × compétence)", definition="Niveaux donnés dans les "
                "compétences du domaine : un élève évalué sur 3 de ses compétences compte 3 fois."),
             "compétences évaluées (élève × compétence)",
             "Part des couples élève × compétence du domaine sans niveau.")))
SEXES = TableSpec("sexes", "Filles et garçons", "Filles et garçons", (
    _c("unit", "Classe", "text", "« Établissement », puis chaque classe."),
    _c("sex", "Groupe", "text", "Filles ou garçons selon SIECLE (candidats rattachés seulement)."),
    _c("candidates", "Candidats", "mixed", "« < 5 » : groupe de moins de 5 candidats ; « n.d. » : l'autre groupe "
       "de la même ligne, qui le laisserait deviner."),
    _c("validated", "Validées", "mixed", "Candidats du groupe dont la certification est validée."),
    _c("rate", "Validées / candidats", "percent", "Validées divisées par les candidats du groupe."),
    _c("mean_score", "Score moyen des validées", "decimal", "Vide pour un groupe de moins de 5 validées.")))
YEARS = TableSpec("years", "Années", "D'une année sur l'autre", (
    _c("school_year", "Année scolaire", "text", "Chaque année où l'établissement a des certifications."),
    _c("candidates", "Candidats", definition="Comme dans la feuille Classes, pour cette année-là."),
    _c("validated", "Validées", definition="Candidats dont la certification est validée."),
    _c("rate", "Validées / candidats", "percent", "Validées divisées par les candidats."),
    _c("mean_score", "Score moyen des validées", "decimal", "Moyenne des scores des validées, en Pix.")))
FOLLOW_UP = TableSpec("follow_up", "Élèves à suivre", "Élèves à suivre", (
    _c("division", "Classe", "text", "La division SIECLE de l'élève."),
    _c("last_name", "Nom", "text", "Nom d'usage SIECLE s'il y en a un, sinon le nom de famille."),
    _c("first_name", "Prénom", "text", "Prénom SIECLE."),
    _c("ine", "INE", "text", "Identifiant national de l'élève (SIECLE), pour rapprocher la liste de Pronote ou de "
       "SIECLE ; vide si SIECLE n'en donne pas."),
    _c("situation", "Situation", "text", "Absent(e), résultat écarté (à corriger), ou le résultat de sa "
       "meilleure certification : non obtenue, annulée, en erreur, non terminée (démarrée).")), named=True)
OTHER_CLASSES = TableSpec("other_classes", "Autres classes", "Classes non concernées", (
    _c("division", "Classe", "text", "Classe que la certification ne concerne pas, où personne ne l'a passée."),
    _c("roster", "Élèves inscrits", definition="Élèves de la classe dans la liste SIECLE de l'année.")))
UNMATCHED = TableSpec("unmatched", "Non rattachés", "Certifications non rattachées à un élève SIECLE", (
    _c("division", "Classe (fichier)", "text", "La classe du fichier de résultats."),
    _c("last_name", "Nom (Pix)", "text", "Le nom tel que Pix le donne."),
    _c("first_name", "Prénom (Pix)", "text", "Le prénom tel que Pix le donne."),
    _c("status", "Résultat", "text", "Validée, non obtenue, annulée, en erreur ou non terminée (démarrée)."),
    _c("file", "Fichier", "text", "Le fichier de résultats de la classe."),
    _c("row", "Ligne", definition="La ligne du fichier (l'en-tête est la ligne 1).")), named=True)
OPEN_FILES = TableSpec("open_files", "Fichiers écartés", "Fichiers écartés, encore ouverts", (
    _c("file", "Fichier", "text", "Fichier de résultats écarté, pas encore remplacé ni clos."),
    _c("division", "Classe", "text", "La classe du fichier."),
    _c("status", "État", "text", "Écarté en entier, ou lignes écartées."),
    _c("rows_quarantined", "Lignes écartées", definition="Lignes du fichier mises de côté.")))
WITHOUT_RESULTS = TableSpec("without_results", "Classes sans résultat", "Classes concernées sans résultat", (
    _c("division", "Classe", "text", "Classe concernée sans aucun candidat."),
    _c("reason", "Pourquoi", "text", "Fichier de la classe écarté, ou aucun fichier de résultats.")))
HEAT_MAP_SHEET = "Classes x compétences"
# Beyond this many classes, the page folds its per-class tables and draws no per-class chart: thousands of rows
# read as nothing and cost a browser seconds (the workbook keeps them all)
MANY_CLASSES = 60
COVER_SHEET = "Présentation"
CONCERNED_RULES = {
    "mef": "les divisions dont des élèves sont en 3e (SEGPA comprise) selon leur code MEF SIECLE.",
    "files": "les divisions qui ont un fichier de résultats Pix cette année (la liste SIECLE ne donne pas de MEF).",
}

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
    _a("cancelled_or_error", "Ann., err. ou non term.", "Annulées, en erreur ou non terminées", "count", "outcomes"),
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
                       "mean_score": ("Score moyen des validées (Pix)", 1.0)}


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
               "à corriger. Val., Non obt., Ann., err. ou non term. : certifications validées, non obtenues, annulées, "
               "en erreur ou non terminées. Val. / cand., Val. / inscr. : part des validées parmi les candidats, parmi les inscrits. "
               "Score moyen des validées, en Pix. Points d'attention : fichiers de classe écartés encore ouverts, "
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


def means_rule(small_classes: tuple[str, ...], mark: str) -> str:
    """The k ≥ 5 rule in French, with this bilan's classes it withholds; MARK says how a withheld mean looks."""
    classes = (f"Classes concernées : {', '.join(small_classes)}." if small_classes
               else "Aucune classe concernée cette année.")
    return (f"Règle des petits effectifs : une classe de moins de {MIN_FOR_MEANS} certifications validées n'a ni "
            f"score moyen, ni médiane, ni quartiles, ni histogramme, ni niveaux moyens par compétence {mark} : ce "
            "seraient les résultats de quelques élèves, que l'on reconnaîtrait. Ses effectifs et ses taux restent "
            f"donnés. {classes}")


def labelled(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The columns SPEC shows of FRAME, in order, under their French labels."""
    return frame[[c.name for c in spec.columns]].rename(columns={c.name: c.label for c in spec.columns})
