"""each run's establishment and, for an establishment's run of an académie night, the night's run: so that
`pix-livret runs` shows a night as one line and filters on a UAI

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

UAI_COMMENT = "the establishment of a run of one (null: several, or not known)"
PARENT_COMMENT = "the académie night's run (kind ingest-academie) this establishment's run belongs to"
runs = sa.table('pipeline_runs', sa.column('id', sa.Integer), sa.column('parameters', sa.JSON),
                sa.column('uai', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('pipeline_runs') as batch:
        batch.add_column(sa.Column('uai', sa.String(length=8), nullable=True, comment=UAI_COMMENT))
        batch.add_column(sa.Column('parent_run_id', sa.Integer(), nullable=True, comment=PARENT_COMMENT))
        batch.create_foreign_key('fk_pipeline_runs_parent_run_id', 'pipeline_runs', ['parent_run_id'], ['id'])
        batch.create_index('ix_pipeline_runs_uai', ['uai'])
        batch.create_index('ix_pipeline_runs_parent_run_id', ['parent_run_id'])
    _fill_uai_from_parameters(op.get_bind())


def _fill_uai_from_parameters(connection) -> None:
    # Earlier rows kept the UAI asked for in their parameters (the establishment runs of a fan-out always did); read
    # in Python, JSON being queried differently by SQLite and PostgreSQL. Their parent was never recorded: an earlier
    # night stays one line per establishment.
    for run_id, parameters in connection.execute(sa.select(runs.c.id, runs.c.parameters)).all():
        uai = (parameters or {}).get('uai') if isinstance(parameters, dict) else None
        if isinstance(uai, str) and 0 < len(uai) <= 8:
            connection.execute(runs.update().where(runs.c.id == run_id).values(uai=uai))


def downgrade() -> None:
    with op.batch_alter_table('pipeline_runs') as batch:
        batch.drop_index('ix_pipeline_runs_parent_run_id')
        batch.drop_index('ix_pipeline_runs_uai')
        batch.drop_constraint('fk_pipeline_runs_parent_run_id', type_='foreignkey')
        batch.drop_column('parent_run_id')
        batch.drop_column('uai')
