"""Client records: who may see them, creating and changing them, needs and consent.

Every read and write of a client record is audited here, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask import abort
from sqlalchemy import func, or_, select

from broker.audit import services as audit
from broker.auth.models import User
from broker.clients.models import CONSENT_PURPOSES, NEED_STATUSES, Client, ClientNeed, ClientShare, Consent
from broker.directory.models import Organisation
from broker.extensions import db

CLIENT_FIELDS = (
    "first_name", "last_name", "date_of_birth", "home_postcode", "available_from", "urgency",
    "max_travel_km", "assessment_date", "review_date", "summary", "risks",
)


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _shared_ids(user: User):
    return select(ClientShare.client_id).where(ClientShare.user_id == user.id)


def caseload(user: User) -> list[Client]:
    """The PA's own clients and those explicitly shared with them."""
    if user.role != "pa":
        return []
    return list(
        db.session.scalars(
            select(Client)
            .where(or_(Client.pa_id == user.id, Client.id.in_(_shared_ids(user))))
            .order_by(Client.urgency.desc(), Client.last_name)
        )
    )


def referral_counts(client_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per client, how many referrals are in each status (one query for a whole caseload)."""
    from broker.referrals.models import Referral  # referrals build on clients: import here, not at the top

    rows = db.session.execute(
        select(Referral.client_id, Referral.status, func.count())
        .where(Referral.client_id.in_(client_ids))
        .group_by(Referral.client_id, Referral.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for client_id, status, n in rows:
        counts.setdefault(client_id, {})[status] = n
    return counts


def can_see(user: User, client: Client) -> bool:
    if user.role != "pa":
        return False
    if client.pa_id == user.id:
        return True
    return db.session.scalar(
        select(ClientShare.id).where(ClientShare.client_id == client.id, ClientShare.user_id == user.id)
    ) is not None


def list_caseload(user: User) -> list[Client]:
    """The caseload as shown to the PA (page or API): each young person listed is audited."""
    rows = caseload(user)
    for c in rows:
        audit.record_view(user, "list", "client", c.id, c.id)
    return rows


def client_for(user: User, client_id: int, action: str = "view") -> Client:
    """The client record if this user may see it (audited), else 404: others' records are
    not revealed. The attempt is audited either way."""
    client = db.session.get(Client, client_id)
    if client is None or not can_see(user, client):
        audit.record_denial(user, action, "client", client_id, client.id if client else None,
                            reason="no such record" if client is None else "not theirs to see")
        abort(404)
    audit.record_view(user, action, "client", client.id, client.id)
    return client


def _apply(client: Client, data: dict, place) -> dict:
    changed = {}
    for name in CLIENT_FIELDS:
        if name in data:
            value = data[name]
            if name == "urgency":
                value = int(value)
            if getattr(client, name) != value:
                changed[name] = True  # which fields changed, never their values (they are personal)
                setattr(client, name, value)
    if place is not None:
        client.lat, client.lon = place.lat, place.lon
    return changed


def create_client(user: User, data: dict, place) -> Client:
    client = Client(pa_id=user.id, summary="", risks="")
    _apply(client, data, place)
    db.session.add(client)
    db.session.flush()
    audit.record(user, "create", "client", client.id, client.id)
    db.session.commit()
    return client


def update_client(user: User, client: Client, data: dict, place) -> Client:
    changed = _apply(client, data, place)
    audit.record(user, "update", "client", client.id, client.id, fields=sorted(changed))
    db.session.commit()
    return client


def add_need(user: User, client: Client, category: str, notes: str) -> ClientNeed:
    need = ClientNeed(client=client, category=category, notes=notes or "", recorded_on=dt.date.today())
    db.session.add(need)
    db.session.flush()
    audit.record(user, "add_need", "client", client.id, client.id, need=need.id, category=category)
    db.session.commit()
    return need


def set_need_status(user: User, client: Client, need_id: int, status: str) -> ClientNeed:
    if status not in NEED_STATUSES:
        raise ValueError(f"status: must be one of {', '.join(NEED_STATUSES)}")
    need = next((n for n in client.needs if n.id == need_id), None)
    if need is None:
        abort(404)
    need.status = status
    audit.record(user, "need_status", "client", client.id, client.id, need=need.id, status=status)
    db.session.commit()
    return need


def record_consent(user: User, client: Client, organisation_id: int, purpose: str, given: bool, note: str = "") -> Consent:
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"purpose: must be one of {', '.join(CONSENT_PURPOSES)}")
    if db.session.get(Organisation, organisation_id) is None:
        raise ValueError(f"organisation_id: no agency with id {organisation_id}")
    consent = Consent(
        client=client, organisation_id=organisation_id, purpose=purpose, given=given,
        recorded_at=_now(), recorded_by_id=user.id, note=note or "",
    )
    db.session.add(consent)
    audit.record(user, "consent", "client", client.id, client.id, organisation=organisation_id, purpose=purpose, given=given)
    db.session.commit()
    return consent


def consent_in_force(client_id: int, organisation_id: int, purpose: str) -> bool:
    """Whether the young person's latest decision for this agency and purpose is 'given'."""
    latest = db.session.scalar(
        select(Consent)
        .where(Consent.client_id == client_id, Consent.organisation_id == organisation_id, Consent.purpose == purpose)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(latest and latest.given)


def consents_by_agency(client: Client) -> list[dict]:
    """The consent in force per agency and purpose, newest decision first."""
    latest: dict[tuple[int, str], Consent] = {}
    for c in client.consents:
        latest[(c.organisation_id, c.purpose)] = c  # ordered by id, so the last one wins
    return sorted(
        ({"organisation": c.organisation, "purpose": c.purpose, "given": c.given, "consent": c} for c in latest.values()),
        key=lambda row: (row["organisation"].name, row["purpose"]),
    )


def share_client(user: User, client: Client, email: str) -> User:
    """Share the record with another PA (e.g. a specialist team's), by their email."""
    if client.pa_id != user.id:
        raise ValueError("email: only the young person's own Personal Adviser can share their record")
    other = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if other is None or other.role != "pa" or not other.active:
        raise ValueError("email: no Personal Adviser has that email address")
    if other.id == user.id or can_see(other, client):
        raise ValueError("email: they can already see this record")
    db.session.add(ClientShare(client_id=client.id, user_id=other.id, shared_by_id=user.id, shared_at=_now()))
    audit.record(user, "share", "client", client.id, client.id, with_user=other.id)
    db.session.commit()
    return other


def shared_with(client: Client) -> list[User]:
    return list(db.session.scalars(select(User).join(ClientShare, ClientShare.user_id == User.id).where(ClientShare.client_id == client.id)))


