"""oruk: stable public ids, what feeds say beyond our fields, places taken outside, listings needing review

Revision ID: 0007_oruk
Revises: 0006_platform
Create Date: 2026-12-01 22:23:06.324535

Every organisation, listing, place and intake gets a public id (a UUID) that Open
Referral feeds publish and keep. Rows already imported from a feed (key "oruk:<id>")
get the id the importer now derives from their publisher's id, so the next import
finds them; every other row a random one. Places taken outside (said by a feed, not
held by a referral here) start as what referrals do not explain.
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_oruk"
down_revision = "0006_platform"
branch_labels = None
depends_on = None

# Frozen copy of broker.directory.oruk.mapping.public_id as it was when this ran.
_NAMESPACE = uuid.UUID("5e7f139e-5080-49e4-9d8c-a37b1a8c0018")
_HOLDS_PLACE = ("sent", "more_info", "accepted", "started")


def _public_id(kind: str, key: str) -> str:
    if key.startswith("oruk:"):
        publisher_id = key[len("oruk:"):]
        try:
            return str(uuid.UUID(publisher_id))
        except ValueError:
            return str(uuid.uuid5(_NAMESPACE, f"{kind}:{publisher_id}"))
    return str(uuid.uuid4())


def upgrade():
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
    with op.batch_alter_table('provision') as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('review_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('application_process', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('wait_time', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('schedules', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('required_documents', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('languages', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('contacts', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('service_areas', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('location') as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('sal_uid', sa.String(length=36), nullable=True))
    with op.batch_alter_table('intake') as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('places_taken_outside', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))

    conn = op.get_bind()
    for table, kind in (("organisation", "organization"), ("provision", "service")):
        for row_id, key in conn.execute(sa.text(f"SELECT id, key FROM {table}")).all():
            conn.execute(sa.text(f"UPDATE {table} SET uid = :uid WHERE id = :id"), {"uid": _public_id(kind, key), "id": row_id})
    for (row_id,) in conn.execute(sa.text("SELECT id FROM location")).all():
        conn.execute(sa.text("UPDATE location SET uid = :uid, sal_uid = :sal WHERE id = :id"),
                     {"uid": str(uuid.uuid4()), "sal": str(uuid.uuid4()), "id": row_id})
    held = dict(conn.execute(
        sa.text("SELECT intake_id, count(*) FROM referral WHERE status IN :holding GROUP BY intake_id")
        .bindparams(sa.bindparam("holding", expanding=True)),
        {"holding": list(_HOLDS_PLACE)},
    ).all())
    for row_id, taken in conn.execute(sa.text("SELECT id, places_taken FROM intake")).all():
        conn.execute(
            sa.text("UPDATE intake SET uid = :uid, places_taken_outside = :outside, updated_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"uid": str(uuid.uuid4()), "outside": max(taken - held.get(row_id, 0), 0), "id": row_id},
        )

    with op.batch_alter_table('organisation') as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_uid'), ['uid'])
    with op.batch_alter_table('provision') as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('category', existing_type=sa.String(length=40), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_provision_uid'), ['uid'])
        batch_op.create_check_constraint('active_has_category', "status <> 'active' OR category IS NOT NULL")
    with op.batch_alter_table('location') as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('sal_uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index(batch_op.f('ix_location_uid'), ['uid'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_location_sal_uid'), ['sal_uid'])
    with op.batch_alter_table('intake') as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False,
                              server_default=sa.func.now())
        batch_op.create_unique_constraint(batch_op.f('uq_intake_uid'), ['uid'])
        batch_op.create_check_constraint('outside_not_negative', "places_taken_outside >= 0")


def downgrade():
    with op.batch_alter_table('intake') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_intake_outside_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_intake_uid'), type_='unique')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('places_taken_outside')
        batch_op.drop_column('uid')
    with op.batch_alter_table('location') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_location_sal_uid'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_location_uid'))
        batch_op.drop_column('sal_uid')
        batch_op.drop_column('uid')
    op.execute("UPDATE provision SET category = 'training' WHERE category IS NULL")
    with op.batch_alter_table('provision') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_provision_active_has_category'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_provision_uid'), type_='unique')
        batch_op.alter_column('category', existing_type=sa.String(length=40), nullable=False)
        for column in ('service_areas', 'contacts', 'languages', 'required_documents', 'schedules', 'wait_time',
                       'application_process', 'review_reason', 'uid'):
            batch_op.drop_column(column)
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_uid'), type_='unique')
        batch_op.drop_column('uid')
