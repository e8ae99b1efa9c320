"""roster SHA-256 (an unchanged roster is not read again) and attestations due (rendered only when needed)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('establishments') as batch:
        batch.add_column(sa.Column('roster_sha256', sa.String(length=64), nullable=True,
                                   comment='SHA-256 of the last roster file saved'))
        batch.add_column(sa.Column('attestations_due', sa.Boolean(), nullable=False, server_default=sa.false(),
                                   comment='results changed since the attestations were last refreshed'))


    # a file partly loaded is now told apart from one set aside whole
    with op.batch_alter_table('source_files') as batch:
        batch.alter_column('status', existing_type=sa.String(length=20), existing_nullable=False,
                           comment='loaded | partial | quarantined', existing_comment='loaded | quarantined')


def downgrade() -> None:
    with op.batch_alter_table('source_files') as batch:
        batch.alter_column('status', existing_type=sa.String(length=20), existing_nullable=False,
                           comment='loaded | quarantined', existing_comment='loaded | partial | quarantined')
    with op.batch_alter_table('establishments') as batch:
        batch.drop_column('attestations_due')
        batch.drop_column('roster_sha256')
