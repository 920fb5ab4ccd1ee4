"""Referral screening: a referral the listing's rules exclude (age on the start day, area,
criteria) is refused naming the rules, unless the PA says why to refer anyway; the reason
is kept, shown to the provider and audited."""
from __future__ import annotations

import datetime as dt
import html

import pytest

from broker.audit.models import AuditEvent
from broker.extensions import db
from broker.referrals.models import Referral
from tests.api.test_people_api import token_for
from tests.directory import factories as f
from tests.people import factories as pf

LEEDS, WAKEFIELD = "E08000035", "E08000036"
SUMMARY = "Left college in October; wants to learn a trade."


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Leeds Skills", org=org, at=f.BD1, areas=[LEEDS, WAKEFIELD], min_age=16, max_age=19,
                         requires=["care_leaver"], intakes=[dict(start_in=30, places=3)])
    pa = pf.user("pa")
    # Turns 16 in 20 days: 16 on the intake's start day, though 15 today.
    today = dt.date.today()
    born = (today + dt.timedelta(days=20)).replace(year=today.year - 16)
    farhan = pf.client(pa, postcode="BD1 1JX", first_name="Farhan", date_of_birth=born, consent_to=(org,))
    return dict(org=org, course=course, pa=pa, farhan=farhan, provider=pf.user("provider", organisation=org))


def _body(w, **extra):
    return {"client_id": w["farhan"].id, "need_id": w["farhan"].needs[0].id,
            "intake_id": w["course"].intakes[0].id, "summary": SUMMARY, **extra}


def test_api_refuses_an_ineligible_referral_naming_the_rules(client, world):
    pa = token_for(client, world["pa"])
    resp = client.post("/api/v1/referrals", headers=pa, json=_body(world))
    assert resp.status_code == 422
    body = resp.get_json()
    # Age is judged on the start day (16 then), so only area and criteria fail.
    assert body["error"] == "ineligible" and body["field"] == "intake_id" and body["rules"] == ["area", "criteria"]
    assert "Serves Leeds and Wakefield only; Farhan lives in Bradford" in body["message"]
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 0
    assert world["course"].intakes[0].places_taken == 0


def test_meeting_the_rules_needs_no_reason(client, world):
    farhan = world["farhan"]
    farhan.area, farhan.criteria = LEEDS, ["care_leaver"]
    db.session.commit()
    resp = client.post("/api/v1/referrals", headers=token_for(client, world["pa"]), json=_body(world))
    assert resp.status_code == 201 and resp.get_json()["override_reason"] is None


def test_referring_anyway_keeps_the_reason_for_the_provider_and_the_audit(client, world):
    reason = "The provider agreed an exception: he moves to Leeds next month."
    resp = client.post("/api/v1/referrals", headers=token_for(client, world["pa"]),
                       json=_body(world, override_reason=reason))
    assert resp.status_code == 201, resp.get_json()
    rid = resp.get_json()["id"]
    seen = client.get(f"/api/v1/referrals/{rid}", headers=token_for(client, world["provider"])).get_json()
    assert seen["override_reason"] == reason
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "send", AuditEvent.subject_id == rid))
    assert event is not None and "override" in event.detail

    login(client, world["provider"])
    page = html.unescape(client.get(f"/referrals/{rid}").get_data(as_text=True))
    assert "Referred although the listing's rules exclude them" in page and reason in page


def test_refer_page_says_why_in_plain_words_and_keeps_what_was_typed(client, world):
    farhan, intake = world["farhan"], world["course"].intakes[0]
    login(client, world["pa"])
    url = f"/clients/{farhan.id}/refer?need_id={farhan.needs[0].id}&intake_id={intake.id}"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "Serves Leeds and Wakefield only; Farhan lives in Bradford" in page
    assert "Refer anyway, because" in page

    typed = "Keen on bricklaying since a taster day in June."
    resp = client.post(url, data={"need_id": farhan.needs[0].id, "intake_id": intake.id, "summary": typed,
                                  "risks": "", "override_reason": ""})
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    assert "Say why you are referring anyway" in page and typed in page
    assert db.session.scalar(db.select(db.func.count(Referral.id))) == 0

    resp = client.post(url, data={"need_id": farhan.needs[0].id, "intake_id": intake.id, "summary": typed,
                                  "risks": "", "override_reason": "Provider agreed to take him."})
    assert resp.status_code == 302
    assert db.session.scalar(db.select(Referral.override_reason)) == "Provider agreed to take him."
