"""web reads: the session's flash message moved to a signed cookie; decisions indexed by date

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('flash')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_decided_at'), ['decided_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_decided_at'))
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flash', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False,
                                      server_default=''))
