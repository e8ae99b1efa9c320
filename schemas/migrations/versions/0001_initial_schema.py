"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('establishments',
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=True, comment='ANNEE_SCOLAIRE of the last roster'),
    sa.Column('roster_file', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('uai')
    )
    op.create_table('pipeline_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=True, comment='Prefect flow-run id'),
    sa.Column('kind', sa.String(length=30), nullable=False, comment='ingest | export-lsu | export-lsl | attestations'),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False, comment='running | completed | quarantined | failed'),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('source_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=True, comment='detected header version'),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('delimiter', sa.String(length=1), nullable=True),
    sa.Column('division', sa.String(length=40), nullable=True, comment='from the file name'),
    sa.Column('archived_path', sa.Text(), nullable=False, comment='content-addressed copy'),
    sa.Column('status', sa.String(length=20), nullable=False, comment='loaded | quarantined'),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('first_run_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['first_run_id'], ['pipeline_runs.id'], ),
    sa.ForeignKeyConstraint(['uai'], ['establishments.uai'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uai', 'sha256', name='uq_source_files_uai_sha256')
    )
    with op.batch_alter_table('source_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_files_uai'), ['uai'], unique=False)

    op.create_table('students',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('eleve_id', sa.BigInteger(), nullable=False, comment='SIECLE ELEVE_ID, LSU id-be'),
    sa.Column('ine', sa.String(length=11), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('usage_name', sa.String(length=100), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('other_first_names', sa.String(length=200), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('division', sa.String(length=20), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['uai'], ['establishments.uai'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uai', 'eleve_id', name='uq_students_uai_eleve_id')
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_uai'), ['uai'], unique=False)

    op.create_table('certifications',
    sa.Column('number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=True),
    sa.Column('match_method', sa.String(length=20), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('birthplace', sa.String(length=100), nullable=True),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('certification_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_inferred', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('global_level', sa.String(length=20), nullable=True),
    sa.Column('jury_comment', sa.Text(), nullable=True),
    sa.Column('session', sa.String(length=40), nullable=True),
    sa.Column('centre', sa.String(length=200), nullable=True),
    sa.Column('passed_on', sa.Date(), nullable=True),
    sa.Column('division', sa.String(length=40), nullable=True, comment='roster division when matched, else from the file name'),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('level_1_1', sa.SmallInteger(), nullable=True),
    sa.Column('level_1_2', sa.SmallInteger(), nullable=True),
    sa.Column('level_1_3', sa.SmallInteger(), nullable=True),
    sa.Column('level_2_1', sa.SmallInteger(), nullable=True),
    sa.Column('level_2_2', sa.SmallInteger(), nullable=True),
    sa.Column('level_2_3', sa.SmallInteger(), nullable=True),
    sa.Column('level_2_4', sa.SmallInteger(), nullable=True),
    sa.Column('level_3_1', sa.SmallInteger(), nullable=True),
    sa.Column('level_3_2', sa.SmallInteger(), nullable=True),
    sa.Column('level_3_3', sa.SmallInteger(), nullable=True),
    sa.Column('level_3_4', sa.SmallInteger(), nullable=True),
    sa.Column('level_4_1', sa.SmallInteger(), nullable=True),
    sa.Column('level_4_2', sa.SmallInteger(), nullable=True),
    sa.Column('level_4_3', sa.SmallInteger(), nullable=True),
    sa.Column('level_5_1', sa.SmallInteger(), nullable=True),
    sa.Column('level_5_2', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_files.id'], ),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.ForeignKeyConstraint(['uai'], ['establishments.uai'], ),
    sa.PrimaryKeyConstraint('number')
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certifications_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certifications_uai'), ['uai'], unique=False)

    op.create_table('file_problems',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=True),
    sa.Column('column_name', sa.String(length=100), nullable=True),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], ),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_files.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('file_problems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_problems_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('quarantined_rows',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False, comment='French messages, one per line'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_files.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_file_id', 'row_number', name='uq_quarantined_rows_file_row')
    )
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_rows_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('attestations',
    sa.Column('certification_number', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False, comment='SHA-256 of what the page shows'),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certification_number'], ['certifications.number'], ),
    sa.PrimaryKeyConstraint('certification_number')
    )


def downgrade() -> None:
    op.drop_table('attestations')
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_rows_source_file_id'))

    op.drop_table('quarantined_rows')
    with op.batch_alter_table('file_problems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_problems_source_file_id'))

    op.drop_table('file_problems')
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_uai'))
        batch_op.drop_index(batch_op.f('ix_certifications_student_id'))

    op.drop_table('certifications')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_uai'))

    op.drop_table('students')
    with op.batch_alter_table('source_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_files_uai'))

    op.drop_table('source_files')
    op.drop_table('pipeline_runs')
    op.drop_table('establishments')
