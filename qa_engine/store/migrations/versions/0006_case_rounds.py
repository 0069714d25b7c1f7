"""case rounds: the credential version each round of a case reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa

import qa_engine.store.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('credential_version_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', qa_engine.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['qa_case.id'], ),
    sa.ForeignKeyConstraint(['credential_version_id'], ['credential_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'round')
    )
    with op.batch_alter_table('case_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_round_case_id'), ['case_id'], unique=False)
    # Until now every round of a case reviewed the version the case froze: record it for each.
    bind = op.get_bind()
    qa_case = sa.table(
        'qa_case', sa.column('id', sa.Integer()), sa.column('round', sa.Integer()),
        sa.column('credential_version_id', sa.Integer()),
        sa.column('opened_at', qa_engine.store.types.UTCDateTime()),
    )
    cases = bind.execute(sa.select(qa_case)).all()
    rows = [
        {'case_id': c.id, 'round': r, 'credential_version_id': c.credential_version_id,
         'recorded_at': c.opened_at}
        for c in cases for r in range(1, c.round + 1)
    ]
    if rows:
        table = sa.table(
            'case_round', sa.column('case_id', sa.Integer()), sa.column('round', sa.Integer()),
            sa.column('credential_version_id', sa.Integer()),
            sa.column('recorded_at', qa_engine.store.types.UTCDateTime()),
        )
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table('case_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_round_case_id'))
    op.drop_table('case_round')
