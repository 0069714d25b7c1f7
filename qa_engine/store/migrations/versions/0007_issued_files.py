"""issued files: the register of signed files issued outside a case (leadership reports)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import qa_engine.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issued_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('issued_at', qa_engine.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    with op.batch_alter_table('issued_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_file_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('issued_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_file_report_id'))
    op.drop_table('issued_file')
