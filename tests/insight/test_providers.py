"""How providers answer referrals; a "no places" decline while places showed free is flagged, not a shortage."""
from __future__ import annotations

import pytest

from broker.auth.services import issue_token
from broker.extensions import db
from broker.insight import responsiveness, shortages
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.insight.scenario import SUMMARY, build
from tests.people import factories as pf


@pytest.fixture
def scenario(app, client):
    return build(http=client)


def test_provider_rows(scenario, client):
    """Aire Training accepted c2 (answered at once); Bradford Skills declined c5 "no places" with 2 places
    on the intake, one held by c5: another showed free, so it is flagged."""
    rows = {r["provider"]: r for r in responsiveness.providers()}
    a, b = rows["Aire Training"], rows["Bradford Skills"]
    assert (a["referrals"], a["answered_on_time"], a["declined"], a["lapsed"], a["completed"]) == (1, 1, 0, 0, 0)
    assert a["median_answer_days"] == 0.0
    assert (b["referrals"], b["declined"], b["decline_reasons"], b["declined_capacity_with_places"]) == (1, 1, {"capacity": 1}, 1)
    res = client.get("/api/v1/insight/providers", headers={"Authorization": f"Bearer {issue_token(scenario.manager)[0]}"})
    assert res.status_code == 200
    api = {r["provider"]: r for r in res.get_json()["rows"]}
    assert api["Bradford Skills"]["declined_capacity_with_places"] == 1 and "Quillfeather" not in res.get_data(as_text=True)
    assert client.get("/api/v1/insight/providers", headers={"Authorization": f"Bearer {issue_token(scenario.pa)[0]}"}).status_code == 403


def test_a_decline_for_lack_of_places_when_the_last_place_was_held_counts_as_shortage(scenario):
    org = f.organisation("Full House")
    p = f.provision("Full House Foyer", org=org, category="housing", at=f.LS1, intakes=[dict(start_in=3, places=1)])
    db.session.commit()
    c = pf.client(scenario.pa, ("housing",), "LS9 7AB", consent_to=(org,))
    r = referrals.send_referral(scenario.pa, c, c.needs[0].id, p.intakes[0].id, SUMMARY)
    referrals.answer(pf.user("provider", organisation=org), r, "decline", "capacity")
    db.session.commit()
    row = {x["provider"]: x for x in responsiveness.providers()}["Full House"]
    assert (row["declined"], row["declined_capacity_with_places"]) == (1, 0)
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category,area"}))
    housing = [x for x in rows if (x["category"], x["area"]) == ("housing", "Leeds")][0]
    # Full House's decline is a shortage; Bradford Skills' flagged one (training) is not.
    assert housing["declined_capacity"] == 1
    assert sum(x["declined_capacity"] for x in rows if x["category"] == "training") == 0


def test_providers_page_for_managers_only(scenario, client):
    client.post("/login", data={"email": scenario.manager.email, "password": pf.PASSWORD})
    html = client.get("/insight/providers").get_data(as_text=True)
    assert "Bradford Skills" in html and "Quillfeather" not in html
    other = client.application.test_client()
    other.post("/login", data={"email": scenario.pa.email, "password": pf.PASSWORD})
    assert other.get("/insight/providers").status_code == 403
