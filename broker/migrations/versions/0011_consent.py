"""consent - need to know, consent expiry, paused referrals, APIR complex needs, share requests

referral.shared_need_ids (the other needs the PA shares with the provider) and
referral.paused_at; consent.expires_on (existing given consent runs 12 months from when it
was recorded); client.complex_needs; client_share.purpose; share_request.

Revision ID: 0011_consent
Revises: 0010_lifecycle
Create Date: 2026-12-02 12:00:00

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011_consent'
down_revision = '0010_lifecycle'
branch_labels = None
depends_on = None

# Tables whose ids are named elsewhere stay AUTOINCREMENT on SQLite when a batch rebuilds them.
NO_ID_REUSE = {'sqlite_autoincrement': True}


def _twelve_months_on(value) -> dt.date:
    day = value if isinstance(value, dt.date) else dt.datetime.fromisoformat(str(value)[:19]).date()
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def upgrade():
    with op.batch_alter_table('referral', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.add_column(sa.Column('shared_need_ids', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('consent', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
    with op.batch_alter_table('client', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.add_column(sa.Column('complex_needs', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('client_share') as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.Text(), server_default='', nullable=False))
    op.create_table('share_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_share_request_client_id_client')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_share_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_request')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('share_request') as batch_op:
        batch_op.create_index(batch_op.f('ix_share_request_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_request_requested_by_id'), ['requested_by_id'], unique=False)

    conn = op.get_bind()
    for row_id, recorded_at in conn.execute(sa.text("SELECT id, recorded_at FROM consent WHERE given")).all():
        conn.execute(sa.text("UPDATE consent SET expires_on = :on WHERE id = :id"),
                     {"on": _twelve_months_on(recorded_at), "id": row_id})


def downgrade():
    op.execute("UPDATE referral SET status = 'sent' WHERE status = 'paused'")
    with op.batch_alter_table('share_request') as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_request_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_share_request_client_id'))
    op.drop_table('share_request')
    with op.batch_alter_table('client_share') as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('client', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_column('complex_needs')
    with op.batch_alter_table('consent', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_column('expires_on')
    with op.batch_alter_table('referral', table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_column('paused_at')
        batch_op.drop_column('shared_need_ids')
