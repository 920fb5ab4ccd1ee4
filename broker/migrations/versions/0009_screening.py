"""eligibility - referral screening overrides (override_reason) and whatever eligibility needs

Revision ID: 0009_screening
Revises: 0008_defects
Create Date: 2026-12-02 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0009_screening'
down_revision = '0008_defects'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
