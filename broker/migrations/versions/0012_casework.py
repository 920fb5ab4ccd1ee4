"""casework - plans, reviews, case conferences, actions, team leads

Revision ID: 0012_casework
Revises: 0011_consent
Create Date: 2026-12-02 12:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0012_casework'
down_revision = '0011_consent'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
