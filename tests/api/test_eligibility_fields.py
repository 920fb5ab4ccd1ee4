"""The API says who a listing is for and where a young person can use services, and takes
a young person's area, criteria and preferences, naming the field when one is wrong."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.test_people_api import token_for
from tests.directory import factories as f
from tests.people import factories as pf

LEEDS, WAKEFIELD, BRADFORD = "E08000035", "E08000036", "E08000032"


def test_a_listing_gives_its_areas_requirements_and_kind(app, client):
    limited = f.provision("Leeds flats", category="housing", kind=next(iter(__import__("broker.taxonomy").taxonomy.KINDS["housing"])),
                          areas=[LEEDS, WAKEFIELD], requires=["care_leaver"], min_age=16, max_age=19)
    anywhere = f.provision("Open course")
    body = client.get(f"/api/v1/provisions/{limited.id}").get_json()
    assert body["areas"] == [LEEDS, WAKEFIELD] and body["requires"] == ["care_leaver"] and "kind" in body
    assert body["eligibility"].startswith("For 16-19s living in Leeds and Wakefield, care leavers only")
    body = client.get(f"/api/v1/provisions/{anywhere.id}").get_json()
    assert body["areas"] is None and body["requires"] == []


def test_token_user_names_a_provider_organisation(app, client):
    org = f.provision().organisation
    staff, pa = pf.user("provider", organisation=org), pf.user("pa")
    for user, expected in ((staff, org.id), (pa, None)):
        resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
        assert resp.get_json()["user"]["organisation_id"] == expected


def _new(**extra):
    return {"first_name": "Farhan", "last_name": "Api", "home_postcode": "BD1 1JX",
            "date_of_birth": (dt.date.today() - dt.timedelta(days=17 * 365 + 30)).isoformat(),
            "available_from": dt.date.today().isoformat(), **extra}


def test_a_young_persons_area_criteria_and_preferences(app, client):
    pa = token_for(client, pf.user("pa"))
    a, b = f.provision("A"), f.provision("B")
    made = client.post("/api/v1/clients", headers=pa, json=_new(criteria=["young_parent"], preferences=[b.id, a.id]))
    assert made.status_code == 201, made.get_json()
    record = made.get_json()
    # The area comes from the home postcode until the PA records another.
    assert record["area"] == BRADFORD and record["area_recorded"] is False
    assert record["criteria"] == ["young_parent"] and record["preferences"] == [b.id, a.id]

    changed = client.patch(f"/api/v1/clients/{record['id']}", headers=pa, json={"area": LEEDS, "preferences": [a.id]})
    assert changed.status_code == 200, changed.get_json()
    again = client.get(f"/api/v1/clients/{record['id']}", headers=pa).get_json()
    assert again["area"] == LEEDS and again["area_recorded"] and again["preferences"] == [a.id]
    assert again["criteria"] == ["young_parent"] and again["first_name"] == "Farhan"


@pytest.mark.parametrize("extra, field", [
    ({"area": "Leeds"}, "area"),
    ({"criteria": ["care_leaver", "rich"]}, "criteria[1]"),
    ({"preferences": [999999]}, "preferences[0]"),
])
def test_bad_eligibility_fields_are_named(app, client, extra, field):
    pa = token_for(client, pf.user("pa"))
    resp = client.post("/api/v1/clients", headers=pa, json=_new(**extra))
    assert resp.status_code == 400 and resp.get_json()["field"] == field, resp.get_json()
    assert client.get("/api/v1/clients", headers=pa).get_json()["clients"] == []
