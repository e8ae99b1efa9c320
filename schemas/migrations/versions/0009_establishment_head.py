"""the chef d'établissement's name, for the signature block of the attestations; every attestation remade once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

HEAD_COMMENT = "the chef d'établissement's name, as signed on the attestations (an adult's: never logged)"
establishments = sa.table('establishments', sa.column('attestations_due', sa.Boolean))


def upgrade() -> None:
    # Neither SIECLE nor the Annuaire de l'éducation gives it: the administrator does (ingest --school-head, or a
    # column of etablissements.csv)
    with op.batch_alter_table('establishments') as batch:
        batch.add_column(sa.Column('head', sa.String(length=120), nullable=True, comment=HEAD_COMMENT))
    # The attestation's layout changed with this revision (one layout for every export, a signature block): the next
    # night remakes every establishment's attestations, not only those whose results change
    op.get_bind().execute(establishments.update().values(attestations_due=True))


def downgrade() -> None:
    with op.batch_alter_table('establishments') as batch:
        batch.drop_column('head')
