"""casework - plans, reviews, case conferences, actions, team leads

Team leads supervise PAs (supervision, supervision_note); the young person's plan
(plan_action) and reviews (plan_review); case conferences with attendees and the actions
they agree; user_account.specialist_team marks PAs in specialist teams.

Revision ID: 0012_casework
Revises: 0011_consent
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_casework'
down_revision = '0011_consent'
branch_labels = None
depends_on = None

# Ids named elsewhere are never reused on SQLite (broker.extensions.NO_ID_REUSE).
AUTOINCREMENT = {'sqlite_autoincrement': True}


def upgrade():
    with op.batch_alter_table('user_account', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('specialist_team', sa.String(length=100), nullable=True))

    op.create_table('supervision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('pa_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['user_account.id'], name=op.f('fk_supervision_lead_id_user_account')),
    sa.ForeignKeyConstraint(['pa_id'], ['user_account.id'], name=op.f('fk_supervision_pa_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision')),
    sa.UniqueConstraint('lead_id', 'pa_id', name='lead_pa'),
    )
    op.create_index(op.f('ix_supervision_lead_id'), 'supervision', ['lead_id'])
    op.create_index(op.f('ix_supervision_pa_id'), 'supervision', ['pa_id'])

    op.create_table('supervision_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('pa_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['user_account.id'], name=op.f('fk_supervision_note_lead_id_user_account')),
    sa.ForeignKeyConstraint(['pa_id'], ['user_account.id'], name=op.f('fk_supervision_note_pa_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_note')),
    **AUTOINCREMENT,
    )
    op.create_index(op.f('ix_supervision_note_lead_id'), 'supervision_note', ['lead_id'])
    op.create_index(op.f('ix_supervision_note_pa_id'), 'supervision_note', ['pa_id'])

    op.create_table('plan_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_plan_action_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_plan_action_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action')),
    **AUTOINCREMENT,
    )
    op.create_index(op.f('ix_plan_action_client_id'), 'plan_action', ['client_id'])

    op.create_table('plan_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('next_review', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_plan_review_client_id_client')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_plan_review_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_review')),
    **AUTOINCREMENT,
    )
    op.create_index(op.f('ix_plan_review_client_id'), 'plan_review', ['client_id'])

    op.create_table('case_conference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('convened_by_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_case_conference_client_id_client')),
    sa.ForeignKeyConstraint(['convened_by_id'], ['user_account.id'], name=op.f('fk_case_conference_convened_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_conference')),
    **AUTOINCREMENT,
    )
    op.create_index(op.f('ix_case_conference_client_id'), 'case_conference', ['client_id'])

    op.create_table('conference_attendee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['conference_id'], ['case_conference.id'], name=op.f('fk_conference_attendee_conference_id_case_conference')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_conference_attendee_user_id_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_conference_attendee_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_attendee')),
    )
    op.create_index(op.f('ix_conference_attendee_conference_id'), 'conference_attendee', ['conference_id'])
    op.create_index(op.f('ix_conference_attendee_user_id'), 'conference_attendee', ['user_id'])
    op.create_index(op.f('ix_conference_attendee_organisation_id'), 'conference_attendee', ['organisation_id'])

    op.create_table('conference_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['conference_id'], ['case_conference.id'], name=op.f('fk_conference_action_conference_id_case_conference')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['user_account.id'], name=op.f('fk_conference_action_owner_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_action')),
    **AUTOINCREMENT,
    )
    op.create_index(op.f('ix_conference_action_conference_id'), 'conference_action', ['conference_id'])
    op.create_index(op.f('ix_conference_action_owner_user_id'), 'conference_action', ['owner_user_id'])


def downgrade():
    for table in ('conference_action', 'conference_attendee', 'case_conference', 'plan_review', 'plan_action',
                  'supervision_note', 'supervision'):
        op.drop_table(table)
    with op.batch_alter_table('user_account', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('specialist_team')
