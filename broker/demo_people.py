"""Demo accounts and a small demo caseload, created by `broker init` on an empty database."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select

from broker.auth.models import User
from broker.auth.services import create_user
from broker.clients import services as clients
from broker.directory.models import Organisation, Provision
from broker.extensions import db
from broker.geography import resolve_place


def create_demo_people() -> list[tuple[str, str, str]]:
    """Create the demo accounts (if there are no users yet); returns (role, email, password)."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return []
    # Provider staff for the organisation with the most training listings: the demo's busiest inbox.
    org_id = db.session.scalar(
        select(Provision.organisation_id)
        .where(Provision.category == "training", Provision.status == "active")
        .group_by(Provision.organisation_id)
        .order_by(func.count().desc(), Provision.organisation_id)
        .limit(1)
    )
    accounts = [
        ("pa", "pa@demo.example", "Priya Adviser", None),
        ("pa", "pa2@demo.example", "Sam Targeted-PA", None),
        ("provider", "provider@demo.example", "Pat Provider", org_id),
        ("manager", "manager@demo.example", "Morgan Manager", None),
        ("admin", "admin@demo.example", "Alex Admin", None),
    ]
    created = []
    for role, email, name, org in accounts:
        if role == "provider" and org is None:
            continue
        password = secrets.token_urlsafe(9)
        create_user(email, name, role, password, org)
        created.append((role, email, password))
    pa = db.session.scalar(select(User).where(User.email == "pa@demo.example"))
    _demo_caseload(pa, org_id)
    return created


def _demo_caseload(pa: User, org_id: int | None) -> None:
    today = dt.date.today()
    people = [
        ("Jordan", "Demo", 17, "LS9 7AB", 3, ["training", "housing"], "Left college in October; sofa-surfing with friends."),
        ("Casey", "Example", 16, "BD3 9AA", 2, ["education", "mental-health"], "Anxious in large groups; wants to finish GCSE maths."),
        ("Riley", "Sample", 18, "WF1 2AA", 1, ["employment"], "Keen on warehouse or retail work; has a CSCS card."),
    ]
    for first, last, age, postcode, urgency, needs, summary in people:
        place = resolve_place(postcode)
        data = dict(
            first_name=first, last_name=last, date_of_birth=today.replace(year=today.year - age) - dt.timedelta(days=40),
            home_postcode=postcode, available_from=today, urgency=urgency, max_travel_km=20.0,
            assessment_date=today - dt.timedelta(days=7), review_date=today + dt.timedelta(days=42),
            summary=summary, risks="",
        )
        client = clients.create_client(pa, data, place)
        for category in needs:
            clients.add_need(pa, client, category, "")
        if org_id is not None:
            clients.record_consent(pa, client, org_id, "referral", True, "Agreed at the demo set-up")
