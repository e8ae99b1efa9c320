"""The bilan's statistics: an establishment's stored certifications and a year's enrolment → the tables of its bilan.

Takes a StoredCertificationFrame, the year's enrolment (a RosterFrame), the year's class files and set-aside rows,
and a school year; returns a Bilan of plain frames (pure, no I/O).
The HTML, the PDF, the workbook, the académie summary and the Prefect artifact all read these frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from schemas.departements import departement_label, departement_of
from schemas.referential import (COMPETENCES, CONCERNED_MEF_PREFIXES, CORE_CERTIFICATION_TYPE, DOMAINS,
                                 GLOBAL_LEVEL_LABELS, Status, competences_of)
from schemas.roster import RosterFrame
from schemas.stored import StoredCertificationFrame
from transforms.clean_text import clean_frame, clean_value
from transforms.select_livret import select_core_certifications

ESTABLISHMENT = "Établissement"  # the total row of the per-class tables
NO_DIVISION = "Sans classe"
MIN_GROUP = 5  # a group smaller than this is never shown as a number (it could point at a student)
# k ≥ 5 for means: a class's mean, median, quartiles, score histogram and competence means are shown only when at
# least MIN_GROUP of its certifications are validated; below, they would be a few students' own results (with one,
# the student's score), read by a teacher who knows who sat. Its counts and rates stay.
MIN_FOR_MEANS = MIN_GROUP
SMALL_GROUP = "< 5"
WITHHELD = "n.d."  # the other groups of a split with a small one: with the total, they would give it away
SEXES = {"2": "Filles", "1": "Garçons"}  # SIECLE CODE_SEXE
SCORE_BIN = 64  # every v3 global level starts at a multiple of 64 pix: a bin never straddles two levels

# Outcome of a candidate, in the order a candidate's certifications are ranked (best first)
VALIDATED, NOT_OBTAINED, CANCELLED_OR_ERROR = "validated", "not_obtained", "cancelled_or_error"
ABSENT, SET_ASIDE = "absent", "set_aside"
_OUTCOME_OF_STATUS = {Status.VALIDATED.value: VALIDATED, Status.REJECTED.value: NOT_OBTAINED,
                      Status.CANCELLED.value: CANCELLED_OR_ERROR, Status.ERROR.value: CANCELLED_OR_ERROR,
                      Status.STARTED.value: CANCELLED_OR_ERROR}
_RANK = {VALIDATED: 0, NOT_OBTAINED: 1, CANCELLED_OR_ERROR: 2}
# a started certification was never finished: it counts with the cancelled and those in error, and says so
OUTCOME_LABELS = {VALIDATED: "Validée", NOT_OBTAINED: "Non obtenue",
                  CANCELLED_OR_ERROR: "Annulée, en erreur ou non terminée"}
# one student's result, in the lists that name students: the status itself, which says what to do next
STATUS_LABELS = {Status.VALIDATED.value: "Validée", Status.REJECTED.value: "Non obtenue",
                 Status.CANCELLED.value: "Annulée", Status.ERROR.value: "En erreur",
                 Status.STARTED.value: "Non terminée (démarrée)"}
FILE_STATUS_LABELS = {"quarantined": "écarté en entier", "partial": "lignes écartées"}
FOLLOW_UP_LABELS = {ABSENT: "Absent(e)", SET_ASIDE: "Résultat écarté, à corriger"}
COUNTS = ("roster", "candidates", "unmatched", "set_aside", "absents", VALIDATED, NOT_OBTAINED, CANCELLED_OR_ERROR)
YEAR_FILES_COLUMNS = ["name", "division", "status", "open", "set_aside", "rows_quarantined"]
SET_ASIDE_COLUMNS = ["file", "division", "row", "eleve_id"]


class EmptyYearError(ValueError):
    """The establishment has no certification in the school year (French message)."""


@dataclass(frozen=True)
class Bilan:
    """The tables of one establishment's bilan for one school year. Only follow_up holds names.

    classes: one row per concerned division (and per other division with a candidate) then the ESTABLISHMENT
        total: concerned, roster (enrolled that year), candidates, unmatched (candidates matched to no SIECLE
        student), set_aside (enrolled, no result, a row or the class file set aside), absents (enrolled in a
        concerned division, no result, nothing set aside), validated, not_obtained, cancelled_or_error (counts),
        rate_of_candidates (validated / candidates) and rate_of_roster (validated / roster), NaN where the
        denominator is 0. The total's roster, set_aside, absents and rate_of_roster count concerned divisions only.
    other_classes: division, roster: the year's divisions the certification does not concern, without a candidate.
    scores: per division then ESTABLISHMENT, scores of the validated certifications: n, mean, median, q1, q3
        (NaN for a class of small_classes).
    histogram: division, bin_start, bin_end, n: validated scores by bins of SCORE_BIN pix (none for small_classes).
    global_levels: level, n, share (of the validated with a level); empty when the exports gave none (v2).
    competences / domains: code, label, (domain), n (validated), evaluated, mean, share_ge_1, share_ge_2,
        share_ge_3 (over the evaluated), share_not_evaluated (over n).
    heat_map: divisions × competence codes, mean level over the evaluated (NaN: nobody evaluated, or a class of
        small_classes).
    extremes: the three strongest and weakest competences, as a French sentence.
    sexes: unit, sex, candidates, validated, rate, mean_score; a unit where a group is under MIN_GROUP shows
        SMALL_GROUP for that group and WITHHELD for the others (object columns); mean_score is NaN for a group
        with fewer than MIN_FOR_MEANS validated.
    years: school_year, candidates, validated, rate, mean_score; one row per school year of the database.
    follow_up: division, last_name, first_name, ine, situation: enrolled students without a validated
        certification (absent, result set aside, not obtained, cancelled, in error, not finished); ine is SIECLE's
        (None when it has none), for joining the list with Pronote or SIECLE.
    unmatched: division, last_name, first_name, status, file, row: the year's certifications matched to no SIECLE
        student (Pix's names), with where they came from.
    open_files: file, division, status, rows_quarantined: the year's class files set aside and still open.
    without_results: division, reason: concerned classes with no candidate.
    reconciliation: validated in the bilan, in the livret file, unmatched, and the rest (a student whose latest
        certification, the one the livret takes, is not their validated one).
    concerned_by: "mef" when the enrolment's MEFs said which divisions are concerned, "files" when their class
        results files did.
    small_classes: the divisions with fewer than MIN_FOR_MEANS validated certifications, whose means are withheld.
    """

    uai: str
    school_year: str
    name: str | None
    classes: pd.DataFrame
    scores: pd.DataFrame
    histogram: pd.DataFrame
    global_levels: pd.DataFrame
    competences: pd.DataFrame
    domains: pd.DataFrame
    heat_map: pd.DataFrame
    extremes: str
    sexes: pd.DataFrame
    years: pd.DataFrame
    follow_up: pd.DataFrame
    other_classes: pd.DataFrame
    unmatched: pd.DataFrame
    open_files: pd.DataFrame
    without_results: pd.DataFrame
    reconciliation: dict
    concerned_by: str = "files"  # how the concerned divisions were found: "mef" or "files"
    small_classes: tuple[str, ...] = ()  # their means withheld (k ≥ MIN_FOR_MEANS)

    @property
    def title(self) -> str:
        return f"{self.name} · {self.uai}" if self.name else f"Établissement {self.uai}"

    def headline(self) -> list[dict]:
        """The per-class counts and rates (no names), rates rounded to 0.1 %, for the Prefect artifact."""
        rows = []
        for row in self.classes.itertuples(index=False):
            rows.append({"Classe": row.division, "Élèves inscrits": int(row.roster), "Candidats": int(row.candidates),
                         "Non rattachés": int(row.unmatched), "Résultats écartés": int(row.set_aside),
                         "Absents": int(row.absents), "Validées": int(row.validated),
                         "Non obtenues": int(row.not_obtained),
                         "Annulées, en erreur ou non terminées": int(row.cancelled_or_error),
                         "Validées / candidats": _percent(row.rate_of_candidates),
                         "Validées / inscrits": _percent(row.rate_of_roster)})
        return rows


def make_bilan(stored: DataFrame[StoredCertificationFrame], enrolment: DataFrame[RosterFrame], school_year: str,
               uai: str, name: str | None = None, files: pd.DataFrame | None = None,
               set_aside: pd.DataFrame | None = None) -> Bilan:
    """The bilan of UAI for SCHOOL_YEAR; EmptyYearError when it has no core Pix certification that year.

    ENROLMENT is that year's (students, their division and MEF); FILES the class files of that year
    (YEAR_FILES_COLUMNS), SET_ASIDE their rows set aside (SET_ASIDE_COLUMNS, eleve_id when the row's names matched
    a student). STORED's student_division is the student's division that year.
    """
    # text stored before the readers removed control and bidi characters: the page, its charts (a class named
    # with an ESC stopped them) and the workbook are all made of it cleaned
    stored, enrolment, name = clean_frame(stored), clean_frame(enrolment), clean_value(name)
    files = clean_frame(_frame(files, YEAR_FILES_COLUMNS))
    set_aside = clean_frame(_frame(set_aside, SET_ASIDE_COLUMNS))
    candidates = select_candidates(stored, enrolment, school_year)
    if candidates.empty:
        raise EmptyYearError(f"Aucune certification Pix en {school_year} pour l'établissement {uai} : pas de bilan.")
    present = current_roster(enrolment)
    concerned, concerned_by = concerned_divisions(present, files)
    situations = student_situations(candidates, present, concerned, set_aside_students(present, files, set_aside))
    validated = candidates[candidates["outcome"] == VALIDATED]
    competences = competence_levels(validated)
    classes = count_classes(candidates, present, situations, concerned)
    small = find_small_classes(validated)
    return Bilan(
        uai=uai, school_year=school_year, name=name,
        classes=classes, scores=score_statistics(validated, small),
        histogram=score_histogram(validated, small), global_levels=global_level_shares(validated),
        competences=competences, domains=domain_levels(validated),
        heat_map=class_competence_means(validated, small),
        extremes=describe_extremes(competences), sexes=split_by_sex(candidates),
        years=compare_years(stored, enrolment, {school_year: candidates}, until=school_year),
        follow_up=list_follow_up(candidates, present, situations),
        other_classes=list_other_classes(present, candidates, concerned),
        unmatched=list_unmatched(candidates), open_files=list_open_files(files),
        without_results=list_classes_without_results(classes, files, concerned),
        reconciliation=reconcile(stored, candidates, school_year), concerned_by=concerned_by,
        small_classes=tuple(sorted(small)),
    )


def find_small_classes(validated: pd.DataFrame) -> set[str]:
    """The divisions of validated certifications numbering fewer than MIN_FOR_MEANS, whose means are withheld.

    A class with none is not listed: it has no mean to withhold."""
    sizes = validated.groupby("division").size()
    return set(sizes[sizes < MIN_FOR_MEANS].index)


def concerned_divisions(present: pd.DataFrame, files: pd.DataFrame) -> tuple[set[str], str]:
    """The divisions the certification concerns that year, and how they were found: those with a student whose
    MEF says so (3e, SEGPA included) when the enrolment gives such MEFs ("mef"), else those with a class results
    file ("files")."""
    mef = present["mef"].astype("string")
    by_mef = present[mef.str[:3].isin(list(CONCERNED_MEF_PREFIXES)).fillna(False).astype(bool)]
    if len(by_mef):
        return set(by_mef["division"]) - {NO_DIVISION}, "mef"
    return set(files["division"].dropna()), "files"


def set_aside_students(present: pd.DataFrame, files: pd.DataFrame, set_aside: pd.DataFrame) -> set[int]:
    """ELEVE_IDs whose result may be among what was set aside: a row whose names matched them, or the whole file
    of their class (a file nothing of which loaded)."""
    whole = _set_aside_whole(files)
    by_class = present.loc[present["division"].isin(whole), "eleve_id"]
    return {int(e) for e in set_aside["eleve_id"].dropna()} | {int(e) for e in by_class}


def student_situations(candidates: pd.DataFrame, present: pd.DataFrame, concerned: set[str],
                       set_aside: set[int]) -> pd.DataFrame:
    """eleve_id, division, situation of every enrolled student without a certification that year: SET_ASIDE
    when something of theirs was set aside (wherever their class), else ABSENT in a concerned division. A student
    with a certification counts by it, whatever else was set aside."""
    sat = set(candidates["eleve_id"].dropna().astype("int64"))
    without = present[~present["eleve_id"].isin(sat)]
    aside = without["eleve_id"].isin(list(set_aside))
    absent = ~aside & without["division"].isin(concerned)
    situation = pd.Series(np.where(aside, SET_ASIDE, ABSENT), index=without.index)
    return without[aside | absent].assign(situation=situation[aside | absent])


def current_roster(roster: pd.DataFrame) -> pd.DataFrame:
    """The enrolled students who have not left, with NO_DIVISION for those without one."""
    present = roster[roster["left_on"].isna()]
    return present.assign(division=present["division"].fillna(NO_DIVISION).astype(object))


def select_candidates(stored: pd.DataFrame, roster: pd.DataFrame, school_year: str) -> pd.DataFrame:
    """One row per candidate of SCHOOL_YEAR's core Pix certification: their best certification of the year.

    A candidate is a roster student (eleve_id) or, unmatched, a certification number. Their best is validated,
    else not obtained, else cancelled or in error (started counts there); then the latest. An undated
    certification counts in its file's year only, as in the livret. Adds outcome, division (roster's, else the
    file's, else NO_DIVISION) and sex (roster's, None when unmatched).
    """
    year = select_core_certifications(stored, school_year)
    outcome = year["status"].map(_OUTCOME_OF_STATUS)
    key = year["eleve_id"].astype("string").radd("e").fillna(year["number"].astype("string").radd("c"))
    ranked = year.assign(outcome=outcome, _key=key, _rank=outcome.map(_RANK), _dated=year["passed_on"].notna())
    ranked = ranked.sort_values(["_key", "_rank", "_dated", "passed_on", "number"],
                                ascending=[True, True, False, False, False], kind="stable", na_position="last")
    best = ranked.drop_duplicates("_key", keep="first")
    division = best["student_division"].fillna(best["division"]).fillna(NO_DIVISION)
    sexes = roster.set_index("eleve_id")["sex"]
    sex = best["eleve_id"].map(sexes.to_dict()).where(best["eleve_id"].notna(), None)
    return (best.assign(division=division.astype(object), sex=sex.astype(object))
            .drop(columns=["_key", "_rank", "_dated"]).reset_index(drop=True))


def count_classes(candidates: pd.DataFrame, present: pd.DataFrame, situations: pd.DataFrame,
                  concerned: set[str]) -> pd.DataFrame:
    """Per division (concerned ones, and others with a candidate; sorted) then the ESTABLISHMENT total: counts
    and rates. The total's roster, set aside and absents, and its rate of the enrolled, count concerned divisions
    only: a 4e class is never in a denominator."""
    divisions = sorted(concerned | set(candidates["division"]))
    counts = pd.DataFrame({
        "roster": present.groupby("division").size(),
        "candidates": candidates.groupby("division").size(),
        "unmatched": candidates[candidates["eleve_id"].isna()].groupby("division").size(),
        "set_aside": situations[situations["situation"] == SET_ASIDE].groupby("division").size(),
        "absents": situations[situations["situation"] == ABSENT].groupby("division").size(),
        **{name: candidates[candidates["outcome"] == name].groupby("division").size()
           for name in (VALIDATED, NOT_OBTAINED, CANCELLED_OR_ERROR)},
    }).reindex(divisions).fillna(0).astype("int64")
    is_concerned = counts.index.isin(list(concerned))
    total = counts.sum()
    for name in ("roster", "set_aside", "absents"):
        total[name] = counts.loc[is_concerned, name].sum()
    counts["concerned"] = is_concerned
    counts.loc[ESTABLISHMENT] = {**total.to_dict(), "concerned": True}
    counts["rate_of_candidates"] = _ratio(counts[VALIDATED], counts["candidates"])
    concerned_validated = counts.loc[is_concerned.tolist() + [False], VALIDATED].sum()
    counts["rate_of_roster"] = _ratio(counts[VALIDATED].where(counts.index != ESTABLISHMENT, concerned_validated),
                                      counts["roster"])
    counts[list(COUNTS)] = counts[list(COUNTS)].astype("int64")
    return counts.rename_axis("division").reset_index()


def list_other_classes(present: pd.DataFrame, candidates: pd.DataFrame, concerned: set[str]) -> pd.DataFrame:
    """The year's divisions the certification does not concern and where nobody sat it: division, roster."""
    others = present[~present["division"].isin(concerned | set(candidates["division"]))]
    counts = others.groupby("division").size()
    return pd.DataFrame({"division": counts.index.astype(object), "roster": counts.to_numpy(dtype="int64")})


