"""Suggestions and allocation runs respect where a young person lives, who a service is for,
and their age on the day an intake starts (matcher contract version 2)."""
from __future__ import annotations

import datetime as dt

import matching
from broker.clients.suggestions import suggestions_for
from broker.extensions import db
from broker.insight import allocation
from tests.directory import factories as f
from tests.people import factories as pf

LEEDS, WAKEFIELD, BRADFORD = "E08000035", "E08000036", "E08000032"
TODAY = dt.date.today()


def _offered(client) -> dict[str, set[int]]:
    """Listing names offered per need category."""
    return {v.need.category: {o.provision.name for o in v.options} for v in suggestions_for(client)}


def _ruled_out(client) -> dict[str, str]:
    return {p.name: reason for v in suggestions_for(client) for p, reason, _km in v.excluded}


def test_a_bradford_young_person_is_not_offered_a_leeds_and_wakefield_only_service(app):
    pa = pf.user("pa")
    f.provision("Leeds and Wakefield only", at=f.BD1, areas=[LEEDS, WAKEFIELD])
    f.provision("Anywhere", at=f.BD1)
    farhan = pf.client(pa, postcode="BD1 1JX", first_name="Farhan")
    jordan = pf.client(pa, postcode="LS9 7AB")
    assert _offered(farhan)["training"] == {"Anywhere"}
    assert "Leeds and Wakefield only" in _ruled_out(farhan)
    assert _offered(jordan)["training"] == {"Leeds and Wakefield only", "Anywhere"}

    # Placed in Leeds by the PA (in care out of their home area): Leeds services are theirs.
    farhan.area = LEEDS
    db.session.commit()
    assert _offered(farhan)["training"] == {"Leeds and Wakefield only", "Anywhere"}


def test_only_care_leavers_are_offered_care_leaver_services(app):
    pa = pf.user("pa")
    f.provision("Care leavers' flats", category="housing", requires=["care_leaver"])
    f.provision("Open hostel", category="housing")
    other = pf.client(pa, ("housing",))
    leaver = pf.client(pa, ("housing",), criteria=["care_leaver"])
    assert _offered(other)["housing"] == {"Open hostel"}
    assert _offered(leaver)["housing"] == {"Care leavers' flats", "Open hostel"}


def test_age_is_judged_on_the_day_the_intake_starts(app):
    pa = pf.user("pa")
    # Turns 16 in 20 days: a 16+ course starting in 30 days is theirs, one starting in 7 is not.
    born = (TODAY + dt.timedelta(days=20)).replace(year=TODAY.year - 16)
    f.provision("Starts before 16th birthday", min_age=16, max_age=19, intakes=[dict(start_in=7)])
    f.provision("Starts after 16th birthday", min_age=16, max_age=19, intakes=[dict(start_in=30)])
    almost16 = pf.client(pa, date_of_birth=born)
    assert _offered(almost16)["training"] == {"Starts after 16th birthday"}
    # Turns 20 in 20 days: only the course starting while they are still 19.
    old = pf.client(pa, date_of_birth=born.replace(year=born.year - 4))
    assert old.age_on(TODAY) == 19
    assert _offered(old)["training"] == {"Starts before 16th birthday"}


def test_allocation_runs_use_every_site_area_and_criteria(app):
    pa = pf.user("pa")
    # Its Leeds site is 16 km from Bradford; its Bradford site is where a Bradford young person would go.
    multi = f.provision("Two sites", at=[f.LS1, f.BD1], intakes=[dict(start_in=7, places=5)])
    leeds_only = f.provision("Leeds only", at=f.BD1, areas=[LEEDS], intakes=[dict(start_in=7, places=5)])
    leavers = f.provision("Care leavers", at=f.BD1, requires=["care_leaver"], intakes=[dict(start_in=7, places=5)])
    farhan = pf.client(pa, postcode="BD1 1JX", first_name="Farhan", max_travel_km=5.0)
    ap = allocation.build_allocation_problem()
    assert ap.problem.version == 2
    by_id = {p.id: p for p in ap.problem.provisions}
    assert len(by_id[str(multi.id)].sites) == 2
    assert by_id[str(leeds_only.id)].areas == frozenset({LEEDS})
    (mc,) = ap.problem.clients
    assert mc.area == BRADFORD and mc.criteria == frozenset() and mc.birth_date == farhan.date_of_birth
    alloc = matching.solve(ap.problem)
    (placement,) = alloc.placements
    assert placement.provision == str(multi.id) and placement.distance_km < 1
    assert str(leeds_only.id) != placement.provision != str(leavers.id)


def test_preferences_and_when_a_need_was_recorded_go_to_the_matcher(app):
    pa = pf.user("pa")
    a, b = f.provision("A"), f.provision("B")
    c = pf.client(pa)
    c.needs[0].recorded_on = TODAY - dt.timedelta(days=40)
    from broker.clients.models import ClientPreference
    c.preferences = [ClientPreference(provision_id=b.id, rank=1), ClientPreference(provision_id=a.id, rank=2)]
    db.session.commit()
    (mc,) = allocation.build_allocation_problem().problem.clients
    assert mc.prefers == (str(b.id), str(a.id))
    assert mc.since == {"training": TODAY - dt.timedelta(days=40)}
    # Everything else equal, the young person's first choice comes first.
    assert [o.provision.name for o in suggestions_for(c)[0].options][0] == "B"
