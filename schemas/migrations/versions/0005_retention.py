"""retention: the school year each student was last on a roster, certifications anonymised by a purge or erasure

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('students') as batch:
        batch.add_column(sa.Column('last_roster_year', sa.Integer(), nullable=True,
                                   comment='first year of the school year of the last roster listing the student'))
    # students saved before: their establishment's last roster is the best knowledge there is
    op.execute("UPDATE students SET last_roster_year = (SELECT school_year FROM establishments "
               "WHERE establishments.uai = students.uai)")
    with op.batch_alter_table('certifications') as batch:
        batch.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True,
                                   comment='names, birth date and identifiers removed (purge or erasure)'))
        batch.alter_column('birth_date', existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('certifications') as batch:
        batch.alter_column('birth_date', existing_type=sa.Date(), nullable=False)
        batch.drop_column('anonymised_at')
    with op.batch_alter_table('students') as batch:
        batch.drop_column('last_roster_year')
