"""enrolments: each student's class year by year, and the student a set-aside row belonged to

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from datetime import date

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'enrolments',
        sa.Column('student_id', sa.Integer(), sa.ForeignKey('students.id'), primary_key=True),
        sa.Column('school_year', sa.Integer(), primary_key=True,
                  comment='first year of the school year: 2025 for 2025-2026'),
        sa.Column('uai', sa.String(8), sa.ForeignKey('establishments.uai'), nullable=False),
        sa.Column('division', sa.String(20), nullable=True, comment='CODE_STRUCTURE of the D structure'),
        sa.Column('mef', sa.String(11), nullable=True, comment='CODE_MEF, when the export gives it'),
        sa.Column('left_on', sa.Date(), nullable=True, comment='DATE_SORTIE, when SIECLE gives one'),
    )
    op.create_index('ix_enrolments_uai_school_year', 'enrolments', ['uai', 'school_year'])
    with op.batch_alter_table('quarantined_rows') as batch:
        batch.add_column(sa.Column('eleve_id', sa.BigInteger(), nullable=True,
                                   comment='the roster student the row names, when its names could be matched'))
    _enrol_stored_students()


def _enrol_stored_students() -> None:
    """Today's students become enrolments. The database kept one division per student, not one per year: each
    student is enrolled, with the division stored today, in the year of the last roster that listed them and in
    every school year of their own matched certifications. Nothing else is known of earlier years."""
    connection = op.get_bind()
    students = connection.execute(sa.text(
        "SELECT s.id, s.uai, s.division, s.left_on, s.last_roster_year, e.school_year "
        "FROM students s JOIN establishments e ON e.uai = s.uai")).all()
    passages = connection.execute(sa.text(
        "SELECT student_id, passed_on FROM certifications WHERE student_id IS NOT NULL AND passed_on IS NOT NULL"
    )).all()
    years: dict[int, set[int]] = {}
    for student_id, passed_on in passages:
        day = passed_on if isinstance(passed_on, date) else date.fromisoformat(str(passed_on)[:10])
        years.setdefault(student_id, set()).add(day.year if day.month >= 9 else day.year - 1)
    rows = []
    for student_id, uai, division, left_on, last_roster_year, establishment_year in students:
        known = set(years.get(student_id, ()))
        if last_roster_year is not None or establishment_year is not None:
            known.add(last_roster_year if last_roster_year is not None else establishment_year)
        rows += [{"student_id": student_id, "school_year": year, "uai": uai, "division": division,
                  "left_on": left_on} for year in sorted(known)]
    if rows:
        enrolments = sa.table('enrolments', sa.column('student_id'), sa.column('school_year'), sa.column('uai'),
                              sa.column('division'), sa.column('left_on', sa.Date()))
        op.bulk_insert(enrolments, rows)


def downgrade() -> None:
    with op.batch_alter_table('quarantined_rows') as batch:
        batch.drop_column('eleve_id')
    op.drop_index('ix_enrolments_uai_school_year', table_name='enrolments')
    op.drop_table('enrolments')
