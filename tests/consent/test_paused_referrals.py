"""Withdrawing consent pauses that agency's open referrals at once; consent again resumes
them; paused over 14 days they are withdrawn and their places freed (once)."""
import datetime as dt

import pytest
from sqlalchemy import update

from broker.clients import services as clients
from broker.clients.models import Consent
from broker.directory.models import Intake
from broker.extensions import db
from broker.jobs import due
from broker.referrals import services as referrals
from broker.referrals.models import Referral
from tests.consent.helpers import api, provider_sees, sign_in
from tests.directory import factories as f
from tests.people import factories as pf

BACKGROUND = "Left college in October; wants to learn a trade with support."


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other = f.organisation("Calder Skills")
    course = f.provision("Level 1 Construction", org=org, intakes=[dict(start_in=14, places=3)])
    other_course = f.provision("Calder Course", org=other, intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, consent_to=[org, other])
    referral = referrals.send_referral(pa, yp, yp.needs[0].id, course.intakes[0].id, BACKGROUND)
    elsewhere = referrals.send_referral(pa, yp, yp.needs[0].id, other_course.intakes[0].id, BACKGROUND)
    db.session.commit()
    return dict(org=org, pa=pa, provider=provider, yp=yp, referral_id=referral.id, elsewhere_id=elsewhere.id,
                intake_id=course.intakes[0].id)


def _status(referral_id):
    db.session.expire_all()
    return db.session.get(Referral, referral_id).status


def _taken(intake_id):
    db.session.expire_all()
    return db.session.get(Intake, intake_id).places_taken


def _withdraw(world):
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)
    db.session.commit()


def test_withdrawing_consent_pauses_only_that_agencys_referrals_at_once(app, world):
    _withdraw(world)
    assert _status(world["referral_id"]) == "paused"
    assert _status(world["elsewhere_id"]) == "sent"
    assert _taken(world["intake_id"]) == 1  # a paused referral keeps its place for now


def test_the_provider_sees_only_that_it_is_paused_and_cannot_answer(app, client, world):
    _withdraw(world)
    seen = provider_sees(client, world["provider"], world["referral_id"])
    assert seen["record"]["status"] == "paused"
    assert set(seen["record"]["client"]) == {"consent", "assessment"}
    for where, text in seen.items():
        if where != "record":
            assert "Jordan" not in text and BACKGROUND not in text, where
    assert "This referral is paused" in seen["page"] and "Send answer" not in seen["page"]
    answered = client.post(f"/api/v1/referrals/{world['referral_id']}/answer", headers=api(client, world["provider"]),
                           json={"decision": "accept"})
    assert answered.status_code == 409 and answered.get_json()["error"] == "conflict"
    sign_in(client, world["provider"])
    page = client.post(f"/referrals/{world['referral_id']}/answer", data={"decision": "accept"})
    assert page.status_code == 409
    assert _status(world["referral_id"]) == "paused"


def test_consent_given_again_resumes_them_and_the_provider_can_answer(app, client, world):
    _withdraw(world)
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    db.session.commit()
    assert _status(world["referral_id"]) == "sent"
    assert db.session.get(Referral, world["referral_id"]).paused_at is None
    resp = client.post(f"/api/v1/referrals/{world['referral_id']}/answer", headers=api(client, world["provider"]),
                       json={"decision": "accept"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    steps = [e["status"] for e in resp.get_json()["history"]]
    assert steps == ["sent", "paused", "sent", "accepted"]


def test_paused_over_fourteen_days_is_withdrawn_and_its_place_freed_once(app, world):
    _withdraw(world)
    db.session.execute(update(Referral).where(Referral.id == world["referral_id"]).values(
        paused_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=15)))
    db.session.commit()
    before = _taken(world["intake_id"])
    out = due.run_due(only=["paused-referrals"], force=True)
    assert out[0][1] == "done" and "1 withdrawn" in out[0][2]
    assert _status(world["referral_id"]) == "withdrawn"
    assert _taken(world["intake_id"]) == before - 1
    again = due.run_due(only=["paused-referrals"], force=True)
    assert "0 withdrawn" in again[0][2]
    assert _taken(world["intake_id"]) == before - 1


def test_paused_for_less_than_fourteen_days_waits(app, world):
    _withdraw(world)
    due.run_due(only=["paused-referrals"], force=True)
    assert _status(world["referral_id"]) == "paused"


def test_expired_consent_pauses_open_referrals_when_the_job_runs(app, world):
    db.session.execute(update(Consent).where(Consent.organisation_id == world["org"].id).values(
        expires_on=dt.date.today() - dt.timedelta(days=1)))
    db.session.commit()
    out = due.run_due(only=["paused-referrals"], force=True)
    assert "1 paused" in out[0][2]
    assert _status(world["referral_id"]) == "paused" and _status(world["elsewhere_id"]) == "sent"


def test_the_pa_can_withdraw_a_paused_referral_freeing_its_place(app, client, world):
    _withdraw(world)
    before = _taken(world["intake_id"])
    resp = client.post(f"/api/v1/referrals/{world['referral_id']}/update", headers=api(client, world["pa"]),
                       json={"action": "withdraw"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    assert _taken(world["intake_id"]) == before - 1
