"""APIR: urgent or complex needs are referred only on a recent assessment. Duplicates: a new
record like an existing one is refused without saying whose, unless confirmed; its PA can be
asked to share it. Sharing a record with another PA needs the young person's consent."""
import datetime as dt
import json

import pytest

from broker.audit.models import AuditEvent
from broker.clients.models import Client, ClientShare, ShareRequest
from broker.extensions import db
from tests.consent.helpers import api, sign_in
from tests.directory import factories as f
from tests.people import factories as pf

BACKGROUND = "Left college in October; wants to learn a trade with support."
TODAY = dt.date.today()


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, intakes=[dict(start_in=14, places=5)])
    db.session.commit()
    return dict(org=org, intake_id=course.intakes[0].id, pa=pf.user("pa"))


def _refer(client, world, yp):
    return client.post("/api/v1/referrals", headers=api(client, world["pa"]), json={
        "client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": world["intake_id"], "summary": BACKGROUND})


@pytest.mark.parametrize("urgency,complex_needs", [(3, False), (1, True)])
def test_urgent_or_complex_needs_need_an_assessment_from_the_last_six_months(app, client, world, urgency, complex_needs):
    old = pf.client(world["pa"], urgency=urgency, complex_needs=complex_needs, consent_to=[world["org"]],
                    assessment_date=TODAY - dt.timedelta(days=200))
    resp = _refer(client, world, old)
    assert resp.status_code == 422
    assert resp.get_json()["field"] == "assessment_date" and resp.get_json()["error"] == "unprocessable"
    recent = pf.client(world["pa"], urgency=urgency, complex_needs=complex_needs, consent_to=[world["org"]],
                       first_name="Sam", assessment_date=TODAY - dt.timedelta(days=150))
    assert _refer(client, world, recent).status_code == 201
    never = pf.client(world["pa"], urgency=urgency, complex_needs=complex_needs, consent_to=[world["org"]],
                      first_name="Alex", assessment_date=None, review_date=None)
    assert _refer(client, world, never).status_code == 422


def test_routine_needs_refer_on_an_older_assessment(app, client, world):
    yp = pf.client(world["pa"], urgency=2, consent_to=[world["org"]], assessment_date=TODAY - dt.timedelta(days=400))
    assert _refer(client, world, yp).status_code == 201


def test_the_page_refuses_with_the_message_beside_the_assessment(app, client, world):
    yp = pf.client(world["pa"], urgency=3, consent_to=[world["org"]], assessment_date=TODAY - dt.timedelta(days=200))
    sign_in(client, world["pa"])
    url = f"/clients/{yp.id}/refer?need_id={yp.needs[0].id}&intake_id={world['intake_id']}"
    resp = client.post(url, data={"need_id": yp.needs[0].id, "intake_id": world["intake_id"], "summary": BACKGROUND})
    assert resp.status_code == 422 and "assessment from the last 6 months" in resp.get_data(as_text=True)


