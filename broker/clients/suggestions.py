"""Placement suggestions for one young person: the matcher's `suggest` over live vacancies.

The problem handed to the matcher (contract version 2) holds only this client and the
active listings in the categories of their open needs; each listing's free places are
its intakes' places left now, so the options reflect referrals already holding places.
The young person's area, criteria and birth date (age on the day an intake starts), when
each need was recorded and their own ranked preferences go in with them; each listing
brings every site (distance to the nearest), the areas it serves and the criteria it
requires. Allocation runs and what-if build their problems with the same two functions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import matching
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake, Location, Provision
from broker.eligibility import client_area
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
    # The same start dates with the matcher's rule names (matching.Excluded), for the page's groups.
    ruled_out: list[tuple[Provision, matching.Excluded]] = field(default_factory=list)
    excluded_count: int = 0
    eligible_count: int = 0
    note: str = ""


def matcher_client(client: Client, today: dt.date) -> matching.Client:
    """The young person as the matcher sees them: one need per category of their open needs
    (waiting since the first of them was recorded), their area, criteria and preferences."""
    since: dict[str, dt.date] = {}
    for need in client.open_needs:
        if need.category not in since:
            since[need.category] = min(need.recorded_on, today)
    return matching.Client(
        id=str(client.id),
        location=matching.Location(client.lat, client.lon),
        birth_date=client.date_of_birth,
        available_from=max(client.available_from, today),
        urgency=client.urgency,
        needs=tuple(since),
        since=since,
        max_travel_km=client.max_travel_km,
        area=client_area(client),
        criteria=frozenset(client.criteria or ()),
        prefers=tuple(str(pref.provision_id) for pref in client.preferences),
    )


def matcher_provision(
    p, today: dt.date, stale_days: int,
    extra_places: Mapping[int, int] | None = None,
) -> matching.Provision:
    """A listing (a Provision, or anything shaped like one, with at least one site) as the
    matcher sees it: every site, the areas it serves (None: anywhere), the criteria it
    requires, upcoming intakes with the places left now (plus `extra_places` per intake id;
    full ones too, with 0, so a need only they could meet is unmet for capacity), stale
    listings weighing less."""
    extra_places = extra_places or {}
    intakes = []
    for i in p.upcoming_intakes(today):
        places = max(i.places_left, 0) + extra_places.get(i.id, 0)
        intakes.append(matching.Intake(id=str(i.id), start=i.start, places=places, rolling=i.rolling))
    return matching.Provision(
        id=str(p.id),
        category=p.category,
        locations=tuple(matching.Location(site.lat, site.lon) for site in p.locations),
        intakes=tuple(intakes),
        min_age=p.min_age,
        max_age=p.max_age,
        weight=STALE_WEIGHT if p.is_stale(today, stale_days) else 1.0,
        areas=frozenset(p.areas) if p.areas is not None else None,
        requires=frozenset(p.requires or ()),
    )


def build_problem(client: Client, provisions: list, today: dt.date) -> matching.Problem:
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    m_provisions = []
    for p in provisions:
        if not p.locations:
            continue
        listing = matcher_provision(p, today, stale_days)
        if listing.intakes:
            m_provisions.append(listing)
    return matching.Problem(as_of=today, clients=(matcher_client(client, today),), provisions=tuple(m_provisions),
                            version=2)


@dataclass(frozen=True)
class _Site:
    lat: float
    lon: float


@dataclass(frozen=True)
class _Intake:
    id: int
    start: dt.date
    places: int
    places_taken: int
    rolling: bool

    @property
    def places_left(self) -> int:
        return self.places - self.places_taken


@dataclass
class _Listing:
    """What the matcher needs of a listing, read with Core queries: a suggestions page weighs every
    live listing in the needs' categories, and loading them as ORM objects measured most of its time."""

    id: int
    category: str
    min_age: int | None
    max_age: int | None
    last_confirmed: dt.date
    areas: list[str] | None
    requires: list[str]
    intakes: list[_Intake] = field(default_factory=list)
    locations: list[_Site] = field(default_factory=list)

    def upcoming_intakes(self, today: dt.date) -> list[_Intake]:
        return [i for i in self.intakes if i.rolling or i.start >= today]

    def is_stale(self, today: dt.date, stale_days: int) -> bool:
        return (today - self.last_confirmed).days > stale_days


def _live_listings(categories) -> list[_Listing]:
    """Active listings in these categories with their sites and intakes, in two round trips."""
    listings: dict[int, _Listing] = {}
    rows = db.session.execute(
        select(Provision.id, Provision.category, Provision.min_age, Provision.max_age, Provision.last_confirmed,
               Provision.areas, Provision.requires, Location.lat, Location.lon)
        .outerjoin(Location, Location.provision_id == Provision.id)
        .where(Provision.status == "active", Provision.category.in_(categories))
        .order_by(Provision.id, Location.id)
    )
    for pid, category, lo, hi, confirmed, areas, requires, lat, lon in rows:
        listing = listings.get(pid)
        if listing is None:
            listing = listings[pid] = _Listing(pid, category, lo, hi, confirmed, areas, requires or [])
        if lat is not None:
            listing.locations.append(_Site(lat, lon))
    if listings:
        for iid, pid, start, places, taken, rolling in db.session.execute(
            select(Intake.id, Intake.provision_id, Intake.start, Intake.places, Intake.places_taken, Intake.rolling)
            .join(Provision, Provision.id == Intake.provision_id)
            .where(Provision.status == "active", Provision.category.in_(categories))
            .order_by(Intake.start, Intake.id)
        ):
            listings[pid].intakes.append(_Intake(iid, start, places, taken, rolling))
    return list(listings.values())


def suggestions_for(
    client: Client, today: dt.date | None = None, top_n: int = 5, max_excluded: int | None = 10,
) -> list[NeedView]:
    """Ranked, explained options for each open need (one per category); `max_excluded=None`
    keeps every ruled-out start date (the page lists them all)."""
    today = today or dt.date.today()
    categories = {n.category for n in client.open_needs}
    problem = build_problem(client, _live_listings(categories), today)
    result = matching.suggest(problem, str(client.id), top_n=top_n,
                               max_excluded=10**9 if max_excluded is None else max_excluded)
    # Only the listings shown are loaded as models, with their providers and intakes.
    shown = {int(o.provision) for ns in result.needs for o in ns.options} | {
        int(e.provision) for ns in result.needs for e in ns.excluded}
    provisions = db.session.scalars(
        select(Provision).where(Provision.id.in_(shown))
        .options(joinedload(Provision.organisation), joinedload(Provision.intakes))
    ).unique().all() if shown else []
    by_id = {str(p.id): p for p in provisions}
    intakes = {str(i.id): i for p in provisions for i in p.intakes}
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
        view.ruled_out = [(by_id[e.provision], e) for e in ns.excluded]
    return views
