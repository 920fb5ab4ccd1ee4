"""The demo as a whole: no suggestion or allocation-run placement for any demo young person
breaks their area, criteria or age on the day they would start. Checked here from the
records themselves (birth date, council codes, criteria), not with the app's or the
matcher's rule code."""
from __future__ import annotations

import datetime as dt

import matching
from sqlalchemy import select

from broker.clients.models import Client
from broker.clients.suggestions import suggestions_for
from broker.councils import code_for_postcode
from broker.demo_people import create_demo_people
from broker.directory.demo import demo_size, load_demo
from broker.directory.models import Intake, Provision
from broker.extensions import db
from broker.insight import allocation


def _years(born: dt.date, day: dt.date) -> int:
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def _breaks(p: Provision, c: Client, start: dt.date) -> list[str]:
    where = c.area if c.area is not None else code_for_postcode(c.home_postcode)
    age = _years(c.date_of_birth, start)
    out = []
    if (p.min_age is not None and age < p.min_age) or (p.max_age is not None and age > p.max_age):
        out.append(f"age {age} on {start}")
    if p.areas is not None and where not in p.areas:
        out.append(f"area {where}")
    if not set(p.requires or []) <= set(c.criteria or []):
        out.append(f"criteria {p.requires}")
    return out


def test_no_demo_suggestion_or_placement_breaks_area_criteria_or_age_on_the_start_day(app):
    assert load_demo() == demo_size()
    create_demo_people()
    db.session.commit()
    today = dt.date.today()
    people = db.session.scalars(select(Client).order_by(Client.id)).all()
    listings = {p.id: p for p in db.session.scalars(select(Provision))}
    assert len(listings) == demo_size()
    # The demo has what the rules are about: area-limited, care-leaver and young-parent
    # listings, several sites, people recorded with criteria and preferences, and near 16 and 20.
    assert sum(p.areas is not None for p in listings.values()) > 100
    assert {"care_leaver", "young_parent"} <= {c for p in listings.values() for c in p.requires}
    assert sum(len(p.locations) > 1 for p in listings.values()) > 10
    assert sum(bool(c.criteria) for c in people) >= 5 and sum(bool(c.preferences) for c in people) >= 3
    assert any(_years(c.date_of_birth, today) == 15 and _years(c.date_of_birth, today + dt.timedelta(days=60)) == 16
               for c in people)
    assert any(_years(c.date_of_birth, today) == 19 and _years(c.date_of_birth, today + dt.timedelta(days=60)) == 20
               for c in people)

    offered = 0
    for c in people:
        available = max(c.available_from, today)
        for view in suggestions_for(c, today, top_n=10):
            for o in view.options:
                start = max(o.intake.start, available)
                assert not _breaks(o.provision, c, start), (c.first_name, o.provision.name, _breaks(o.provision, c, start))
                offered += 1
    assert offered > len(people)

    ap = allocation.build_allocation_problem(today)
    alloc = matching.solve(ap.problem, pinned=ap.pinned)
    by_id = {str(c.id): c for c in people}
    placed = 0
    for pl in alloc.placements:
        if pl.pinned:
            continue  # accepted referrals stand as they were sent
        c, intake = by_id[pl.client], db.session.get(Intake, int(pl.intake))
        start = max(intake.start, c.available_from, today)
        assert not _breaks(listings[int(pl.provision)], c, start), (c.first_name, pl.provision)
        placed += 1
    assert placed > 10
