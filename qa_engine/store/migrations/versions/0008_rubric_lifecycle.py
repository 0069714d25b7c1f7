"""rubric lifecycle: which stored rubric version is active or retired, published by whom and why

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import qa_engine.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rubric_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('active_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('published_at', qa_engine.store.types.UTCDateTime(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('retired_at', qa_engine.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['snapshot_id'], ['rubric_snapshot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('active_key'),
    sa.UniqueConstraint('snapshot_id')
    )
    with op.batch_alter_table('rubric_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rubric_release_rubric_id'), ['rubric_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rubric_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rubric_release_rubric_id'))
    op.drop_table('rubric_release')
