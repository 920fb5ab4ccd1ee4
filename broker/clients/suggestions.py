"""Placement suggestions for one young person: the matcher's `suggest` over live vacancies.

The problem handed to the matcher holds only this client and the active listings in
the categories of their open needs; each listing's free places are its intakes'
places left now, so the options reflect referrals already holding places.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import matching
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake, Location, Provision
from broker.geography import distance_km
from broker.extensions import db

# Stale listings weigh less: the matcher multiplies the urgency part of a placement's
# value by this. With the contract's default weights (1000 a point of urgency, 1 a day,
# 2 a km) a stale listing ranks below a fresh one unless the fresh one means about 100
# more days of waiting (or 50 more km) per point of urgency.
STALE_WEIGHT = 0.9


@dataclass
class OptionView:
    provision: Provision
    intake: Intake
    option: matching.Option
    stale: bool


@dataclass
class NeedView:
    need: ClientNeed
    options: list[OptionView] = field(default_factory=list)
    excluded: list[tuple[Provision, str, float]] = field(default_factory=list)
    excluded_count: int = 0
    eligible_count: int = 0
    note: str = ""


def matcher_client(client: Client, today: dt.date) -> matching.Client:
    """The young person as the matcher sees them: one need per category of their open needs."""
    categories = []
    for need in client.open_needs:
        if need.category not in categories:
            categories.append(need.category)
    return matching.Client(
        id=str(client.id),
        location=matching.Location(client.lat, client.lon),
        age=client.age_on(today),
        available_from=max(client.available_from, today),
        urgency=client.urgency,
        needs=tuple(categories),
        max_travel_km=client.max_travel_km,
    )


def matcher_provision(
    p: Provision, site: Location, today: dt.date, stale_days: int,
    extra_places: Mapping[int, int] | None = None, drop_full: bool = False,
) -> matching.Provision:
    """A listing as the matcher sees it, at one of its sites: upcoming intakes with the
    places left now (plus `extra_places` per intake id), stale listings weighing less."""
    extra_places = extra_places or {}
    intakes = []
    for i in p.upcoming_intakes(today):
        places = max(i.places_left, 0) + extra_places.get(i.id, 0)
        if places > 0 or not drop_full:
            intakes.append(matching.Intake(id=str(i.id), start=i.start, places=places, rolling=i.rolling))
    return matching.Provision(
        id=str(p.id),
        category=p.category,
        location=matching.Location(site.lat, site.lon),
        intakes=tuple(intakes),
        min_age=p.min_age,
        max_age=p.max_age,
        weight=STALE_WEIGHT if p.is_stale(today, stale_days) else 1.0,
    )


def build_problem(client: Client, provisions: list[Provision], today: dt.date) -> matching.Problem:
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    m_provisions = []
    for p in provisions:
        if not p.locations:
            continue
        # The site nearest this young person is the one they would attend.
        site = min(p.locations, key=lambda l: distance_km(client.lat, client.lon, l.lat, l.lon))
        listing = matcher_provision(p, site, today, stale_days)
        if listing.intakes:
            m_provisions.append(listing)
    return matching.Problem(as_of=today, clients=(matcher_client(client, today),), provisions=tuple(m_provisions))


def suggestions_for(client: Client, today: dt.date | None = None, top_n: int = 5) -> list[NeedView]:
    """Ranked, explained options for each open need (one per category)."""
    today = today or dt.date.today()
    categories = {n.category for n in client.open_needs}
    provisions = list(
        db.session.scalars(
            select(Provision)
            .where(Provision.status == "active", Provision.category.in_(categories))
            .options(selectinload(Provision.intakes), selectinload(Provision.locations), selectinload(Provision.organisation))
        )
    )
    by_id = {str(p.id): p for p in provisions}
    intakes = {str(i.id): i for p in provisions for i in p.intakes}
    problem = build_problem(client, provisions, today)
    result = matching.suggest(problem, str(client.id), top_n=top_n, max_excluded=10)
    per_category = {ns.need: ns for ns in result.needs}
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    views, seen = [], set()
    for need in client.open_needs:
        view = NeedView(need=need)
        views.append(view)
        if need.category in seen:
            view.note = "Another open need in this category is matched above."
            continue
        seen.add(need.category)
        ns = per_category.get(need.category)
        if ns is None:
            continue
        view.note, view.eligible_count, view.excluded_count = ns.note, ns.eligible_count, ns.excluded_count
        for o in ns.options:
            p = by_id[o.provision]
            view.options.append(OptionView(p, intakes[o.intake], o, p.is_stale(today, stale_days)))
        view.excluded = [(by_id[e.provision], e.reason, e.km) for e in ns.excluded]
    return views
