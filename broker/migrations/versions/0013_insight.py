"""insight - supply history, unmet reasons

Revision ID: 0013_insight
Revises: 0012_casework
Create Date: 2026-12-02 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0013_insight'
down_revision = '0012_casework'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
