"""lifecycle - notifications, lapsed holds, outcomes

Revision ID: 0010_lifecycle
Revises: 0009_screening
Create Date: 2026-12-02 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0010_lifecycle'
down_revision = '0009_screening'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
