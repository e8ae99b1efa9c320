"""open problems: a file set aside stays open until a newer export of its class loads or someone acknowledges it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # files set aside before this revision are open problems from now on: the next run says so, and an
    # administrator who already dealt with them acknowledges them once (pix-livret problems --acknowledge-all)
    with op.batch_alter_table('source_files') as batch:
        batch.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True,
                                   comment='set aside, and closed by someone without a newer export '
                                           '(pix-livret problems)'))
        batch.add_column(sa.Column('acknowledged_run_id', sa.Integer(), nullable=True,
                                   comment='the run of the history that closed it'))
        # PostgreSQL's own name for it, as create_all would give it
        batch.create_foreign_key('source_files_acknowledged_run_id_fkey', 'pipeline_runs',
                                 ['acknowledged_run_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('source_files') as batch:
        batch.drop_constraint('source_files_acknowledged_run_id_fkey', type_='foreignkey')
        batch.drop_column('acknowledged_run_id')
        batch.drop_column('acknowledged_at')
