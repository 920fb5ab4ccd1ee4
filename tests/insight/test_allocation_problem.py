"""How the allocation run builds its problem: pins, started placements, stale weight, every site, CLI."""
from __future__ import annotations

import datetime as dt

from broker.extensions import db
from broker.clients.suggestions import STALE_WEIGHT
from broker.insight import allocation
from broker.councils import area_for_point, area_for_postcode
from broker.insight.models import AllocationRun
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.insight.scenario import SUMMARY, build
from tests.people import factories as pf


def test_areas_follow_council_boundaries():
    assert area_for_postcode("LS9 7AB") == "Leeds"
    assert area_for_postcode("ls29 8aa") == "Bradford"  # Ilkley
    assert area_for_postcode("HD6 1AA") == "Calderdale"  # Brighouse
    assert area_for_postcode("BD19") == "Kirklees"
    assert area_for_postcode("YO1 7HH") == "Outside West Yorkshire"
    assert area_for_postcode("nonsense") == "Outside West Yorkshire"
    assert area_for_point(*f.HX1) == "Calderdale"


def test_pinned_places_are_counted_once_and_started_placements_leave_the_problem(app):
    s = build()
    ap = allocation.build_allocation_problem()
    a_intake = s.provisions["A"].intakes[0]
    c2 = s.clients["c2"]
    assert ap.pinned == [(str(c2.id), "training", str(a_intake.id))]
    places = {i.id: i.places for p in ap.problem.provisions for i in p.intakes}
    assert a_intake.places_taken == 1 and places[str(a_intake.id)] == 2

    # Once started, the need is met: neither the need nor a pin is in the problem, and A offers its 1 free place.
    referral = db.session.scalar(db.select(referrals.Referral).where(referrals.Referral.client_id == c2.id))
    referrals.pa_update(s.pa, referral, "started")
    ap = allocation.build_allocation_problem()
    assert ap.pinned == [] and str(c2.id) not in {c.id for c in ap.problem.clients}
    places = {i.id: i.places for p in ap.problem.provisions for i in p.intakes}
    assert places[str(a_intake.id)] == 1


def test_accepted_on_an_intake_that_can_no_longer_be_joined_counts_as_placed(app):
    pa = pf.user("pa")
    org = f.organisation()
    p = f.provision(org=org, intakes=[dict(start_in=3, places=1)])
    c = pf.client(pa, ("training", "housing"), consent_to=(org,))
    r = referrals.send_referral(pa, c, c.needs[0].id, p.intakes[0].id, SUMMARY)
    referrals.answer(pf.user("provider", organisation=org), r, "accept")
    p.intakes[0].start = dt.date.today() - dt.timedelta(days=2)  # it has begun; the PA has not marked it started
    db.session.commit()
    ap = allocation.build_allocation_problem()
    assert ap.pinned == [] and ap.problem.clients[0].needs == ("housing",)


def test_stale_listings_weigh_less_and_every_site_counts(app):
    stale = f.provision("Old", at=[f.BD1, f.LS9], confirmed_days_ago=90)
    stale.locations[0].postcode = "BD1 1JX"
    fresh = f.provision("New", at=f.LS1)
    db.session.commit()
    ap = allocation.build_allocation_problem()
    by_id = {p.id: p for p in ap.problem.provisions}
    assert by_id[str(stale.id)].weight == STALE_WEIGHT and by_id[str(fresh.id)].weight == 1.0
    assert [(s.lat, s.lon) for s in by_id[str(stale.id)].sites] == [f.BD1, f.LS9]
    assert ap.provision_areas[str(stale.id)] == "Bradford"


def test_withdrawn_and_past_intakes_offer_nothing_and_full_ones_stay_with_no_places(app):
    f.provision("Gone", status="withdrawn")
    full = f.provision("Full", intakes=[dict(start_in=5, places=2, taken=2)])
    f.provision("Past", intakes=[dict(start_in=-5, places=2)])
    rolling = f.provision("Rolling", intakes=[dict(start_in=-5, places=2, rolling=True)])
    ap = allocation.build_allocation_problem()
    places = {p.id: [i.places for i in p.intakes] for p in ap.problem.provisions}
    assert places == {str(full.id): [0], str(rolling.id): [2]} and len(ap.listings) == 3


def test_allocate_command(app, tmp_path):
    build()
    result = app.test_cli_runner().invoke(args=["allocate"])
    assert result.exit_code == 0, result.output
    assert "5 of 6 needs met (1 pinned), 1 unmet (1 for capacity" in result.output
    run = db.session.scalar(db.select(AllocationRun))
    assert run.started_by_id is None and run.figures["met"] == 5
    bad = app.test_cli_runner().invoke(args=["allocate", "--area", "York"])
    assert bad.exit_code == 2 and "--area" in bad.output
