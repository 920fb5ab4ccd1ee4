"""Every referral ends with what became of the young person; the provider can always reach the PA."""
from __future__ import annotations

import datetime as dt

import pytest

from broker.extensions import db
from broker.referrals import services as referrals
from tests.lifecycle.conftest import build_world, send
from tests.people import factories as pf


def token(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


@pytest.fixture
def world(app):
    w = build_world()
    r = send(w)
    referrals.answer(w["provider"], r, "accept")
    db.session.commit()
    w["referral"] = r
    return w


def test_outcome_over_the_api_after_the_placement_started(app, client, world):
    pa, rid = token(client, world["pa"]), world["referral"].id
    url = f"/api/v1/referrals/{rid}/update"
    early = client.post(url, headers=pa, json={"action": "completed", "destination": "employment"})
    assert early.status_code == 409 and early.get_json()["field"] == "action"  # not started yet
    assert client.post(url, headers=pa, json={"action": "started"}).get_json()["status"] == "started"

    no_reason = client.post(url, headers=pa, json={"action": "left_early", "destination": "neet"})
    assert no_reason.status_code == 400 and no_reason.get_json()["field"] == "note"
    no_destination = client.post(url, headers=pa, json={"action": "completed"})
    assert no_destination.status_code == 400 and no_destination.get_json()["field"] == "destination"
    wrong = client.post(url, headers=pa, json={"action": "completed", "destination": "moon"})
    assert wrong.status_code == 400

    done = client.post(url, headers=pa, json={"action": "left_early", "destination": "employment",
                                              "note": "Offered a job at a local builder."})
    assert done.status_code == 200, done.get_json()
    record = done.get_json()
    assert record["status"] == "left_early" and record["destination"] == "employment"
    assert record["outcome_on"] == dt.date.today().isoformat()
    assert "pa" not in record  # the PA's own contact is for the provider

    provider_view = client.get(f"/api/v1/referrals/{rid}", headers=token(client, world["provider"])).get_json()
    assert provider_view["pa"] == {"name": world["pa"].name, "email": "pat.adviser@council.example",
                                   "phone": "0113 496 0000", "team": "East Leeds Youth Team"}
    assert provider_view["destination"] == "employment"


def test_outcome_shows_on_the_record_and_caseload_and_pa_contact_on_the_providers_page(app, client, world):
    r = world["referral"]
    referrals.pa_update(world["pa"], r, "started")
    referrals.pa_update(world["pa"], r, "completed", destination="education", on=dt.date.today() - dt.timedelta(days=1))
    db.session.commit()
    client.post("/login", data={"email": world["pa"].email, "password": pf.PASSWORD})
    record = client.get(f"/clients/{world['yp'].id}").get_data(as_text=True)
    assert 'id="outcomes"' in record and "completed on" in record and "went on to education" in record
    caseload = client.get("/clients/").get_data(as_text=True)
    assert "Completed: education" in caseload
    client.post("/logout")

    client.post("/login", data={"email": world["provider"].email, "password": pf.PASSWORD})
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    for shown in ("pat.adviser@council.example", "0113 496 0000", "East Leeds Youth Team", world["pa"].name):
        assert shown in page
    assert "What became of them" in page and "Education" in page


def test_outcome_through_the_pa_page_form(app, client, world):
    r = world["referral"]
    client.post("/login", data={"email": world["pa"].email, "password": pf.PASSWORD})
    client.post(f"/referrals/{r.id}/update", data={"action": "started"})
    page = client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert "Record that they left early" in page and 'name="destination"' in page
    missing = client.post(f"/referrals/{r.id}/update", data={"action": "left_early", "destination": "training"})
    assert missing.status_code == 400 and 'href="#note"' in missing.get_data(as_text=True)
    saved = client.post(f"/referrals/{r.id}/update", data={"action": "left_early", "destination": "training",
                                                          "note": "Moved to an apprenticeship."})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(r), r.id).status == "left_early"
