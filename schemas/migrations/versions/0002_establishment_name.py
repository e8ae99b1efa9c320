"""establishment name, for the attestations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SIECLE's student export carries only the UAI: the name is given by the administrator (ingest --school-name)
    with op.batch_alter_table('establishments') as batch:
        batch.add_column(sa.Column('name', sa.String(length=120), nullable=True,
                                   comment='as printed on the attestations, e.g. Collège Jean Moulin'))


def downgrade() -> None:
    with op.batch_alter_table('establishments') as batch:
        batch.drop_column('name')
