"""insight - unmet reasons and age bands, where one more place helps most

allocation_unmet.blocked_by (the matcher's first rule no intake passes; empty for a
capacity shortage) and age_band (13-15, 16-17, 18-19); allocation_place_value: the
matcher's marginal value of one more place on each intake of a run; capacity_decline:
the free places an intake showed when a provider declined a referral for lack of places;
allocation_proposal: a run's proposed placements, shown to each young person's PA.

Revision ID: 0013_insight
Revises: 0012_casework
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013_insight'
down_revision = '0012_casework'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocation_unmet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_by', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('age_band', sa.String(length=10), nullable=True))

    op.create_table('allocation_place_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('provision_id', sa.Integer(), nullable=True),
    sa.Column('intake_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('marginal_value', sa.Float(), nullable=False),
    sa.Column('extra_met', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_run.id'], name=op.f('fk_allocation_place_value_run_id_allocation_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provision_id'], ['provision.id'], name=op.f('fk_allocation_place_value_provision_id_provision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_allocation_place_value_intake_id_intake'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_place_value'))
    )
    with op.batch_alter_table('allocation_place_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_place_value_run_id'), ['run_id'], unique=False)

    op.create_table('allocation_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('provision_id', sa.Integer(), nullable=True),
    sa.Column('intake_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('wait_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_run.id'], name=op.f('fk_allocation_proposal_run_id_allocation_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['client_need.id'], name=op.f('fk_allocation_proposal_need_id_client_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provision_id'], ['provision.id'], name=op.f('fk_allocation_proposal_provision_id_provision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_allocation_proposal_intake_id_intake'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_proposal'))
    )
    with op.batch_alter_table('allocation_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_proposal_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_proposal_need_id'), ['need_id'], unique=False)

    op.create_table('capacity_decline',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('places_free', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_capacity_decline_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_capacity_decline'))
    )


def downgrade():
    op.drop_table('capacity_decline')
    with op.batch_alter_table('allocation_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_proposal_need_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_proposal_run_id'))
    op.drop_table('allocation_proposal')
    with op.batch_alter_table('allocation_place_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_place_value_run_id'))
    op.drop_table('allocation_place_value')
    with op.batch_alter_table('allocation_unmet', schema=None) as batch_op:
        batch_op.drop_column('age_band')
        batch_op.drop_column('blocked_by')
