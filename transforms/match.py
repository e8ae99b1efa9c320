"""Matches each certification of a file to a student of the SIECLE roster, or says why it cannot.

Takes a CertificationFrame and a RosterFrame; returns a MatchFrame and the match problems.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from pandera.typing import DataFrame

from schemas.certification import CertificationFrame
from schemas.problems import ProblemFrame, make_problems
from schemas.roster import MatchFrame, RosterFrame
from transforms.identifiers import clean_identifier, parse_eleve_id

# Letters NFKD does not decompose into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
                           "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"})
NOT_LETTER_OR_DIGIT = re.compile(r"[^A-Z0-9]")
FAMILY, USAGE = "family", "usage"

# Key of the name index: birth date, folded first name, folded last name.
NameKey = tuple[object, str, str]


@dataclass(frozen=True)
class RosterIndex:
    """The roster as dictionaries, so each certification costs a few look-ups, not a scan."""

    by_identifier: dict[str, tuple[int, object]]  # INE or ELEVE_ID -> (ELEVE_ID, birth day)
    by_name: dict[NameKey, dict[int, str]]  # -> {ELEVE_ID: FAMILY or USAGE}
    names: dict[int, dict]  # ELEVE_ID -> the names as SIECLE writes them


@lru_cache(maxsize=65536)  # names repeat (first names above all): fold each spelling once
def normalise_name(text: str) -> str:
    """The name upper-cased, without accents, ligatures, hyphens, spaces or apostrophes: A-Z and 0-9 only."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    return NOT_LETTER_OR_DIGIT.sub("", decomposed.upper())


def match_students(certifications: DataFrame[CertificationFrame],
                   roster: DataFrame[RosterFrame]) -> DataFrame[MatchFrame]:
    """One row per certification, in its order and index: the roster student it belongs to and how.

    The external id (an INE or ELEVE_ID with the same birth date) wins; otherwise birth date and names
    must agree, and when two or more students fit none is chosen ("ambiguous").
    """
    return MatchFrame.validate(find_matches(certifications, roster))


