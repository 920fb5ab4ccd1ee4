"""The PA and provider JSON API: tokens, clients, suggestions, referrals, answers."""
import datetime as dt

import pytest

from broker.directory.models import Intake
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf


def token_for(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
    assert resp.status_code == 200
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Bricklaying Level 1", org=org, at=f.LS1, intakes=[dict(start_in=10, places=1)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    return dict(org=org, course=course, pa=pa, provider=provider)


def test_token_is_refused_for_a_wrong_password(app, client, world):
    resp = client.post("/api/v1/auth/token", json={"email": world["pa"].email, "password": "nope nope nope"})
    assert resp.status_code == 401 and resp.get_json()["field"] == "password"


def test_requests_without_a_valid_token_are_401(app, client, world):
    assert client.get("/api/v1/clients").status_code == 401
    assert client.get("/api/v1/clients", headers={"Authorization": "Bearer made-up"}).status_code == 401


def test_pa_journey_over_the_api(app, client, world):
    pa = token_for(client, world["pa"])
    dob = (dt.date.today() - dt.timedelta(days=17 * 365 + 30)).isoformat()
    created = client.post(
        "/api/v1/clients",
        headers=pa,
        json={
            "first_name": "Alex", "last_name": "Api", "date_of_birth": dob, "home_postcode": "ls97ab",
            "available_from": dt.date.today().isoformat(), "urgency": 3, "max_travel_km": 20,
            "summary": "Wants construction work.", "assessment_date": dt.date.today().isoformat(),  # APIR: urgent needs a recent one
        },
    )
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["home_postcode"] == "LS9 7AB" and record["age"] == 17
    cid = record["id"]
    need = client.post(f"/api/v1/clients/{cid}/needs", headers=pa, json={"category": "training"}).get_json()

    suggestions = client.get(f"/api/v1/clients/{cid}/suggestions", headers=pa).get_json()
    (training,) = suggestions["needs"]
    best = training["options"][0]
    assert best["provision"] == "Bricklaying Level 1" and best["wait_days"] == 10 and best["places_left"] == 1
    # Urgency 3 makes each day until the start cost 3; the need was recorded today and nothing is ranked.
    assert best["breakdown"] == {"urgency": 3000.0, "waited": 0.0, "preference": 0.0, "wait": -30.0,
                                 "travel": pytest.approx(-2 * best["distance_km"], abs=0.02)}

    body = {"client_id": cid, "need_id": need["id"], "intake_id": best["intake_id"], "summary": "Keen on bricklaying; left school in summer."}
    refused = client.post("/api/v1/referrals", headers=pa, json=body)
    assert refused.status_code == 403 and refused.get_json()["field"] == "consent"
    consent = client.post(f"/api/v1/clients/{cid}/consents", headers=pa, json={"organisation_id": world["org"].id, "purpose": "referral", "given": True})
    assert consent.status_code == 201
    sent = client.post("/api/v1/referrals", headers=pa, json=body)
    assert sent.status_code == 201 and sent.get_json()["status"] == "sent"
    rid = sent.get_json()["id"]

    provider = token_for(client, world["provider"])
    seen = client.get(f"/api/v1/referrals/{rid}", headers=provider).get_json()
    assert seen["client"]["name"] == "Alex Api" and "risks" not in seen["client"]
    answered = client.post(f"/api/v1/referrals/{rid}/answer", headers=provider, json={"decision": "accept"})
    assert answered.status_code == 200 and answered.get_json()["status"] == "accepted"
    assert client.get(f"/api/v1/referrals/{rid}", headers=pa).get_json()["status"] == "accepted"


def test_place_gone_is_409_with_a_clear_message(app, client, world):
    pa_user = world["pa"]
    first = pf.client(pa_user, consent_to=[world["org"]])
    second = pf.client(pa_user, first_name="Sam", consent_to=[world["org"]])
    pa = token_for(client, pa_user)
    intake_id = world["course"].intakes[0].id
    for yp, expected in ((first, 201), (second, 409)):
        resp = client.post(
            "/api/v1/referrals", headers=pa,
            json={"client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": intake_id, "summary": "Needs a trade course now."},
        )
        assert resp.status_code == expected
    body = resp.get_json()
    assert body["error"] == "conflict" and body["field"] == "intake" and "last place" in body["message"]
    assert db.session.get(Intake, intake_id).places_taken == 1


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"first_name": ""}, "first_name"),
        ({"date_of_birth": "17/03/2009"}, "date_of_birth"),
        ({"home_postcode": "not a postcode"}, "home_postcode"),
        ({"urgency": 7}, "urgency"),
        ({"max_travel_km": -3}, "max_travel_km"),
    ],
)
def test_bad_client_fields_are_named_and_nothing_is_saved(app, client, world, payload, field):
    from broker.clients.models import Client

    pa = token_for(client, world["pa"])
    good = {
        "first_name": "Alex", "last_name": "Api", "date_of_birth": "2009-03-17", "home_postcode": "LS9 7AB",
        "available_from": dt.date.today().isoformat(), "urgency": 2, "max_travel_km": 20,
    }
    resp = client.post("/api/v1/clients", headers=pa, json={**good, **payload})
    assert resp.status_code == 400 and resp.get_json()["field"] == field
    assert db.session.query(Client).count() == 0
