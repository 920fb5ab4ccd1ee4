"""lifecycle - notifications, lapsed holds, outcomes

notification and mail_outbox tables; user_account.phone and team (a provider reaches the
PA); referral_event.user_id may be empty (the service's own steps); referral.destination, outcome_on and outcome_note (what became of the young person).

Revision ID: 0010_lifecycle
Revises: 0009_screening
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_lifecycle'
down_revision = '0009_screening'
branch_labels = None
depends_on = None

NO_ID_REUSE = {'sqlite_autoincrement': True}


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'key', name='uq_notification_user_key'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('notification', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_notification_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_mail_outbox_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('mail_outbox', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_outbox_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('user_account', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('team', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('referral', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.add_column(sa.Column('destination', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('outcome_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sa.Text(), server_default='', nullable=False))

    # The service's own steps in a history (a hold lapsing) have no user.
    with op.batch_alter_table('referral_event', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=True)


def downgrade():
    # The service's steps are credited to the referral's PA, the only user on both sides of it.
    op.execute("UPDATE referral_event SET user_id = (SELECT pa_id FROM referral WHERE referral.id = referral_event.referral_id) "
               "WHERE user_id IS NULL")
    with op.batch_alter_table('referral_event', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table('referral', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('outcome_on')
        batch_op.drop_column('destination')

    with op.batch_alter_table('user_account', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_column('team')
        batch_op.drop_column('phone')

    with op.batch_alter_table('mail_outbox', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_sent_at'))
        batch_op.drop_index(batch_op.f('ix_mail_outbox_notification_id'))
    op.drop_table('mail_outbox')

    with op.batch_alter_table('notification', schema=None, table_kwargs=NO_ID_REUSE) as batch_op:
        batch_op.drop_index('ix_notification_unread')
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
    op.drop_table('notification')