def list_unmatched(candidates: pd.DataFrame) -> pd.DataFrame:
    """The candidates matched to no SIECLE student, with Pix's names and where their row is."""
    unmatched = candidates[candidates["eleve_id"].isna()]
    frame = pd.DataFrame({
        "division": unmatched["division"].astype(object), "last_name": unmatched["last_name"].astype(object),
        "first_name": unmatched["first_name"].astype(object),
        "status": unmatched["status"].map(STATUS_LABELS).astype(object),
        "file": unmatched.get("source_file", pd.Series(None, index=unmatched.index)).astype(object),
        "row": unmatched.get("source_row", pd.Series(None, index=unmatched.index)).astype("Int64")})
    return frame.sort_values(["division", "last_name", "first_name"], kind="stable").reset_index(drop=True)


def list_open_files(files: pd.DataFrame) -> pd.DataFrame:
    """The year's class files set aside (whole or partly) and still open: file, division, status, rows."""
    still = files[files["open"].astype(bool)]
    return pd.DataFrame({"file": still["name"].astype(object), "division": still["division"].astype(object),
                         "status": still["status"].map(FILE_STATUS_LABELS).astype(object),
                         "rows_quarantined": still["rows_quarantined"].astype("int64")}).reset_index(drop=True)


def list_classes_without_results(classes: pd.DataFrame, files: pd.DataFrame, concerned: set[str]) -> pd.DataFrame:
    """Concerned classes without a candidate: division, and why (their file set aside, or no file at all)."""
    empty = classes[(classes["division"] != ESTABLISHMENT) & classes["division"].isin(concerned)
                    & (classes["candidates"] == 0)]["division"]
    set_aside = _set_aside_whole(files)
    reasons = ["Fichier de la classe écarté" if d in set_aside else "Aucun fichier de résultats" for d in empty]
    return pd.DataFrame({"division": list(empty), "reason": reasons}, dtype=object)


