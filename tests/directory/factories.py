"""Small builders for directory rows, with sensible defaults a test can override."""
from __future__ import annotations

import datetime as dt
import itertools

from broker.directory.models import Intake, Location, Organisation, Provision
from broker.extensions import db

_seq = itertools.count(1)
TODAY = dt.date.today()

# Real postcode-district centroids (OS Code-Point Open) used as test places.
LS9 = (53.79937, -1.51000)  # Leeds, east (Harehills/Burmantofts)
LS1 = (53.79764, -1.55144)  # Leeds city centre, ~2.7 km from LS9
BD1 = (53.79656, -1.75443)  # Bradford centre, ~16 km from LS9
HX1 = (53.72107, -1.87163)  # Halifax, ~25 km from LS9


def organisation(name="Test Provider Ltd", **kw) -> Organisation:
    n = next(_seq)
    org = Organisation(key=f"org-test-{n}", name=name, **kw)
    db.session.add(org)
    return org


def provision(
    name="Provision",
    *,
    org=None,
    category="training",
    description="",
    at=LS1,
    intakes=None,
    confirmed_days_ago=1,
    commit=True,
    **kw,
) -> Provision:
    n = next(_seq)
    p = Provision(
        key=f"prov-test-{n}",
        name=name,
        description=description,
        category=category,
        organisation=org or organisation(),
        last_confirmed=TODAY - dt.timedelta(days=confirmed_days_ago),
        **kw,
    )
    points = at if isinstance(at, list) else [at] if at else []
    p.locations = [Location(name=f"Site {i}", postcode="LS1 1AA", lat=lat, lon=lon) for i, (lat, lon) in enumerate(points)]
    if intakes is None:
        intakes = [dict(start_in=7, places=10)]
    p.intakes = [
        Intake(
            start=TODAY + dt.timedelta(days=i.get("start_in", 7)),
            places=i.get("places", 10),
            places_taken=i.get("taken", 0),
            rolling=i.get("rolling", False),
        )
        for i in intakes
    ]
    db.session.add(p)
    if commit:
        db.session.commit()
    return p
