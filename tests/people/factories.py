"""Users, clients, needs and consent for tests, built through the real services.

Services only flush; each builder commits, as a request or CLI command would at its end."""
from __future__ import annotations

import datetime as dt

from broker.auth.services import create_user
from broker.clients import services as clients
from broker.extensions import db

PASSWORD = "correct horse battery"


_n = iter(range(1, 10**6))


def user(role: str, email: str | None = None, organisation=None):
    email = email or f"{role}{next(_n)}@test.example"
    made = create_user(email, email.split("@")[0], role, PASSWORD, organisation.id if organisation else None)
    db.session.commit()
    return made


def client(pa, needs=("training",), postcode="LS9 7AB", age=17, urgency=2, consent_to=(), **kw):
    today = dt.date.today()
    data = dict(
        first_name=kw.pop("first_name", "Jordan"),
        last_name=kw.pop("last_name", "Test"),
        date_of_birth=today.replace(year=today.year - age) - dt.timedelta(days=10),
        home_postcode=postcode,
        available_from=today,
        urgency=urgency,
        max_travel_km=25.0,
        assessment_date=today,
        review_date=today + dt.timedelta(days=30),
        summary="Left college in October and wants to learn a trade.",
        risks="Anxious with new adults.",
    )
    data.update(kw)
    # Tests make many "Jordan Test"s: each is a new young person, not a possible duplicate.
    c = clients.create_client(pa, {"confirm_new": True, **data})
    for category in needs:
        clients.add_need(pa, c, category, f"notes on {category}")
    for org in consent_to:
        clients.record_consent(pa, c, org.id, "referral", True)
    db.session.commit()
    return c
