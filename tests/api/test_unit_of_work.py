"""One transaction per request: services only flush; the request boundary commits once, or rolls
back everything (but the audit of what was read) when the answer is an error."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from broker.audit.models import AuditEvent
from broker.clients.models import ClientNeed
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf


@contextmanager
def counted_commits():
    """How many COMMITs reach the database while the block runs."""
    seen = []
    engine = db.engine

    def on_commit(conn):
        seen.append(conn)

    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", on_commit)


def _token(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_adding_a_need_over_the_api_is_one_transaction(app, client):
    pa = pf.user("pa")
    yp = pf.client(pa)
    headers = _token(client, pa)
    with counted_commits() as commits:
        resp = client.post(f"/api/v1/clients/{yp.id}/needs", headers=headers, json={"category": "housing"})
    assert resp.status_code == 201
    assert len(commits) == 1
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.client_id == yp.id).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["view", "add_need"]  # both in that one transaction


def test_adding_a_need_on_the_page_is_one_transaction(app, client):
    pa = pf.user("pa")
    yp = pf.client(pa)
    assert client.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).status_code == 302
    with counted_commits() as commits:
        resp = client.post(f"/clients/{yp.id}/needs", data={"category": "housing", "notes": "sofa-surfing"})
    assert resp.status_code == 302
    assert len(commits) == 1


def test_a_refused_request_changes_nothing_but_keeps_the_audit_of_what_it_read(app, client):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Bricklaying", org=org, intakes=[dict(start_in=10, places=0)])
    pa = pf.user("pa")
    yp = pf.client(pa, consent_to=[org])
    headers = _token(client, pa)
    resp = client.post("/api/v1/referrals", headers=headers, json={
        "client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": course.intakes[0].id,
        "summary": "Keen to start soon; left school in the summer."})
    assert resp.status_code == 409
    db.session.expire_all()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.client_id == yp.id).order_by(AuditEvent.id)).all()
    assert actions[-1] == "view" and "send" not in actions
    assert course.intakes[0].places_taken == 0


def test_services_never_commit(app):
    """Calling a service outside a request leaves its change uncommitted for the caller to end."""
    from broker.clients import services as clients

    pa = pf.user("pa")
    yp = pf.client(pa)
    with counted_commits() as commits:
        clients.add_need(pa, yp, "housing", "")
    assert commits == []
    db.session.rollback()
    assert db.session.scalars(select(ClientNeed.category).where(ClientNeed.client_id == yp.id)).all() == ["training"]


def test_a_form_refused_by_the_service_keeps_what_was_typed_beside_the_field(app, client):
    from broker.clients.models import Client

    pa = pf.user("pa")
    assert client.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).status_code == 302
    form = {"first_name": "Robin", "last_name": "Typed", "date_of_birth": "2009-03-17", "home_postcode": "ZZ99 9ZZ",
            "available_from": "2026-01-05", "urgency": "2", "max_travel_km": "20", "summary": "Wants a trade."}
    resp = client.post("/clients/new", data=form)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'value="Robin"' in html and 'value="ZZ99 9ZZ"' in html and "Wants a trade." in html
    assert "Enter a full UK postcode" in html
    assert db.session.query(Client).count() == 0


def test_a_consent_form_with_a_huge_agency_number_is_refused_beside_the_field(app, client):
    pa = pf.user("pa")
    yp = pf.client(pa)
    assert client.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).status_code == 302
    resp = client.post(f"/clients/{yp.id}/consent", data={"organisation_id": str(2**63), "purpose": "referral", "given": "yes"})
    assert resp.status_code == 400 and "must be an id from 1 to" in resp.get_data(as_text=True)
