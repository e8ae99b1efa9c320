"""dates that cannot be: each certification's school year stored, and the stored rows re-checked against the date rules

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The rules are stated here, not imported: a migration must do tomorrow what it does today, whatever the application
# becomes. They are those of schemas/certification.py (FIRST_CERTIFICATION_DAY, MIN_AGE_AT_CERTIFICATION,
# RULE_MESSAGES) and of transforms/normalise.py (the export name, the school year) as of this revision.
FIRST_CERTIFICATION_DAY = date(2018, 1, 1)  # Pix's certifications began in late 2017
MIN_AGE_AT_CERTIFICATION = 10
SCHOOL_YEAR_FIRST_MONTH = 9  # a school year runs 1 September – 31 August
EXPORT_NAME = re.compile(r"(?P<date>\d{8})_r[eé]sultats_.+?(?: \(\d+\))?\.csv", re.IGNORECASE)
PASSED_LABEL, BIRTH_LABEL = "Date de passage de la certification", "Date de naissance"
MESSAGES = {
    "passed_after_run_day": "Date de passage postérieure au jour du traitement",
    "passed_before_pix": "Date de passage antérieure à 2018 (les certifications Pix ont commencé fin 2017)",
    "born_in_future": "Date de naissance dans le futur",
    "too_young_at_passage": "Élève de moins de 10 ans à la date de passage",
}
SCHOOL_YEAR_COMMENT = ("first year of its school year (2025 for 2025-2026): of passed_on, else of its file (the "
                       "export date in the name, else the day received)")
CHUNK = 500  # numbers per IN (...): under SQLite's limit on bound parameters

# The tables as this revision knows them (only the columns it reads or writes).
certifications = sa.table(
    'certifications', sa.column('number', sa.BigInteger), sa.column('uai', sa.String),
    sa.column('student_id', sa.Integer), sa.column('source_file_id', sa.Integer), sa.column('source_row', sa.Integer),
    sa.column('birth_date', sa.Date), sa.column('passed_on', sa.Date), sa.column('school_year', sa.Integer))
source_files = sa.table(
    'source_files', sa.column('id', sa.Integer), sa.column('name', sa.String),
    sa.column('registered_at', sa.DateTime(timezone=True)), sa.column('status', sa.String),
    sa.column('rows_loaded', sa.Integer), sa.column('rows_quarantined', sa.Integer),
    sa.column('acknowledged_at', sa.DateTime(timezone=True)), sa.column('acknowledged_run_id', sa.Integer))
quarantined_rows = sa.table(
    'quarantined_rows', sa.column('id', sa.Integer), sa.column('source_file_id', sa.Integer),
    sa.column('row_number', sa.Integer), sa.column('raw_text', sa.Text), sa.column('reasons', sa.Text),
    sa.column('eleve_id', sa.BigInteger))
students = sa.table('students', sa.column('id', sa.Integer), sa.column('eleve_id', sa.BigInteger))
file_problems = sa.table(
    'file_problems', sa.column('source_file_id', sa.Integer), sa.column('run_id', sa.Integer),
    sa.column('stage', sa.String), sa.column('row_number', sa.Integer), sa.column('column_name', sa.String),
    sa.column('rule', sa.String), sa.column('value', sa.Text), sa.column('message', sa.Text))
attestations = sa.table('attestations', sa.column('certification_number', sa.BigInteger))
establishments = sa.table('establishments', sa.column('uai', sa.String), sa.column('attestations_due', sa.Boolean))
enrolments = sa.table('enrolments', sa.column('student_id', sa.Integer), sa.column('school_year', sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table('certifications') as batch:
        batch.add_column(sa.Column('school_year', sa.Integer(), nullable=True, comment=SCHOOL_YEAR_COMMENT))
    connection = op.get_bind()
    _fill_dated_years(connection)
    _fill_undated_years(connection)
    _set_aside_impossible_dates(connection, date.today())


def downgrade() -> None:
    # the rows set aside stay in quarantine with their reasons: a newer export of their class loads them again
    with op.batch_alter_table('certifications') as batch:
        batch.drop_column('school_year')


def _first_year(day: date) -> int:
    return day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def _fill_dated_years(connection) -> None:
    """One UPDATE per school year the dates span (a dozen at most), the same SQL on every backend."""
    first, last = connection.execute(sa.select(sa.func.min(certifications.c.passed_on),
                                               sa.func.max(certifications.c.passed_on))).one()
    if first is None:
        return
    for year in range(_first_year(_as_date(first)), _first_year(_as_date(last)) + 1):
        connection.execute(certifications.update()
                           .where(certifications.c.passed_on.between(date(year, 9, 1), date(year + 1, 8, 31)))
                           .values(school_year=year))


def _fill_undated_years(connection) -> None:
    """An undated certification belongs to the school year of its file: the export date in its name when there is
    a plausible one, else the day it was registered."""
    files = connection.execute(
        sa.select(source_files.c.id, source_files.c.name, source_files.c.registered_at)
        .where(source_files.c.id.in_(sa.select(certifications.c.source_file_id)
                                     .where(certifications.c.passed_on.is_(None))))).all()
    for file_id, name, registered_at in files:
        connection.execute(certifications.update()
                           .where(certifications.c.source_file_id == file_id, certifications.c.passed_on.is_(None))
                           .values(school_year=_first_year(_file_day(name, _as_date(registered_at)))))


def _file_day(name: str, registered_on: date) -> date:
    match = EXPORT_NAME.fullmatch(re.split(r"[\\/]", name)[-1].strip())
    try:
        exported = datetime.strptime(match["date"], "%Y%m%d").date() if match else None
    except ValueError:
        exported = None
    return exported if exported is not None and FIRST_CERTIFICATION_DAY <= exported <= registered_on else registered_on


def _broken_rules(birth_date: date | None, passed_on: date | None, registered_on: date, today: date) -> list[str]:
    """The date rules a stored row breaks. An undated certification was passed before its file came."""
    broken = []
    if passed_on is not None and passed_on > today:
        broken.append("passed_after_run_day")
    if passed_on is not None and passed_on < FIRST_CERTIFICATION_DAY:
        broken.append("passed_before_pix")
    if birth_date is not None and birth_date > today:
        broken.append("born_in_future")
    if birth_date is not None and _years_between(birth_date, passed_on or registered_on) < MIN_AGE_AT_CERTIFICATION:
        broken.append("too_young_at_passage")
    return broken


def _years_between(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _set_aside_impossible_dates(connection, today: date) -> None:
    """Rows breaking the date rules leave certifications for quarantined_rows (the stored row, whole, as its text)
    with their reasons in file_problems; their files become set aside, open problems the next run reports."""
    c, f = certifications.c, source_files.c
    rows = connection.execute(sa.select(c.number, c.source_file_id, c.source_row, c.birth_date, c.passed_on,
                                        f.registered_at)
                              .select_from(certifications.join(source_files, c.source_file_id == f.id))).all()
    bad = {}
    for number, file_id, row, born, passed, registered_at in rows:
        passed = _as_date(passed)
        broken = _broken_rules(_as_date(born), passed, _as_date(registered_at), today)
        if broken:
            bad[number] = (file_id, row, passed, broken)
    if not bad:
        return
    numbers = sorted(bad)
    stored = _stored_rows(connection, numbers)
    _save_problems(connection, bad, stored, _eleve_ids(connection, stored))
    uais = sorted({stored[number]['uai'] for number in numbers})
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        connection.execute(attestations.delete().where(attestations.c.certification_number.in_(chunk)))
        connection.execute(certifications.delete().where(c.number.in_(chunk)))
    _count_set_aside(connection, Counter(file_id for file_id, *_ in bad.values()))
    _drop_years_to_come(connection, stored.values(), _first_year(today))
    connection.execute(establishments.update().where(establishments.c.uai.in_(uais)).values(attestations_due=True))


def _stored_rows(connection, numbers: list[int]) -> dict[int, dict]:
    """Every column of the rows NUMBERS, as stored: what quarantine keeps of them (their file's line is in the
    archived copy)."""
    table = sa.Table('certifications', sa.MetaData(), autoload_with=connection)
    stored = {}
    for start in range(0, len(numbers), CHUNK):
        query = sa.select(table).where(table.c.number.in_(numbers[start:start + CHUNK]))
        stored |= {row.number: dict(row._mapping) for row in connection.execute(query)}
    return stored


def _eleve_ids(connection, stored: dict[int, dict]) -> dict[int, int]:
    """students.id -> ELEVE_ID of the matched students of STORED: a row set aside still names its student (0007's
    quarantined_rows.eleve_id), whom the bilan then counts as « résultat écarté », not absent."""
    ids = sorted({row['student_id'] for row in stored.values() if row['student_id'] is not None})
    found = {}
    for start in range(0, len(ids), CHUNK):
        found |= dict(connection.execute(sa.select(students.c.id, students.c.eleve_id)
                                         .where(students.c.id.in_(ids[start:start + CHUNK]))).all())
    return found


def _save_problems(connection, bad: dict, stored: dict[int, dict], eleve_ids: dict[int, int]) -> None:
    problems, quarantined = [], []
    for number, (file_id, row, passed, broken) in sorted(bad.items()):
        for rule in broken:
            on_birth = rule in ("born_in_future", "too_young_at_passage")
            problems.append({"source_file_id": file_id, "run_id": None, "stage": "validate", "row_number": row,
                             "column_name": BIRTH_LABEL if on_birth else PASSED_LABEL, "rule": rule,
                             # a birth date is personal: never quoted
                             "value": None if on_birth else passed.strftime("%d/%m/%Y"), "message": MESSAGES[rule]})
        reasons = "\n".join(MESSAGES[rule] for rule in broken)
        raw_text = json.dumps(stored[number], default=str, ensure_ascii=False)
        existing = connection.execute(sa.select(quarantined_rows.c.id, quarantined_rows.c.reasons).where(
            quarantined_rows.c.source_file_id == file_id, quarantined_rows.c.row_number == row)).first()
        if existing:  # the same line quarantined before (cannot be, as a row loads or not): its reasons kept
            connection.execute(quarantined_rows.update().where(quarantined_rows.c.id == existing.id)
                               .values(reasons=f"{existing.reasons}\n{reasons}"))
        else:
            quarantined.append({"source_file_id": file_id, "row_number": row, "raw_text": raw_text,
                                "reasons": reasons, "eleve_id": eleve_ids.get(stored[number]['student_id'])})
    connection.execute(file_problems.insert(), problems)
    if quarantined:
        connection.execute(quarantined_rows.insert(), quarantined)


def _drop_years_to_come(connection, removed, this_year: int) -> None:
    """0007 enrolled each matched student in the year of each of their certifications: a certification dated in a
    year to come made an enrolment no roster can have given. It goes with its certification when no other one of
    the student is of that year. Enrolments of past years are kept: a roster may have given them."""
    c = certifications.c
    for row in removed:
        year, student_id = row['school_year'], row['student_id']
        if student_id is None or year is None or year <= this_year:
            continue
        others = connection.execute(sa.select(sa.func.count()).select_from(certifications)
                                    .where(c.student_id == student_id, c.school_year == year)).scalar_one()
        if not others:
            connection.execute(enrolments.delete().where(enrolments.c.student_id == student_id,
                                                         enrolments.c.school_year == year))


def _count_set_aside(connection, per_file: Counter) -> None:
    """Each file loses the rows set aside from its loaded count: partial, or quarantined when none is left; and open
    again when someone had acknowledged it."""
    f = source_files.c
    for file_id, n in per_file.items():
        loaded = connection.execute(sa.select(f.rows_loaded).where(f.id == file_id)).scalar_one()
        left = max((loaded or 0) - n, 0)
        connection.execute(source_files.update().where(f.id == file_id).values(
            rows_loaded=left, rows_quarantined=f.rows_quarantined + n, status='partial' if left else 'quarantined',
            acknowledged_at=None, acknowledged_run_id=None))


def _as_date(value) -> date | None:
    """A date as the driver gives it back: SQLite hands back strings for some types, timestamps for others."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])
