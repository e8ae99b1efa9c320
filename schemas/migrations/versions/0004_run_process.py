"""the process that runs each pipeline run, so that the next run can tell one killed from one still going

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pipeline_runs') as batch:
        batch.add_column(sa.Column('process', sa.String(length=120), nullable=True,
                                   comment='host:pid:start of the process running it'))
        batch.alter_column('status', existing_type=sa.String(length=20), existing_nullable=False,
                           comment='running | completed | quarantined | failed | interrupted',
                           existing_comment='running | completed | quarantined | failed')


def downgrade() -> None:
    with op.batch_alter_table('pipeline_runs') as batch:
        batch.alter_column('status', existing_type=sa.String(length=20), existing_nullable=False,
                           comment='running | completed | quarantined | failed',
                           existing_comment='running | completed | quarantined | failed | interrupted')
        batch.drop_column('process')
