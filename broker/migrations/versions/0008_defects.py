"""defects: ids never reused on SQLite, revocable API tokens, sign-out ends all sessions, sign-in lockout

AUTOINCREMENT on SQLite for the tables whose ids are named elsewhere; api_token.revoked_at;
user_account.session_version; sign_in_throttle; audit_event.subject_id may be empty (a
failed sign-in with an address that has no account).

Revision ID: 0008_defects
Revises: 0007_oruk
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008_defects'
down_revision = '0007_oruk'
branch_labels = None
depends_on = None

# Tables whose ids are named elsewhere (see broker.extensions.NO_ID_REUSE). On SQLite a
# table becomes AUTOINCREMENT only by being rebuilt; PostgreSQL sequences never reuse ids.
NO_ID_REUSE = (
    'organisation', 'provision', 'intake', 'user_account', 'api_token', 'client', 'client_need',
    'consent', 'referral', 'referral_event', 'audit_event', 'provision_change', 'organisation_token',
    'feed_upload', 'allocation_run', 'job',
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in NO_ID_REUSE:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade():
    op.create_table('sign_in_throttle',
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email_digest', name=op.f('pk_sign_in_throttle'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('subject_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    # Last, so the rebuilt tables carry the columns above.
    _rebuild(True)


def downgrade():
    _rebuild(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    op.execute("UPDATE audit_event SET subject_id = 0 WHERE subject_id IS NULL")
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('subject_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')

    op.drop_table('sign_in_throttle')
