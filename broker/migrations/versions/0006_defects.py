"""defects: ids never reused on SQLite (AUTOINCREMENT)

Revision ID: 0006_defects
Revises: 0005_eligibility
Create Date: 2026-12-02 10:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_defects'
down_revision = '0005_eligibility'
branch_labels = None
depends_on = None

# Tables whose ids are named elsewhere (see broker.extensions.NO_ID_REUSE). On SQLite a
# table becomes AUTOINCREMENT only by being rebuilt; PostgreSQL sequences never reuse ids.
NO_ID_REUSE = (
    'organisation', 'provision', 'intake', 'user_account', 'api_token', 'client', 'client_need',
    'consent', 'referral', 'referral_event', 'audit_event', 'provision_change', 'organisation_token',
    'feed_upload', 'allocation_run',
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in NO_ID_REUSE:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
