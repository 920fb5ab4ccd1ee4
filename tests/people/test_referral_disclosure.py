"""What a provider sees of a referral follows the young person's consent right now: once it
is withdrawn, nothing the PA wrote reaches the provider, on the page or through the API."""
import json

import pytest

from broker.clients import services as clients
from broker.extensions import db
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.people import factories as pf

REPLY = "Lives with her aunt since March; CAMHS appointment on Tuesdays"
BACKGROUND = "Left college in October; wants to learn a trade with support."
QUESTION = "What support does she have at home?"


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, consent_to=[org])
    clients.record_consent(pa, yp, org.id, "assessment", True)
    referral = referrals.send_referral(pa, yp, yp.needs[0].id, course.intakes[0].id, BACKGROUND, "Anxious with new adults.")
    referrals.answer(provider, referral, "more_info", message=QUESTION)
    referrals.pa_update(pa, referral, "reply", REPLY)
    db.session.commit()  # as a request would: services never commit
    return dict(org=org, pa=pa, provider=provider, yp=yp, referral=referral)


def _provider_sees(client, world) -> dict:
    """Everything the provider gets about the referral: the page and both API answers."""
    token = client.post("/api/v1/auth/token", json={"email": world["provider"].email, "password": pf.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/referrals", headers=headers)
    record = client.get(f"/api/v1/referrals/{world['referral'].id}", headers=headers)
    client.post("/login", data={"email": world["provider"].email, "password": pf.PASSWORD})
    page = client.get(f"/referrals/{world['referral'].id}")
    assert listed.status_code == record.status_code == page.status_code == 200
    return {"list": json.dumps(listed.get_json()), "record": json.dumps(record.get_json()), "page": page.get_data(as_text=True),
            "history": record.get_json()["history"]}


def test_provider_sees_the_pas_reply_while_consent_is_in_force(app, client, world):
    seen = _provider_sees(client, world)
    for where in ("list", "record", "page"):
        assert REPLY in seen[where], where
    assert [e["note"] for e in seen["history"]][-1] == REPLY


def test_withdrawn_consent_hides_the_pas_notes_from_the_history_everywhere(app, client, world):
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)
    db.session.commit()
    seen = _provider_sees(client, world)
    for where in ("list", "record", "page"):
        for secret in (REPLY, BACKGROUND, world["yp"].first_name, "Anxious with new adults"):
            assert secret not in seen[where], (where, secret)
        assert QUESTION in seen[where], where  # what the provider's own staff wrote stays
    # The steps are still there, in order, so the provider knows where the referral stands.
    assert [e["status"] for e in seen["history"]] == ["sent", "more_info", "sent", "paused"]
    assert "note hidden: consent is not in force" in seen["page"]


def test_the_pa_still_sees_the_whole_history(app, client, world):
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)
    db.session.commit()
    token = client.post("/api/v1/auth/token", json={"email": world["pa"].email, "password": pf.PASSWORD}).get_json()["token"]
    record = client.get(f"/api/v1/referrals/{world['referral'].id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [e["note"] for e in record["history"]] == ["Referral sent", QUESTION, REPLY, "Consent withdrawn: the referral is paused"]
    assert REPLY in record["summary"]
