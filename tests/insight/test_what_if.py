"""What-if equals re-running the matcher with the places really added."""
from __future__ import annotations

import dataclasses
import datetime as dt

import matching
import pytest

from broker.directory.models import Intake
from broker.errors import InputError
from broker.extensions import db
from broker.insight import allocation
from tests.insight.scenario import build


@pytest.fixture
def scenario(app, client):
    return build()


def _same(a: dict, b: dict):
    for k in ("needs", "met", "unmet", "unmet_capacity", "urgency_met", "mean_wait_days", "mean_km", "objective"):
        assert a[k] == b[k], k


def test_one_more_training_place_in_leeds_meets_c3(scenario):
    m0 = scenario.months[0]
    result = allocation.what_if("training", "Leeds", m0, 1)
    assert result["targets"] == [str(scenario.provisions["A"].id)]
    assert (result["before"]["met"], result["after"]["met"], result["delta_met"]) == (5, 6, 1)
    assert result["delta_urgency_met"] == 1
    assert result["after"]["unmet"] == 0

    # The same places as a real intake on A (rolling, from the 1st of the month), and a fresh run.
    a = scenario.provisions["A"]
    db.session.add(Intake(provision_id=a.id, start=dt.date.fromisoformat(f"{m0}-01"), places=1, rolling=True))
    db.session.commit()
    rerun = allocation.run_allocation(scenario.manager).figures
    _same(result["after"], rerun)
    assert result["delta_mean_wait_days"] == round(rerun["mean_wait_days"] - result["before"]["mean_wait_days"], 2)


def test_places_spread_over_the_areas_listings_equal_solving_the_changed_problem(scenario):
    """Five places over Leeds training listings (A and a full one, D): 3 + 2, from next month."""
    from tests.directory import factories as f

    d = f.provision("Leeds Full Course", category="training", at=f.LS9, intakes=[dict(start_in=3, places=1, taken=1)])
    m1 = scenario.months[1]
    result = allocation.what_if("training", "Leeds", m1, 5)
    a = scenario.provisions["A"]
    assert result["targets"] == [str(a.id), str(d.id)]

    ap = allocation.build_allocation_problem()
    start = dt.date.fromisoformat(f"{m1}-01")
    by_id = {p.id: p for p in ap.problem.provisions}
    extra_a = matching.Intake("x-a", start, 3, rolling=True)
    extra_d = matching.Intake("x-d", start, 2, rolling=True)
    # Full, D is in today's problem with no places; the added ones join its intakes.
    assert [i.places for i in by_id[str(d.id)].intakes] == [0]
    extra = {str(a.id): extra_a, str(d.id): extra_d}
    changed = [dataclasses.replace(p, intakes=p.intakes + (extra[p.id],)) if p.id in extra else p
               for p in ap.problem.provisions]
    problem = dataclasses.replace(ap.problem, provisions=tuple(changed))  # same version, weights and report
    direct = allocation.figures(ap, matching.solve(problem, pinned=ap.pinned), problem)
    _same(result["after"], direct)
    assert result["delta_met"] == direct["met"] - result["before"]["met"]


def test_an_area_without_listings_gets_a_new_one_at_its_centre(scenario):
    result = allocation.what_if("housing", "Kirklees", scenario.months[0], 2)
    assert result["targets"] == []
    ap = allocation.build_allocation_problem()
    changed = allocation.add_places(ap, "housing", "Kirklees", dt.date.fromisoformat(f"{scenario.months[0]}-01"), 2)
    new = [p for p in changed.provisions if p.id.startswith(allocation.WHAT_IF_PREFIX)]
    assert len(new) == 1 and new[0].intakes[0].places == 2 and new[0].intakes[0].rolling
    _same(result["after"], allocation.figures(ap, matching.solve(changed, pinned=ap.pinned), changed))


@pytest.mark.parametrize("args,field", [
    (("yoga", "Leeds", "2099-01", 1), "category"),
    (("training", "York", "2099-01", 1), "area"),
    (("training", "Leeds", "2020-01", 1), "month"),
    (("training", "Leeds", "next", 1), "month"),
    (("training", "Leeds", "2099-01", 0), "places"),
])
def test_what_if_names_bad_fields(app, args, field):
    with pytest.raises(InputError) as exc:
        allocation.what_if(*args)
    assert exc.value.field == field


def _token(user):
    from broker.auth.services import issue_token

    return {"Authorization": f"Bearer {issue_token(user)[0]}"}


def test_what_if_api_says_which_needs_it_meets_and_agrees_with_a_rerun(scenario, client):
    m0 = scenario.months[0]
    res = client.get(f"/api/v1/what-if?category=training&area=Leeds&month={m0}&places=1", headers=_token(scenario.manager))
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["extra_met"] == 1
    # c3 (training, Leeds, urgency 1) is the one the place meets; nobody is named.
    assert body["would_meet"] == [{"category": "training", "area": "Leeds", "month": m0, "urgency": 1}]
    assert body["why_none"] == [] and "Quillfeather" not in res.get_data(as_text=True)
    a = scenario.provisions["A"]
    db.session.add(Intake(provision_id=a.id, start=dt.date.fromisoformat(f"{m0}-01"), places=1, rolling=True))
    db.session.commit()
    rerun = allocation.run_allocation(scenario.manager).figures
    assert body["after"]["met"] == rerun["met"] == body["before"]["met"] + 1
    assert body["mean_wait_change_days"] == round(rerun["mean_wait_days"] - body["before"]["mean_wait_days"], 2)


def test_what_if_meeting_no_one_says_why(scenario, client):
    """Housing in Leeds: c4's one housing need already has C's place, so more places meet no one."""
    res = client.get(f"/api/v1/what-if?category=housing&area=Leeds&month={scenario.months[0]}&places=3",
                     headers=_token(scenario.manager))
    body = res.get_json()
    assert res.status_code == 200 and body["extra_met"] == 0 and body["would_meet"] == []
    assert body["why_none"] and "Nobody waiting for housing is unmet" in body["why_none"][0]


def test_what_if_api_names_bad_fields_and_needs_a_manager(scenario, client):
    res = client.get("/api/v1/what-if?category=yoga&area=Leeds&month=2099-01&places=1", headers=_token(scenario.manager))
    assert res.status_code == 400 and res.get_json()["field"] == "category"
    res = client.get("/api/v1/what-if?category=training&area=Leeds&month=2099-01", headers=_token(scenario.manager))
    assert res.status_code == 400 and res.get_json()["field"] == "places"
    assert client.get("/api/v1/what-if?category=training&area=Leeds&month=2099-01&places=1",
                      headers=_token(scenario.pa)).status_code == 403


def test_the_top_of_where_places_help_meets_a_need_in_the_what_if(scenario):
    allocation.run_allocation(scenario.manager)
    top = allocation.where_places_help()[0]
    result = allocation.what_if(top.category, top.area, top.month, 1)
    assert result["extra_met"] >= 1