def reconcile(stored: pd.DataFrame, candidates: pd.DataFrame, school_year: str) -> dict:
    """How the bilan's validated certifications meet the livret's: in the livret file (the latest final
    certification of each matched student, as select_livret takes it) plus the unmatched, plus the students whose
    validated certification is not their latest."""
    from transforms.select_livret import livret_statuses  # its year filter is the livret's own

    validated = candidates[candidates["outcome"] == VALIDATED]
    in_livret = int((livret_statuses(stored, school_year) == Status.VALIDATED.value).sum())
    unmatched = int(validated["eleve_id"].isna().sum())
    return {"bilan": len(validated), "livret": in_livret, "unmatched": unmatched,
            "not_latest": len(validated) - in_livret - unmatched}


def _set_aside_whole(files: pd.DataFrame) -> set[str]:
    """Divisions whose class file was set aside whole and not replaced since."""
    return set(files.loc[(files["status"] == "quarantined") & files["set_aside"].astype(bool), "division"].dropna())


def _frame(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns) if frame is None else frame


def score_statistics(validated: pd.DataFrame, small: set[str] = frozenset()) -> pd.DataFrame:
    """Per division then ESTABLISHMENT: n, mean, median, q1, q3 of the validated scores; a SMALL class keeps its
    n, its statistics NaN."""
    scored = validated[validated["score"].notna()].assign(score=lambda f: f["score"].astype(float))
    # one grouped pass per statistic, not a Series per class: 30 classes cost what one does
    by_class = scored.groupby("division", sort=True)["score"]
    rows = pd.DataFrame({"n": by_class.size(), "mean": by_class.mean(), "median": by_class.median(),
                         "q1": by_class.quantile(0.25), "q3": by_class.quantile(0.75)})
    rows.loc[rows.index.isin(list(small)), ["mean", "median", "q1", "q3"]] = np.nan
    rows = rows.rename_axis("division").reset_index()
    total = pd.DataFrame([_score_row(ESTABLISHMENT, scored["score"])], columns=rows.columns)
    return pd.concat([rows, total], ignore_index=True).astype({"n": "int64"})


