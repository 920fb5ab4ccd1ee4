"""eligibility - referral screening: why a PA referred a young person a listing's rules exclude

referral.override_reason: empty unless the PA referred anyway, giving the reason (shown to
the provider and audited).

Revision ID: 0009_screening
Revises: 0008_defects
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009_screening'
down_revision = '0008_defects'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('override_reason', sa.Text(), nullable=True))


def downgrade():
    # Rebuilt on SQLite: keep the table's AUTOINCREMENT (ids are never reused, 0008).
    with op.batch_alter_table('referral', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('override_reason')
