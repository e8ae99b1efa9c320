"""The sample's people: invented French names, as each of SIECLE and Pix spells them, and the seeded draws
(students, INEs, sessions, results) of one sample.

Takes a seed; gives persons, students and certifications."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pix_livret.demo.class_csv import (CANCELLED_COMMENT, CENTRE_LABEL, COMMENT_LABEL, ERROR_COMMENT, ExportVersion,
                                       HEADERS, REJECTED_COMMENT, V2_VERSIONS)
from pix_livret.demo.records import SampleCertification, SampleStudent
from pix_livret.demo.roster import SCHOOL_NAME
from schemas.referential import COMPETENCE_CODES, Status, global_level_for

GIRLS = ("Léa", "Chloé", "Manon", "Emma", "Inès", "Camille", "Zoé", "Jade", "Louise", "Lina", "Anaïs", "Maëlys",
         "Clémence", "Océane", "Héloïse", "Juliette", "Margaux", "Noémie", "Sarah", "Maëlle", "Elsa", "Lou", "Rose",
         "Alice", "Léna", "Agathe", "Romane", "Éloïse", "Pauline", "Lucie")
BOYS = ("Lucas", "Hugo", "Théo", "Nathan", "Enzo", "Louis", "Gabriel", "Raphaël", "Jules", "Maël", "Noé", "Mathis",
        "Timéo", "Adam", "Clément", "Baptiste", "Antoine", "Valentin", "Maxime", "Tom", "Arthur", "Léo", "Évan",
        "Gaël", "Quentin", "Aurélien", "Jérémy", "Loïc", "Benoît", "Sacha")
HYPHENATED_GIRLS = ("Marie-Lou", "Anne-Sophie", "Lou-Anne", "Marie-Ève", "Anne-Laure")
HYPHENATED_BOYS = ("Jean-Baptiste", "Pierre-Louis", "Jean-Noël", "Paul-Émile", "Louis-Marie")
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Gérard", "Nguyen", "Boyer",
    "Lemaire", "Duval", "Joly", "Roche", "Noël", "Meyer", "Meunier", "Pérez", "Marchand", "Dufour", "Blanchard",
    "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Renard", "Arnaud", "Caron", "Aubert",
    "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Lacroix", "Fabre",
    "Dupuis", "Da Silva", "Hubert", "Rivière", "Le Gall", "Moulin", "Berger", "Lecomte", "Ménard", "Fleury",
    "Deschamps", "Carpentier", "Benoît", "Maillard", "Aubry", "Prévost", "Poirier", "Charpentier", "Huet",
    "Bréchet", "Le Goff", "Tessier", "Pelletier", "Chauvin", "Thibault", "Besnard", "Jourdan", "Texier",
)
APOSTROPHE_NAMES = ("N’Diaye", "D’Almeida", "N’Guessan", "L’Hôte")
# (CODE_COMMUNE_INSEE_NAISS, commune as Pix shows the birthplace)
COMMUNES = (("86194", "Poitiers"), ("86066", "Châtellerault"), ("79191", "Niort"), ("37261", "Tours"),
            ("16015", "Angoulême"), ("17300", "La Rochelle"), ("87085", "Limoges"), ("44109", "Nantes"),
            ("33063", "Bordeaux"), ("86041", "Buxerolles"))
COMMUNE_NAMES = dict(COMMUNES)
INE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def fold(text: str) -> str:
    """A name reduced to A-Z and 0-9, the way names are compared across SIECLE and Pix."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", bare.upper())