def find_matches(certifications: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    """match_students without the final schema check, for callers that check many establishments at once.

    Without a roster every certification is unmatched.
    """
    if roster is None:
        return _match_frame([(n, None, "unmatched", 0) for n in certifications["certification_number"].tolist()],
                            certifications.index)
    index = RosterIndex(index_identifiers(roster), index_names(roster), index_student_names(roster))
    numbers, firsts, lasts, externals = columns_of(
        certifications, "certification_number", "first_name", "last_name", "external_id")
    rows = [
        match_one(number, first, last, birth, external, index)
        for number, first, last, birth, external in zip(
            numbers, firsts, lasts, birth_dates_of(certifications), externals, strict=True)
    ]
    return _match_frame(rows, certifications.index)


def _match_frame(rows: list[tuple], index: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["certification_number", "eleve_id", "match_method", "candidates"], index=index)
    frame["certification_number"] = frame["certification_number"].astype("Int64")
    frame["eleve_id"] = frame["eleve_id"].astype("Int64")
    frame["candidates"] = frame["candidates"].astype("int64")
    frame["match_method"] = frame["match_method"].astype(object)
    return frame


def columns_of(frame: pd.DataFrame, *columns: str) -> list[list]:
    """The columns as plain lists: iterating pandas extension arrays costs a call per cell."""
    return [frame[column].tolist() for column in columns]


def birth_dates_of(frame: pd.DataFrame) -> list:
    """Birth dates as numpy days: one unit whatever the frame's resolution, no time of day, quick to hash."""
    return list(pd.to_datetime(frame["birth_date"]).to_numpy().astype("datetime64[D]"))


def index_student_names(roster: pd.DataFrame) -> dict[int, dict]:
    """ELEVE_ID -> the student's names, to tell an exact match from a normalised one."""
    fields = ("last_name", "first_name", "other_first_names")
    eleve_ids, *names = columns_of(roster, "eleve_id", *fields)
    return {int(eleve_id): dict(zip(fields, values, strict=True))
            for eleve_id, *values in zip(eleve_ids, *names, strict=True)}


def index_identifiers(roster: pd.DataFrame) -> dict[str, tuple[int, object]]:
    """INE and ELEVE_ID (as text) -> (ELEVE_ID, birth date): what a school may have typed as external id."""
    index: dict[str, tuple[int, object]] = {}
    eleve_ids, ines = columns_of(roster, "eleve_id", "ine")
    for eleve_id, ine, birth in zip(eleve_ids, ines, birth_dates_of(roster), strict=True):
        index[str(int(eleve_id))] = (int(eleve_id), birth)
        if isinstance(ine, str) and ine:
            index[ine] = (int(eleve_id), birth)
    return index


def index_names(roster: pd.DataFrame) -> dict[NameKey, dict[int, str]]:
    """(birth date, first name, last name) folded -> {ELEVE_ID: FAMILY or USAGE}, every way a student may be named."""
    index: dict[NameKey, dict[int, str]] = {}
    eleve_ids, firsts, others, lasts, usages = columns_of(
        roster, "eleve_id", "first_name", "other_first_names", "last_name", "usage_name")
    births = birth_dates_of(roster)
    rows = zip(eleve_ids, births, firsts, others, lasts, usages, strict=True)
    for eleve_id, birth, first, other, last, usage in rows:
        if pd.isna(birth):
            continue
        first_keys = folded({first, joined(first, other)})
        # the usage name first, so a family name folding to the same text wins the slot
        for last_key, kind in ((normalise_name(usage), USAGE), (normalise_name(last), FAMILY)):
            if not last_key:
                continue
            for first_key in first_keys:
                index.setdefault((birth, first_key, last_key), {})[int(eleve_id)] = kind
    return index


def match_one(number: int, first: str, last: str, birth: object, external: object, index: RosterIndex) -> tuple:
    """(certification number, ELEVE_ID or None, method, candidates) for one certification."""
    if pd.isna(birth):
        return number, None, "unmatched", 0
    eleve_id = match_identifier(external, birth, index.by_identifier)
    if eleve_id is not None:
        return number, eleve_id, "ine", 1
    fits = find_name_fits(first, last, birth, index.by_name)
    if not fits:
        return number, None, "unmatched", 0
    if len(fits) > 1:
        return number, None, "ambiguous", len(fits)
    (eleve_id, kind), = fits.items()
    return number, eleve_id, name_method(kind, first, last, index.names[eleve_id]), 1


def match_identifier(external: object, birth: object, by_identifier: dict) -> int | None:
    """The ELEVE_ID whose INE or ELEVE_ID is the external id, when the birth date agrees too."""
    cleaned = clean_identifier(external)
    if cleaned is None:
        return None
    # Spreadsheets drop leading zeros, so a numeric id is compared as a number.
    numeric = parse_eleve_id(cleaned)
    found = by_identifier.get(cleaned) or (by_identifier.get(str(numeric)) if numeric is not None else None)
    if found is None or found[1] != birth:
        return None
    return found[0]


def find_name_fits(first: str, last: str, birth: object, by_name: dict) -> dict[int, str]:
    """ELEVE_ID -> FAMILY or USAGE for every roster student the names and birth date fit."""
    last_key = normalise_name(last)
    if not last_key:
        return {}
    words = first.split() if isinstance(first, str) else []
    # Pix may hold all the first names where SIECLE has the first one alone.
    first_keys = folded({first, words[0] if words else ""})
    fits: dict[int, str] = {}
    for first_key in first_keys:
        for eleve_id, kind in by_name.get((birth, first_key, last_key), {}).items():
            if fits.get(eleve_id) != FAMILY:
                fits[eleve_id] = kind
    return fits


def name_method(kind: str, first: str, last: str, student: dict) -> str:
    """"usage_name", "exact" when the names differ by case (or blanks) only, else "normalised"."""
    if kind == USAGE:
        return "usage_name"
    first = same_case(first)
    first_names = {same_case(student["first_name"]),
                   same_case(joined(student["first_name"], student["other_first_names"]))}
    if same_case(last) == same_case(student["last_name"]) and first in first_names:
        return "exact"
    return "normalised"


def same_case(text: object) -> str:
    return " ".join(text.split()).casefold() if isinstance(text, str) else ""


def joined(first: str, others: object) -> str:
    return f"{first} {others}" if isinstance(others, str) and others else first


def folded(texts: Iterable[object]) -> set[str]:
    """The non-empty folded forms: a name that folds to nothing (another script) must never match."""
    return {key for text in texts if (key := normalise_name(text))}


MATCH_MESSAGES = {
    "unmatched": ("unmatched_student",
                  "Élève introuvable dans la liste SIECLE (date de naissance et noms comparés) : "
                  "certification chargée sans rattachement"),
    "ambiguous": ("ambiguous_student",
                  "Plusieurs élèves de la liste SIECLE correspondent ({candidates}) : aucun rattachement choisi"),
}


def match_problems(certifications: DataFrame[CertificationFrame],
                   matches: DataFrame[MatchFrame]) -> DataFrame[ProblemFrame]:
    """A "match" problem for each ambiguous or unmatched certification, at its row of its file."""
    if len(certifications) != len(matches):
        raise ValueError("matches must hold one row per certification, in the same order")
    records = []
    for file, row, method, candidates in zip(certifications["source_file"], certifications["row_number"],
                                             matches["match_method"], matches["candidates"], strict=True):
        if method not in MATCH_MESSAGES:
            continue
        rule, message = MATCH_MESSAGES[method]
        records.append({"stage": "match", "file": file, "row": int(row), "column": None, "rule": rule,
                        "value": None, "message": message.format(candidates=int(candidates))})
    return make_problems(records)
