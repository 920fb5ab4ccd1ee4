"""Why needs go unmet (capacity or the matcher's blocked_by), and where one more place helps most."""
from __future__ import annotations

import pytest

from broker.auth.services import issue_token
from broker.extensions import db
from broker.insight import allocation, shortages
from broker.insight.models import AllocationUnmet
from tests.insight.scenario import build
from tests.people import factories as pf


@pytest.fixture
def scenario(app, client):
    """The known scenario, every housing listing for 16 and over, plus c6 (14, housing, Leeds)
    and c7 (training, Wakefield, travels at most 3 km)."""
    s = build(http=client)
    s.provisions["C"].min_age = 16
    s.clients["c6"] = pf.client(s.pa, ("housing",), "LS9 7AB", age=14, urgency=2)
    s.clients["c7"] = pf.client(s.pa, ("training",), "WF1 2EB", urgency=2, max_travel_km=3.0)
    db.session.commit()
    return s


def test_every_unmet_need_carries_its_reason(scenario):
    run = allocation.run_allocation(scenario.manager)
    got = sorted(db.session.execute(db.select(AllocationUnmet.need_id, AllocationUnmet.reason, AllocationUnmet.blocked_by,
                                              AllocationUnmet.age_band)).all())
    c = scenario.clients
    assert got == sorted([(c["c3"].needs[0].id, "capacity", None, "16-17"),
                          (c["c6"].needs[0].id, "no_eligible_provision", "age", "13-15"),
                          (c["c7"].needs[0].id, "no_eligible_provision", "distance", "16-17")])
    assert run.figures["unmet"] == 3


@pytest.mark.parametrize("by", ["category,area,month", "category,area,age_band", "age_band", "area", ""])
def test_every_rows_reasons_add_up_to_its_unmet(scenario, by):
    allocation.run_allocation(scenario.manager)
    m0, _m1, m2 = scenario.months
    rows = shortages.shortage_rows(shortages.parse_query({"by": by, "from": m0, "to": m2}))
    assert rows
    for r in rows:
        assert sum(r["unmet_by_reason"].values()) == r["unmet"], r
    t = shortages.totals(rows)
    assert t["unmet_by_reason"] == {"capacity": 1, "age": 1, "distance": 1} and t["unmet"] == 3


def test_age_band_is_a_dimension(scenario):
    allocation.run_allocation(scenario.manager)
    m0, _m1, m2 = scenario.months
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category,age_band", "from": m0, "to": m2}))
    housing = {r["age_band"]: r for r in rows if r["category"] == "housing"}
    # c6 (14) needs housing and no place is open to 13-15; c4's housing need is 16-17, with C's place open to them.
    assert (housing["13-15"]["open_needs"], housing["13-15"]["supply"], housing["13-15"]["unmet_by_reason"]) == (1, 0, {"age": 1})
    assert (housing["16-17"]["open_needs"], housing["16-17"]["supply"]) == (1, 1)


def test_a_need_only_full_places_could_meet_is_unmet_for_capacity(scenario, client):
    """C (housing, Leeds, 16+) is full: c4 (17) waits for a place there rather than being ruled out,
    while c6 (14) is still kept out by age."""
    scenario.provisions["C"].intakes[0].places_taken = 1
    db.session.commit()
    run = allocation.run_allocation(scenario.manager)
    c4_housing = next(n.id for n in scenario.clients["c4"].needs if n.category == "housing")
    assert db.session.execute(db.select(AllocationUnmet.reason, AllocationUnmet.blocked_by)
                              .where(AllocationUnmet.need_id == c4_housing)).one() == ("capacity", None)
    assert run.figures["unmet_capacity"] == 2  # c3 (training) and c4 (housing)
    m0, _m1, m2 = scenario.months
    [housing] = shortages.shortage_rows(shortages.parse_query({"by": "category", "category": "housing", "from": m0, "to": m2}))
    assert housing["unmet_by_reason"] == {"capacity": 1, "age": 1}
    assert "1 waiting for housing in Leeds: places ran out" in [w["text"] for w in shortages.unmet_in_words()]
    # One more place on the full intake is where it would help housing.
    c = scenario.provisions["C"]
    assert c.intakes[0].id in [v.intake_id for v in allocation.where_places_help(run)]


def test_the_dashboard_says_why_in_words(scenario, client):
    allocation.run_allocation(scenario.manager)
    words = [w["text"] for w in shortages.unmet_in_words()]
    assert "1 too young (13-15) for any housing in reach of Leeds" in words
    assert "1 in Wakefield live too far from any training" in words
    assert "1 waiting for training in Leeds: places ran out" in words
    client.post("/login", data={"email": scenario.manager.email, "password": pf.PASSWORD})
    html = client.get("/insight/").get_data(as_text=True)
    assert "1 too young (13-15) for any housing in reach of Leeds" in html
    assert 'id="where-places-help"' in html  # the top places where one more helps, beside the reasons
    assert "Quillfeather" not in html


def test_where_places_help_most_api(scenario, client):
    allocation.run_allocation(scenario.manager)
    headers = {"Authorization": f"Bearer {issue_token(scenario.manager)[0]}"}
    res = client.get("/api/v1/shortages/where-places-help", headers=headers)
    assert res.status_code == 200
    rows = res.get_json()["rows"]
    assert rows and set(rows[0]) == {"provision_id", "intake_id", "category", "area", "month", "marginal_value", "extra_met"}
    values = [r["marginal_value"] for r in rows]
    assert values == sorted(values, reverse=True) and values[0] > 0
    # c3 (training, Leeds) waits for a place: one more on A's intake meets them.
    a = scenario.provisions["A"]
    top = rows[0]
    assert (top["provision_id"], top["intake_id"], top["category"], top["area"], top["extra_met"]) == (
        a.id, a.intakes[0].id, "training", "Leeds", 1)
    assert client.get("/api/v1/shortages/where-places-help",
                      headers={"Authorization": f"Bearer {issue_token(scenario.pa)[0]}"}).status_code == 403
    assert "Quillfeather" not in res.get_data(as_text=True)
