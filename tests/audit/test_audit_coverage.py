"""The audit log covers lists and refusals: every young person a caseload shows, every
attempt on a record someone may not see, every failed sign-in. A refusal's answer rolls
the request back, and its audit row is kept all the same (on SQLite without deadlock)."""
import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from broker.audit.models import AuditEvent
from broker.clients import services as clients
from broker.extensions import db
from broker.referrals import services as referrals
from tests.browser.conftest import live_server  # noqa: F401  (a real HTTP server for the load test)
from tests.directory import factories as f
from tests.people import factories as pf


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other_org = f.organisation("Calder Skills")
    course = f.provision("Course", org=org, intakes=[dict(start_in=10, places=5)])
    owner, other_pa = pf.user("pa"), pf.user("pa")
    yp, yp2 = pf.client(owner, first_name="Jordan"), pf.client(owner, first_name="Sam")
    clients.record_consent(owner, yp, org.id, "referral", True)
    referral = referrals.send_referral(owner, yp, yp.needs[0].id, course.intakes[0].id, "Background for the provider here.")
    db.session.query(AuditEvent).delete()
    db.session.commit()
    return dict(owner=owner, other_pa=other_pa, yp=yp, yp2=yp2, referral=referral,
                provider=pf.user("provider", organisation=org), other_provider=pf.user("provider", organisation=other_org))


def _sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


def _events(**where):
    db.session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return db.session.scalars(stmt).all()


def test_the_caseload_page_audits_each_young_person_it_shows(app, client, world):
    _sign_in(client, world["owner"])
    html = client.get("/clients/").get_data(as_text=True)
    assert "Jordan" in html and "Sam" in html
    listed = _events(action="list", via="web")
    assert sorted(e.client_id for e in listed) == sorted([world["yp"].id, world["yp2"].id])
    assert {e.user_id for e in listed} == {world["owner"].id}


def test_home_pages_and_the_inbox_audit_the_young_people_they_name(app, client, world):
    _sign_in(client, world["owner"])
    html = client.get("/home").get_data(as_text=True)
    assert "Jordan" in html and "Sam" in html  # waiting longest
    assert sorted(e.client_id for e in _events(action="list", subject_type="client")) == sorted([world["yp"].id, world["yp2"].id])
    client.post("/logout")
    _sign_in(client, world["provider"])
    for page in ("/home", "/inbox"):
        assert "Jordan" in client.get(page).get_data(as_text=True)  # consent to share the name is in force
    listed = _events(action="list", subject_type="referral", user_id=world["provider"].id)
    assert [(e.subject_id, e.client_id) for e in listed] == [(world["referral"].id, world["yp"].id)] * 2


def test_a_record_shown_again_with_form_errors_is_still_audited(app, client, world):
    _sign_in(client, world["owner"])
    resp = client.post(f"/clients/{world['yp'].id}/edit", data={"first_name": ""})
    assert resp.status_code == 400 and "Jordan" in resp.get_data(as_text=True)
    assert [e.action for e in _events(client_id=world["yp"].id)] == ["view"]


@pytest.mark.parametrize("who, path, status, subject, action", [
    ("other_pa", "/clients/{yp}", 404, "client", "view"),
    ("other_pa", "/clients/{yp}/suggestions", 404, "client", "view_suggestions"),
    ("other_pa", "/referrals/{referral}", 404, "referral", "view"),
    ("other_provider", "/referrals/{referral}", 404, "referral", "view"),
    ("provider", "/clients/{yp}", 403, "client", "denied_role"),
])
def test_a_refused_page_is_audited(app, client, world, who, path, status, subject, action):
    _sign_in(client, world[who])
    resp = client.get(path.format(yp=world["yp"].id, referral=world["referral"].id))
    assert resp.status_code == status
    (event,) = _events(client_id=world["yp"].id)
    assert (event.user_id, event.subject_type, event.action, event.via) == (world[who].id, subject, action, "web")
    assert json.loads(event.detail)["denied"] is True


def test_refused_api_requests_are_audited(app, client, world):
    token = client.post("/api/v1/auth/token", json={"email": world["other_pa"].email, "password": pf.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/clients/{world['yp'].id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/referrals/{world['referral'].id}", headers=headers).status_code == 404
    assert client.get("/api/v1/clients/999999", headers=headers).status_code == 404
    denied = [e for e in _events(user_id=world["other_pa"].id) if e.detail and json.loads(e.detail).get("denied")]
    assert [(e.subject_type, e.subject_id, e.client_id, e.via) for e in denied] == [
        ("client", world["yp"].id, world["yp"].id, "api"),
        ("referral", world["referral"].id, world["yp"].id, "api"),
        ("client", 999999, None, "api"),  # a probe for a record that does not exist
    ]


def test_failed_sign_ins_are_audited(app, client, world):
    pa = world["owner"]
    client.post("/login", data={"email": pa.email, "password": "wrong password"})
    client.post("/api/v1/auth/token", json={"email": "nobody@test.example", "password": "wrong password"})
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"email": pa.email, "password": "wrong password"})
    failed = _events(action="sign_in_failed")
    assert [(e.subject_type, e.subject_id, e.via) for e in failed[:2]] == [("account", pa.id, "web"), ("account", None, "api")]
    assert len(failed) == 6  # the sixth try is refused unchecked, as locked
    (locked,) = _events(action="sign_in_locked")
    assert locked.subject_id == pa.id and json.loads(locked.detail)["address"] == "127.0.0.1"


def test_refusals_under_concurrent_load_are_all_audited(app, world, live_server):
    """Several threads of a real server refusing and serving at once: every refusal is
    recorded and none waits forever on a lock (SQLite has one writer at a time)."""
    token = app.test_client().post("/api/v1/auth/token", json={"email": world["other_pa"].email, "password": pf.PASSWORD}).get_json()["token"]
    owner = app.test_client().post("/api/v1/auth/token", json={"email": world["owner"].email, "password": pf.PASSWORD}).get_json()["token"]
    db.session.query(AuditEvent).delete()
    db.session.commit()
    codes, errors = [], []

    def hit(bearer, path, n):
        for _ in range(n):
            req = urllib.request.Request(live_server + path, headers={"Authorization": f"Bearer {bearer}"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    codes.append(resp.status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
            except Exception as exc:  # noqa: BLE001 - a timeout is the failure looked for
                errors.append(repr(exc))

    threads = [threading.Thread(target=hit, args=(token, f"/api/v1/clients/{world['yp'].id}", 8)) for _ in range(3)]
    threads += [threading.Thread(target=hit, args=(owner, "/api/v1/clients", 8)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and sorted(set(codes)) == [200, 404]
    assert len([e for e in _events(user_id=world["other_pa"].id) if "denied" in e.detail]) == 24
    assert len(_events(action="list", user_id=world["owner"].id)) == 16 * 2