def score_histogram(validated: pd.DataFrame, small: set[str] = frozenset()) -> pd.DataFrame:
    """division, bin_start, bin_end, n: the validated scores per division, bins of SCORE_BIN pix from 0; a SMALL
    class has none (a bin of one would be a student's score)."""
    scores = validated[validated["score"].notna()]
    top = int(scores["score"].max()) if len(scores) else 0
    edges = np.arange(0, (top // SCORE_BIN + 1) * SCORE_BIN + 1, SCORE_BIN)  # the top score falls in the last bin
    shown = scores[~scores["division"].isin(list(small))]
    divisions = sorted(set(shown["division"]))
    bins = len(edges) - 1
    # every class's bins counted at once: a score's bin is its multiple of SCORE_BIN (the top one is inside the last)
    which = pd.Categorical(shown["division"], categories=divisions).codes.astype("int64") * bins
    counts = np.bincount(which + (shown["score"].to_numpy(dtype=float) // SCORE_BIN).astype(int),
                         minlength=len(divisions) * bins)
    return pd.DataFrame({"division": np.repeat(np.array(divisions, dtype=object), bins),
                         "bin_start": np.tile(edges[:-1], len(divisions)).astype("int64"),
                         "bin_end": np.tile(edges[1:], len(divisions)).astype("int64"),
                         "n": counts.astype("int64")})


def global_level_shares(validated: pd.DataFrame) -> pd.DataFrame:
    """level, n, share among the validated certifications that have a global level (v3 exports); empty without."""
    levels = validated["global_level"].dropna()  # v2 exports give none: nothing to count, nothing lost
    if levels.empty:
        return pd.DataFrame({"level": pd.Series(dtype=object), "n": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype=float)})
    counts = levels.value_counts().reindex(list(GLOBAL_LEVEL_LABELS), fill_value=0)
    return pd.DataFrame({"level": counts.index, "n": counts.to_numpy(dtype="int64"),
                         "share": counts.to_numpy() / len(levels)})


def competence_levels(validated: pd.DataFrame) -> pd.DataFrame:
    """Per competence of the referential: levels of the validated certifications (None: not evaluated)."""
    rows = [{"code": c.code, "label": c.label, "domain": c.domain, **_level_summary(validated[[c.column]])}
            for c in COMPETENCES]
    return pd.DataFrame(rows)


def domain_levels(validated: pd.DataFrame) -> pd.DataFrame:
    """Per domain: the levels of its competences pooled (a student evaluated on 3 competences counts 3 times)."""
    rows = [{"code": d.code, "label": d.label, **_level_summary(validated[[c.column for c in competences_of(d)]])}
            for d in DOMAINS]
    return pd.DataFrame(rows)


def class_competence_means(validated: pd.DataFrame, small: set[str] = frozenset()) -> pd.DataFrame:
    """Divisions (rows, sorted) × competence codes (columns): mean level over the evaluated, NaN for none and for
    every competence of a SMALL class."""
    columns = [c.column for c in COMPETENCES]
    levels = pd.DataFrame(validated[columns].to_numpy(dtype=float, na_value=np.nan), columns=columns,
                          index=validated.index).assign(division=validated["division"])
    means = levels.groupby("division", sort=True)[columns].mean()
    means.loc[means.index.isin(list(small))] = np.nan
    return means.rename(columns={c.column: c.code for c in COMPETENCES}).rename_axis(index="division", columns=None)


def describe_extremes(competences: pd.DataFrame, count: int = 3) -> str:
    """The COUNT strongest and weakest competences by mean level, as a sentence for a council report."""
    evaluated = competences[competences["mean"].notna()]
    if evaluated.empty:
        return "Aucune compétence n'a été évaluée cette année."
    count = min(count, len(evaluated) // 2) or 1
    strongest = evaluated.sort_values(["mean", "code"], ascending=[False, True]).head(count)
    # ties at the same mean: the weakest are taken among the others, so no competence is named twice
    others = evaluated[~evaluated["code"].isin(strongest["code"])]
    weakest = others.sort_values(["mean", "code"], ascending=[True, True]).head(count)
    missing = competences[competences["mean"].isna()]

    def named(rows: pd.DataFrame) -> str:
        return ", ".join(f"« {r.label} » ({r.code}, niveau moyen {_decimal(r.mean)})" for r in rows.itertuples())

    sentence = (f"Les compétences les mieux maîtrisées sont {named(strongest)} ; "
                f"les moins maîtrisées sont {named(weakest)}.")
    if len(missing):
        sentence += (" Aucun candidat n'a été évalué sur " +
                     ", ".join(f"« {r.label} » ({r.code})" for r in missing.itertuples()) + ".")
    return sentence


def split_by_sex(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per unit (ESTABLISHMENT, then each division): per sex, candidates, validated, rate, mean score of the
    validated (NaN under MIN_FOR_MEANS validated). Candidates without a known sex (unmatched) are left out of the
    split, not of the other tables.
    """
    known = candidates[candidates["sex"].isin(list(SEXES))]
    valid = (known["outcome"] == VALIDATED).to_numpy()
    frame = pd.DataFrame({"division": known["division"].astype(object).to_numpy(), "sex": known["sex"].to_numpy(),
                          "valid": valid, "score": known["score"].astype(float).where(valid).to_numpy()})
    # counted in two grouped passes (the establishment, its classes), then read per unit: a filter per class and
    # per sex cost 0.3 s for 30 classes
    figures = {**_sex_figures(frame, []), **_sex_figures(frame, ["division"])}
    rows = []
    for unit in [ESTABLISHMENT, *sorted(set(frame["division"]))]:
        sizes = {sex: figures.get((unit, sex), (0,))[0] for sex in SEXES}
        small = any(n < MIN_GROUP for n in sizes.values())
        for sex, label in SEXES.items():
            if small:
                hidden = SMALL_GROUP if sizes[sex] < MIN_GROUP else WITHHELD
                rows.append([unit, label, hidden, hidden, hidden, hidden])
                continue
            members, validated, scored, mean = figures[unit, sex]
            rows.append([unit, label, members, validated, validated / members,
                         mean if scored >= MIN_FOR_MEANS else np.nan])
    return pd.DataFrame(rows, columns=["unit", "sex", "candidates", "validated", "rate", "mean_score"], dtype=object)


def _sex_figures(frame: pd.DataFrame, by: list[str]) -> dict[tuple[str, str], tuple[int, int, int, float]]:
    """(unit, sex) → candidates, validated, validated with a score, their mean score; the unit is ESTABLISHMENT
    when BY is empty, else the division."""
    grouped = frame.groupby([*by, "sex"], sort=False).agg(candidates=("valid", "size"), validated=("valid", "sum"),
                                                          scored=("score", "count"), mean=("score", "mean"))
    figures = {}
    for key, row in zip(grouped.index, grouped.itertuples(index=False)):
        unit, sex = key if by else (ESTABLISHMENT, key)
        figures[unit, sex] = (int(row.candidates), int(row.validated), int(row.scored), float(row.mean))
    return figures


def compare_years(stored: pd.DataFrame, roster: pd.DataFrame, selected: dict[str, pd.DataFrame] | None = None, *,
                  until: str | None = None) -> pd.DataFrame:
    """Per school year holding a core certification (oldest first), UNTIL that one when given: candidates,
    validated, rate, mean score. A year's bilan compares it with the years before, never with a later one: made again
    once a new year is loaded, it says what it said. SELECTED: the candidates of years already selected
    (select_candidates), by school year."""
    core = stored[stored["certification_type"] == CORE_CERTIFICATION_TYPE]
    last = int(until[:4]) if until else None
    years = [f"{first}-{first + 1}" for first in sorted(int(y) for y in core["school_year"].dropna().unique())
             if last is None or first <= last]
    rows = []
    for year in years:
        candidates = (selected or {}).get(year)
        if candidates is None:
            candidates = select_candidates(stored, roster, year)
        valid = candidates[candidates["outcome"] == VALIDATED]
        rows.append([year, len(candidates), len(valid), len(valid) / len(candidates),
                     valid["score"].dropna().astype(float).mean() if len(valid) else np.nan])
    return pd.DataFrame(rows, columns=["school_year", "candidates", "validated", "rate", "mean_score"])


def list_follow_up(candidates: pd.DataFrame, present: pd.DataFrame, situations: pd.DataFrame) -> pd.DataFrame:
    """Enrolled students without a validated certification, with their INE: absent, result set aside, or their
    best certification's status (not obtained, cancelled, in error, not finished). SITUATIONS holds those without
    a certification."""
    without = situations.assign(situation=situations["situation"].map(FOLLOW_UP_LABELS))
    failed = candidates[candidates["eleve_id"].notna() & (candidates["outcome"] != VALIDATED)]
    # the roster's spelling of the names, not Pix's
    failed = failed[["eleve_id", "division", "status"]].merge(
        present[["eleve_id", "last_name", "usage_name", "first_name", "ine"]], on="eleve_id")
    failed = failed.assign(situation=failed["status"].map(STATUS_LABELS))
    columns = ["division", "usage_name", "last_name", "first_name", "ine", "situation"]
    both = pd.concat([without[columns], failed[columns]], ignore_index=True).astype(object)
    both = both.where(both.notna(), None)
    # the name the school uses: the usage name when SIECLE has one
    both["last_name"] = both["usage_name"].fillna(both["last_name"])
    return (both.drop(columns="usage_name").sort_values(["division", "last_name", "first_name"], kind="stable")
            .reset_index(drop=True))


def _level_summary(levels: pd.DataFrame) -> dict:
    values = levels.to_numpy(dtype=float, na_value=np.nan).ravel()  # a domain's competences side by side
    evaluated = values[~np.isnan(values)]
    pairs, seen = len(values), len(evaluated)

    def share(reached: np.ndarray) -> float:
        return reached.sum() / seen if seen else np.nan

    return {"n": len(levels), "evaluated": seen, "mean": evaluated.mean() if seen else np.nan,
            "share_ge_1": share(evaluated >= 1), "share_ge_2": share(evaluated >= 2),
            "share_ge_3": share(evaluated >= 3), "share_not_evaluated": (pairs - seen) / pairs if pairs else np.nan}


def _score_row(division: str, scores: pd.Series, withheld: bool = False) -> tuple:
    if scores.empty or withheld:
        return (division, len(scores), np.nan, np.nan, np.nan, np.nan)
    return (division, len(scores), scores.mean(), scores.median(), scores.quantile(0.25), scores.quantile(0.75))


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def _percent(value: float) -> str | None:
    return None if pd.isna(value) else f"{value * 100:.1f} %".replace(".", ",")


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


ACADEMIE = "Académie"  # the total row of the académie summary
# the rows of the académie summary's table
ESTABLISHMENT_LEVEL, DEPARTEMENT_LEVEL, ACADEMIE_LEVEL = "etablissement", "departement", "academie"
# counted in the summary line since the académie summary shows them; a line left by an older bilan has none
ATTENTION_COUNTS = ("files_set_aside", "classes_without_results")
# what a line of fewer than MIN_GROUP candidates keeps to itself: its rates, and the outcomes that would give
# them back (3 validated of 4 candidates is the 75 % withheld)
WITHHELD_UNDER_MIN_CANDIDATES = ("rate_of_candidates", "rate_of_roster", VALIDATED, NOT_OBTAINED,
                                 CANCELLED_OR_ERROR)
DOMAIN_COLUMNS = tuple(f"domain_{d.code}" for d in DOMAINS)
PREVIOUS = ("candidates", VALIDATED, "mean_score", "scored")  # what the previous year's line lends its successor


def previous_school_year(school_year: str) -> str:
    """"2025-2026" → "2024-2025"."""
    first = int(school_year[:4]) - 1
    return f"{first}-{first + 1}"


def summarise_establishment(bilan: Bilan) -> dict:
    """The establishment's line of the académie summary: its totals, mean score and domain levels, and what needs
    attention (files set aside and still open, concerned classes without results, unmatched certifications);
    counts and means only, no student's name.

    The counts behind each mean (validated, evaluated levels) travel with it, for the académie's weighted means.
    """
    total = bilan.classes[bilan.classes["division"] == ESTABLISHMENT].iloc[0]
    scores = bilan.scores[bilan.scores["division"] == ESTABLISHMENT].iloc[0]
    classes = bilan.classes[bilan.classes["division"] != ESTABLISHMENT]
    row = {"uai": bilan.uai, "name": bilan.name or "", "school_year": bilan.school_year,
           **{name: int(total[name]) for name in COUNTS},
           # the numerator of the rate of the enrolled: the validated of the concerned classes
           "validated_concerned": int(classes.loc[classes["concerned"].astype(bool), VALIDATED].sum()),
           "files_set_aside": len(bilan.open_files), "classes_without_results": len(bilan.without_results),
           "mean_score": scores["mean"], "scored": int(scores["n"])}
    for domain in bilan.domains.itertuples():
        row[f"domain_{domain.code}"], row[f"evaluated_{domain.code}"] = domain.mean, domain.evaluated
    return row


@dataclass(frozen=True)
class AcademieSummary:
    """The académie summary of one school year, counts and means only.

    table: the establishments (by département, then UAI); after each département's, its total when the summary
        spans several départements; last the ACADEMIE total. level (ESTABLISHMENT_LEVEL, DEPARTEMENT_LEVEL,
        ACADEMIE_LEVEL), departement (the UAI's three digits) and departement_label, uai, name, establishments
        (how many the row counts), the COUNTS, files_set_aside and classes_without_results (NaN: unknown, the line
        of a bilan made before they were counted), rate_of_candidates, rate_of_roster, mean_score, domain_1…5,
        and from the previous year's lines previous_candidates, previous_rate, previous_mean_score (NaN: no line).
        A row under MIN_GROUP candidates (or whose mean rests on fewer than MIN_GROUP validated certifications)
        holds WITHHELD instead of what it keeps to itself: those columns are of object dtype.
    quartiles: indicator (rate_of_candidates, mean_score), n (establishments shown), q1, median, q3: the
        distribution of the establishments' figures, of those not withheld only.
    departements: how many départements the establishments are in.
    """

    table: pd.DataFrame
    quartiles: pd.DataFrame
    departements: int

    @property
    def establishments(self) -> pd.DataFrame:
        return self.table[self.table["level"] == ESTABLISHMENT_LEVEL]


def summarise_academie(rows: list[dict], previous: list[dict] = ()) -> AcademieSummary:
    """The académie summary of ROWS, one summary line per establishment of one school year, with PREVIOUS (the
    lines of the year before, when their bilans were made) beside them: counts summed per département and for
    the académie, rates and means recomputed from them, then what a small group would give away withheld."""
    # the lines come from bilans made earlier, perhaps of text stored before the readers cleaned it
    frame = _summary_lines(clean_frame(pd.DataFrame(rows)))
    frame = frame.assign(departement=frame["uai"].map(departement_of), establishments=1,
                         **_previous_year(frame["uai"], previous))
    parts = []
    departements = sorted(set(frame["departement"]))
    for code in departements:
        members = frame[frame["departement"] == code].sort_values("uai", kind="stable")
        parts.append(members.assign(level=ESTABLISHMENT_LEVEL))
        if len(departements) > 1:
            parts.append(pd.DataFrame([_total(members, DEPARTEMENT_LEVEL, f"Total {departement_label(code)}", code)]))
    parts.append(pd.DataFrame([_total(frame, ACADEMIE_LEVEL, ACADEMIE, None)]))
    table = pd.concat(parts, ignore_index=True)
    table["departement_label"] = table["departement"].map(departement_label, na_action="ignore")
    table = _with_rates(table)
    quartiles = academie_quartiles(_withheld(table))
    return AcademieSummary(_withheld(table), quartiles, len(departements))


def _summary_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """The lines with every count they should carry: an older bilan's line lacks some."""
    counts = [*COUNTS, "validated_concerned"]
    frame = frame.reindex(columns=[*frame.columns, *(c for c in [*counts, *ATTENTION_COUNTS, "scored"]
                                                    if c not in frame.columns)])
    # a line left by a bilan made before these counts existed: none set aside or unmatched known, all concerned
    frame["validated_concerned"] = frame["validated_concerned"].fillna(frame[VALIDATED])
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["scored"] = frame["scored"].fillna(frame[VALIDATED])
    # files set aside and classes without results: unknown (NaN) in an older line, never taken for none
    frame[list(ATTENTION_COUNTS)] = frame[list(ATTENTION_COUNTS)].astype(float)
    return frame


def _previous_year(uais: pd.Series, previous: list[dict]) -> dict[str, pd.Series]:
    """previous_candidates, previous_validated, previous_mean_score, previous_scored for each UAI: from its line
    of the year before, NaN when there is none (nothing is taken from another year's data)."""
    lines = clean_frame(pd.DataFrame(list(previous)))
    lines = lines.reindex(columns=[*lines.columns, *(c for c in ("uai", *PREVIOUS) if c not in lines.columns)])
    lines["scored"] = lines["scored"].fillna(lines[VALIDATED])  # an older line: every validated one had a score
    by_uai = lines.drop_duplicates("uai", keep="last").set_index("uai")
    return {f"previous_{name}": uais.map(by_uai[name].astype(float)) for name in PREVIOUS}


def _total(members: pd.DataFrame, level: str, uai: str, departement: str | None) -> dict:
    """The total row of MEMBERS: counts summed (an unknown attention count makes the total unknown), means
    weighted by their counts; the previous year's over the members that have a line of it."""
    counts = [*COUNTS, "validated_concerned", "scored"]
    total = {"level": level, "departement": departement, "uai": uai,
             "name": f"{len(members)} établissement{'s' if len(members) > 1 else ''}",
             "establishments": len(members), **members[counts].sum().to_dict(),
             **{c: members[c].sum(min_count=len(members)) for c in ATTENTION_COUNTS},
             "mean_score": _weighted(members["mean_score"], members["scored"])}
    for domain in DOMAINS:
        total[f"domain_{domain.code}"] = _weighted(members[f"domain_{domain.code}"],
                                                   members[f"evaluated_{domain.code}"])
        total[f"evaluated_{domain.code}"] = members[f"evaluated_{domain.code}"].sum()
    known = members[members["previous_candidates"].notna()]
    total |= {f"previous_{name}": known[f"previous_{name}"].sum() if len(known) else np.nan
              for name in ("candidates", VALIDATED, "scored")}
    total["previous_mean_score"] = _weighted(known["previous_mean_score"], known["previous_scored"])
    return total


def _with_rates(table: pd.DataFrame) -> pd.DataFrame:
    counts = [*COUNTS, "validated_concerned", "establishments"]
    table = table.assign(**{c: table[c].astype("int64") for c in counts})
    return table.assign(rate_of_candidates=_ratio(table[VALIDATED], table["candidates"]),
                        rate_of_roster=_ratio(table["validated_concerned"], table["roster"]),
                        previous_rate=_ratio(table["previous_validated"], table["previous_candidates"]))


def _withheld(table: pd.DataFrame) -> pd.DataFrame:
    """TABLE with WITHHELD where a figure would describe fewer than MIN_GROUP students: a row's rates and
    outcomes under MIN_GROUP candidates, its mean score under MIN_GROUP scored certifications, its domain levels
    under MIN_GROUP validated ones; the same for the previous year's rate and mean."""
    few = table["candidates"] < MIN_GROUP
    rules = {**{column: few for column in WITHHELD_UNDER_MIN_CANDIDATES},
             "mean_score": few | (table["scored"] < MIN_GROUP),
             **{column: few | (table[VALIDATED] < MIN_GROUP) for column in DOMAIN_COLUMNS},
             "previous_rate": table["previous_candidates"] < MIN_GROUP,
             "previous_mean_score": (table["previous_candidates"] < MIN_GROUP) | (table["previous_scored"] < MIN_GROUP)}
    shown = table.copy()
    for column, hidden in rules.items():
        shown[column] = shown[column].astype(object).where(~hidden, WITHHELD)
    return shown


def academie_quartiles(table: pd.DataFrame) -> pd.DataFrame:
    """indicator, n, q1, median, q3 of the establishments' rate of validated among candidates and mean score,
    over those whose figure is shown (a withheld one is left out: the quartiles of three schools would give it)."""
    rows = []
    for indicator in ("rate_of_candidates", "mean_score"):
        values = pd.to_numeric(table.loc[table["level"] == ESTABLISHMENT_LEVEL, indicator], errors="coerce").dropna()
        quantiles = values.quantile([0.25, 0.5, 0.75]).tolist() if len(values) else [np.nan] * 3
        rows.append([indicator, len(values), *quantiles])
    return pd.DataFrame(rows, columns=["indicator", "n", "q1", "median", "q3"])


def _weighted(means: pd.Series, weights: pd.Series) -> float:
    known = means.notna() & (weights > 0)
    return float((means[known] * weights[known]).sum() / weights[known].sum()) if known.any() else np.nan