def siecle_spelling(name: str, keep_accents: bool) -> str:
    """SIECLE upper-cases names, often drops their accents, and has no typographic apostrophe."""
    upper = name.replace("’", "'").upper()
    if keep_accents:
        return upper
    return "".join(ch for ch in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Person:
    """Someone with names as they write them; SIECLE and Pix each spell them their own way."""

    first: str
    last: str
    usage: str | None
    second: str | None
    birth: date
    sex: Literal["1", "2"]
    commune: str
    keep_accents: bool


class Sampler:
    """The random choices of one sample, all drawn from one seeded generator in a fixed order."""

    def __init__(self, seed: int, school_year: int) -> None:
        self.rng = random.Random(seed)
        self.school_year = school_year
        self.identities: set[tuple[date, str]] = set()
        self.ines: set[str] = set()
        self.next_eleve_id = self.rng.randrange(1_100_000, 1_900_000)
        self.next_number = self.rng.randrange(7_100_000, 7_600_000)
        self.sessions: set[str] = set()

    def person(self, grade: str, *, first: str | None = None, last: str | None = None, usage: str | None = None,
               sex: Literal["1", "2"] | None = None, second: str | None = None) -> Person:
        rng = self.rng
        while True:
            person_sex = sex or rng.choice(("1", "2"))
            names, hyphenated = (GIRLS, HYPHENATED_GIRLS) if person_sex == "2" else (BOYS, HYPHENATED_BOYS)
            first_name = first or (rng.choice(hyphenated) if rng.random() < 0.1 else rng.choice(names))
            usual_year = self.school_year - (14 if grade == "3" else 13)
            year = usual_year - 1 if rng.random() < 0.12 else usual_year
            birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            # names and birth date identify a student; only the planted pair may share them
            if (birth, fold(first_name)) not in self.identities:
                break
        self.identities.add((birth, fold(first_name)))
        other = second if second is not None else (rng.choice(names) if rng.random() < 0.25 else None)
        return Person(first_name, last or rng.choice(LAST_NAMES), usage, other if other != first_name else None,
                       birth, person_sex, rng.choice(COMMUNES)[0], rng.random() < 0.35)

    def student(self, person: Person, division: str, *, ine: bool = True, left_on: date | None = None) -> SampleStudent:
        self.next_eleve_id += self.rng.randint(1, 40)
        return SampleStudent(
            eleve_id=self.next_eleve_id, ine=self.ine() if ine else None,
            last_name=siecle_spelling(person.last, person.keep_accents),
            usage_name=siecle_spelling(person.usage, person.keep_accents) if person.usage else None,
            first_name=siecle_spelling(person.first, person.keep_accents), birth_date=person.birth,
            division=division, sex=person.sex, left_on=left_on,
            other_first_names=siecle_spelling(person.second, person.keep_accents) if person.second else None,
            birth_commune=person.commune)

    def ine(self) -> str:
        while True:
            ine = f"{self.rng.randrange(10 ** 10):010d}{self.rng.choice(INE_LETTERS)}"
            if ine not in self.ines:
                self.ines.add(ine)
                return ine

    def session(self) -> str:
        while True:
            session = str(self.rng.randrange(100_000, 999_999))
            if session not in self.sessions:
                self.sessions.add(session)
                return session

    def number(self) -> int:
        self.next_number += self.rng.randint(1, 9)
        return self.next_number

    def result(self, status: Status, version: ExportVersion) -> tuple[int | None, str | None, dict[str, int | None]]:
        """Score, global level and competence levels of a certification, consistent with each other."""
        rng, v2 = self.rng, version in V2_VERSIONS
        if status is Status.REJECTED:
            # the old exports show the tested competences of a rejected certification at 0
            tested = rng.sample(COMPETENCE_CODES, rng.randint(10, 16)) if v2 else []
            return 0, None, {code: 0 if code in tested else None for code in COMPETENCE_CODES}
        if status is not Status.VALIDATED:
            return None, None, dict.fromkeys(COMPETENCE_CODES)
        if v2:
            mean = rng.uniform(1.0, 4.5)
            levels = {code: None if rng.random() < 0.1 else max(0, min(6, round(rng.gauss(mean, 1.0))))
                      for code in COMPETENCE_CODES}
            score = sum(8 * level + rng.randrange(8) for level in levels.values() if level is not None)
            return max(score, 8), None, levels
        score = int(rng.triangular(64, 895, 300))
        levels = {code: None if rng.random() < 0.06 else max(0, min(7, round(rng.gauss(score / 110, 1.1))))
                  for code in COMPETENCE_CODES}
        return score, global_level_for(score), levels

    def certification(self, person: Person, student: SampleStudent | None, status: Status,
                      version: ExportVersion, session: str, passed_on: date, *, pix_first: str | None = None,
                      external_id: str | None = None) -> SampleCertification:
        score, level, levels = self.result(status, version)
        comment = {Status.REJECTED: REJECTED_COMMENT, Status.CANCELLED: CANCELLED_COMMENT,
                   Status.ERROR: ERROR_COMMENT}.get(status)
        return SampleCertification(
            number=self.number(), student=student, first_name=pix_first or person.first,
            last_name=person.usage or person.last, birth_date=person.birth, status=status, score=score,
            global_level=level, levels=levels, session=session, passed_on=passed_on,
            centre=SCHOOL_NAME if CENTRE_LABEL in HEADERS[version] else None,
            birthplace=COMMUNE_NAMES[person.commune], external_id=external_id,
            jury_comment=comment if COMMENT_LABEL in HEADERS[version] else None)
