"""report language: a case's reports in a language besides English (the report's `language`, one
file of a kind per decision and language) and the language an institution asks its case reports
in (`institution.report_language`, none: English only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# the unnamed unique constraint of 0002, as SQLite's batch mode reflects it and as PostgreSQL
# named it
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
OLD_SQLITE = 'uq_report_decision_id_kind'
OLD_POSTGRESQL = 'report_decision_id_kind_key'
NEW = 'uq_report_decision_kind_language'


def _old_name() -> str:
    return OLD_SQLITE if op.get_bind().dialect.name == 'sqlite' else OLD_POSTGRESQL


def upgrade() -> None:
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_language', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=True))
    with op.batch_alter_table('report', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=False, server_default='en'))
        batch_op.drop_constraint(_old_name(), type_='unique')
        batch_op.create_unique_constraint(NEW, ['decision_id', 'kind', 'language'])


def downgrade() -> None:
    op.execute("DELETE FROM report WHERE language <> 'en'")
    with op.batch_alter_table('report', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(NEW, type_='unique')
        batch_op.create_unique_constraint(_old_name(), ['decision_id', 'kind'])
        batch_op.drop_column('language')
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_column('report_language')