def test_complex_needs_is_kept_from_the_form_and_the_api(app, client, world):
    body = {"first_name": "Casey", "last_name": "Flag", "date_of_birth": (TODAY.replace(year=TODAY.year - 16)).isoformat(),
            "home_postcode": "LS9 7AB", "available_from": TODAY.isoformat(), "complex_needs": True}
    made = client.post("/api/v1/clients", headers=api(client, world["pa"]), json=body)
    assert made.status_code == 201 and made.get_json()["complex_needs"] is True
    yp = db.session.get(Client, made.get_json()["id"])
    sign_in(client, world["pa"])
    born = yp.date_of_birth
    form = {"first_name": "Casey", "last_name": "Flag", "date_of_birth": [born.day, born.month, born.year],
            "home_postcode": "LS9 7AB", "available_from": [TODAY.day, TODAY.month, TODAY.year], "urgency": "1",
            "max_travel_km": "25", "summary": "", "risks": ""}
    assert client.post(f"/clients/{yp.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, yp.id).complex_needs is False
    assert client.post(f"/clients/{yp.id}/edit", data={**form, "complex_needs": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, yp.id).complex_needs is True


# ---- Duplicates

def _body(first="jordan", last="TEST", born=None):
    born = born or TODAY.replace(year=TODAY.year - 17) - dt.timedelta(days=10)
    return {"first_name": first, "last_name": last, "date_of_birth": born.isoformat(), "home_postcode": "LS6 1AA",
            "available_from": TODAY.isoformat()}


def test_a_record_like_an_existing_one_is_refused_without_saying_whose(app, client, world):
    owner = pf.user("pa", email="owner.pa@test.example")
    theirs = pf.client(owner, first_name="Jordan", last_name="Test", age=17, postcode="LS9 7AB")
    resp = client.post("/api/v1/clients", headers=api(client, world["pa"]), json=_body())
    assert resp.status_code == 409
    answer = resp.get_json()
    assert answer["error"] == "possible_duplicate" and answer["field"] == "confirm_new" and answer["message"]
    text = json.dumps(answer)
    for secret in (str(theirs.id), "owner.pa", owner.name, "LS9"):
        assert secret not in text, secret
    assert db.session.scalar(db.select(db.func.count()).select_from(Client)) == 1
    made = client.post("/api/v1/clients", headers=api(client, world["pa"]), json={**_body(), "confirm_new": True})
    assert made.status_code == 201
    # Another date of birth is another person.
    assert client.post("/api/v1/clients", headers=api(client, world["pa"]),
                       json=_body(born=TODAY.replace(year=TODAY.year - 15))).status_code == 201


def test_the_page_offers_create_anyway_and_asking_for_a_share(app, client, world):
    owner = pf.user("pa")
    theirs = pf.client(owner, first_name="Jordan", last_name="Test", age=17)
    born = theirs.date_of_birth
    form = {"first_name": "JORDAN", "last_name": "test ", "date_of_birth": [born.day, born.month, born.year],
            "home_postcode": "LS6 1AA", "available_from": [TODAY.day, TODAY.month, TODAY.year], "urgency": "1",
            "max_travel_km": "25"}
    sign_in(client, world["pa"])
    refused = client.post("/clients/new", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'name="confirm_new"' in page and "ask their" in page.lower()
    import re

    assert not re.search(rf"\b{owner.name}\b", page), re.findall(rf".{{80}}\b{owner.name}\b.{{40}}", page)
    asked = client.post("/clients/new", data={**form, "ask_share": "yes"})
    assert asked.status_code == 302
    request_ = db.session.scalars(db.select(ShareRequest)).one()
    assert request_.client_id == theirs.id and request_.requested_by_id == world["pa"].id
    assert db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "request_share")).one().client_id == theirs.id
    # The other PA sees the request on the record and in its API answer.
    sign_in(client, owner)
    assert world["pa"].email in client.get(f"/clients/{theirs.id}").get_data(as_text=True)
    record = client.get(f"/api/v1/clients/{theirs.id}", headers=api(client, owner)).get_json()
    assert [r["email"] for r in record["share_requests"]] == [world["pa"].email]
    sign_in(client, world["pa"])
    assert client.post("/clients/new", data={**form, "confirm_new": "y"}).status_code == 302


def test_asking_for_a_share_through_the_api_says_nothing_of_a_match(app, client, world):
    owner = pf.user("pa")
    theirs = pf.client(owner, first_name="Jordan", last_name="Test", age=17)
    headers = api(client, world["pa"])
    hit = client.post("/api/v1/clients/share-requests", headers=headers, json=_body())
    miss = client.post("/api/v1/clients/share-requests", headers=headers, json=_body(first="Nobody"))
    assert hit.status_code == miss.status_code == 202 and hit.get_json() == miss.get_json()
    assert [r.client_id for r in db.session.scalars(db.select(ShareRequest))] == [theirs.id]


# ---- Sharing with another PA needs consent to that sharing

def test_sharing_with_another_pa_needs_the_young_persons_consent_and_a_purpose(app, client, world):
    yp = pf.client(world["pa"])
    specialist = pf.user("pa", email="specialist@test.example")
    sign_in(client, world["pa"])
    no_consent = client.post(f"/clients/{yp.id}/share", data={"email": specialist.email, "purpose": "Housing support"})
    assert no_consent.status_code == 400 and "agrees to share their record" in no_consent.get_data(as_text=True)
    no_purpose = client.post(f"/clients/{yp.id}/share", data={"email": specialist.email, "consent": "yes"})
    assert no_purpose.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(ClientShare)) == 0
    shared = client.post(f"/clients/{yp.id}/share", data={"email": specialist.email, "purpose": "Housing support",
                                                          "consent": "yes"})
    assert shared.status_code == 302
    share = db.session.scalars(db.select(ClientShare)).one()
    assert share.user_id == specialist.id and share.purpose == "Housing support"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "share")).one()
    assert "Housing support" in event.detail and event.client_id == yp.id
