"""consent - need to know, consent expiry, paused referrals

Revision ID: 0011_consent
Revises: 0010_lifecycle
Create Date: 2026-12-02 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0011_consent'
down_revision = '0010_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
