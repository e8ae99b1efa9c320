"""A small establishment for the bilan tests, built in the database, with every figure worked out by hand.

3A: 6 enrolled in 2025-2026 (+1 who left): Léa and Inès validated (Léa also had a cancelled one), Zoé not
    obtained, Jade cancelled, Hugo and Noé absent. 3B: 3 enrolled: Tom and Paul validated, Marc absent, plus an
    unmatched candidate of 3B, validated. 3A and 3B each have a class file, which makes them the concerned classes
    (no MEF). 4C: 2 enrolled, no file, no candidate: not concerned. Nobody was evaluated on 3.4;
    Tom was not evaluated on 5.2. The four girls (all in 3A) are a group of 4. Paul also validated in 2024-2025.
"""
from __future__ import annotations

from datetime import date

from schemas.referential import LEVEL_COLUMNS
from tests.db_builders import add_certification, add_establishment, add_source_file, add_student

UAI = "0861234Z"
YEAR = "2025-2026"
GIRL, BOY = "2", "1"


def levels(value: int | None, **overrides: int | None) -> dict[str, int | None]:
    return {name: value for name in LEVEL_COLUMNS} | {"level_3_4": None} | overrides


def build_school(engine, uai: str = UAI, name: str | None = "Collège Jean Moulin", *,
                 first_number: int | None = None) -> None:
    """The school of the module's docstring as UAI; FIRST_NUMBER: its certifications' numbers from there on (they
    are unique in the whole database; by default from its ELEVE_IDs)."""
    add_establishment(engine, uai)
    if name:
        with engine.begin() as connection:
            from sqlalchemy import update

            from schemas.tables import Establishment
            connection.execute(update(Establishment).where(Establishment.uai == uai).values(name=name))
    base = 1000 if uai == UAI else 2000
    ids = {}
    for offset, (first, last, division, sex) in enumerate([
            ("Léa", "Martin", "3A", GIRL), ("Inès", "Bernard", "3A", GIRL), ("Zoé", "Robert", "3A", GIRL),
            ("Jade", "Richard", "3A", GIRL), ("Hugo", "Petit", "3A", BOY), ("Noé", "Durand", "3A", BOY),
            ("Tom", "Leroy", "3B", BOY), ("Paul", "Moreau", "3B", BOY), ("Marc", "Simon", "3B", BOY),
            ("Eva", "Laurent", "4C", GIRL), ("Luc", "Michel", "4C", BOY)], start=1):
        ids[first] = add_student(engine, base + offset, uai=uai, first_name=first, last_name=last, division=division,
                                 sex=sex)
    add_student(engine, base + 20, uai=uai, first_name="Ana", last_name="Gone", division="3A", sex=GIRL,
                left_on=date(2026, 1, 5))
    n = base * 10 if first_number is None else first_number
    file_3b = add_source_file(engine, "20260320_resultats_3B.csv", uai=uai, division="3B")
    add_certification(engine, n + 1, uai=uai, student_id=ids["Léa"], score=300, global_level="Indépendant 1",
                      levels=levels(3, level_1_1=1))
    add_certification(engine, n + 2, uai=uai, student_id=ids["Léa"], status="cancelled", score=None,
                      global_level=None, levels=levels(None), passed_on=date(2026, 4, 1))
    add_certification(engine, n + 3, uai=uai, student_id=ids["Inès"], score=500, global_level="Indépendant 2",
                      levels=levels(4, level_1_1=2))
    add_certification(engine, n + 4, uai=uai, student_id=ids["Zoé"], status="rejected", score=0, global_level=None,
                      levels=levels(None))
    add_certification(engine, n + 5, uai=uai, student_id=ids["Jade"], status="cancelled", score=None,
                      global_level=None, levels=levels(None))
    add_certification(engine, n + 6, uai=uai, student_id=ids["Tom"], score=200, global_level="Novice 2",
                      levels=levels(2, level_5_2=None), division="3B", source_file_id=file_3b)
    add_certification(engine, n + 7, uai=uai, student_id=ids["Paul"], score=400, global_level="Indépendant 2",
                      levels=levels(3), division="3B", source_file_id=file_3b)
    add_certification(engine, n + 8, uai=uai, student_id=None, score=100, global_level="Novice 1",
                      levels=levels(3), division="3B", first_name="Yanis", last_name="Inconnu", source_file_id=file_3b)
    add_certification(engine, n + 9, uai=uai, student_id=ids["Paul"], score=250, global_level="Novice 2",
                      levels=levels(2), division="3B", passed_on=date(2025, 3, 10), source_file_id=file_3b)


def school_bilan(engine):
    """The Bilan of the school build_school makes."""
    from transforms.bilans import make_bilan
    from store.class_files import read_year_files
    from store.enrolments import read_enrolment
    from store.query import read_certifications

    build_school(engine)
    with engine.connect() as connection:
        return make_bilan(read_certifications(connection, UAI, YEAR), read_enrolment(connection, UAI, 2025), YEAR,
                          UAI, "Collège Jean Moulin", *read_year_files(connection, UAI, YEAR))
