"""Every role against every client and referral route, over pages and the API.

Only the client's own PA and their team lead see the client's record; only the provider
the referral went to sees the referral (and only what consent covers); a case conference
is seen by the PA, their lead and an agency that attended with consent. Everyone else is denied:
404 where the record is someone else's (its existence is not revealed), 403 where
the role never has access, a sign-in redirect or 401 without credentials.
"""
import datetime as dt

import pytest

from broker.casework.services import convene, supervise
from broker.clients.services import record_consent
from broker.extensions import db
from broker.referrals.services import send_referral
from tests.directory import factories as f
from tests.people import factories as pf

ALLOWED = {200}
DENIED = {401, 403, 404}


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other_org = f.organisation("Calder Skills")
    course = f.provision("Course", org=org, intakes=[dict(start_in=10, places=5)])
    owner = pf.user("pa")
    yp = pf.client(owner)
    record_consent(owner, yp, org.id, "referral", True)
    referral = send_referral(owner, yp, yp.needs[0].id, course.intakes[0].id, "Background for the provider here.")
    lead, other_lead = pf.user("lead"), pf.user("lead")
    other_pa = pf.user("pa")
    supervise(lead, owner)
    supervise(lead, other_pa)
    supervise(other_lead, other_pa)
    conference = convene(owner, yp, {"held_on": dt.date.today(), "attendee_organisation_ids": [org.id],
                                     "actions": [{"what": "Call the hostel", "owner_user_id": owner.id, "due": dt.date.today()}]})
    db.session.commit()
    users = {
        "owner_pa": owner,
        "lead": lead,
        "other_lead": other_lead,
        "other_pa": other_pa,
        "provider": pf.user("provider", organisation=org),
        "other_provider": pf.user("provider", organisation=other_org),
        "manager": pf.user("manager"),
        "admin": pf.user("admin"),
    }
    return dict(users=users, client_id=yp.id, need_id=yp.needs[0].id, intake_id=course.intakes[0].id, referral_id=referral.id,
                conference_id=conference.id, other_pa_id=other_pa.id, owner_id=owner.id)


PAGES = [
    ("GET", "/clients/{client_id}"),
    ("GET", "/clients/{client_id}/edit"),
    ("GET", "/clients/{client_id}/suggestions"),
    ("GET", "/clients/{client_id}/consent"),
    ("GET", "/clients/{client_id}/refer?need_id={need_id}&intake_id={intake_id}"),
    ("POST", "/clients/{client_id}/needs"),
    ("GET", "/referrals/{referral_id}"),
    ("POST", "/referrals/{referral_id}/answer"),
    ("POST", "/referrals/{referral_id}/update"),
    ("GET", "/clients/?sort=name"),
    ("POST", "/clients/{client_id}/reassign"),
    ("POST", "/clients/{client_id}/plan"),
    ("POST", "/clients/{client_id}/reviews"),
    ("GET", "/clients/{client_id}/conferences/new"),
    ("GET", "/conferences/{conference_id}"),
    ("GET", "/team"),
    ("GET", "/team/{owner_id}"),
    ("GET", "/actions"),
]
API = [
    ("GET", "/api/v1/clients/{client_id}"),
    ("GET", "/api/v1/clients/{client_id}/suggestions"),
    ("POST", "/api/v1/clients/{client_id}/needs"),
    ("POST", "/api/v1/clients/{client_id}/consents"),
    ("GET", "/api/v1/referrals/{referral_id}"),
    ("POST", "/api/v1/referrals/{referral_id}/answer"),
    ("POST", "/api/v1/referrals/{referral_id}/update"),
    ("GET", "/api/v1/clients"),
    ("POST", "/api/v1/clients/{client_id}/conferences"),
    ("GET", "/api/v1/conferences/{conference_id}"),
    ("GET", "/api/v1/actions"),
]
# Who may use each route; everyone else must be denied.
EVERYONE = {"owner_pa", "lead", "other_lead", "other_pa", "provider", "other_provider", "manager", "admin"}
MAY = {
    "/clients/{client_id}": {"owner_pa", "lead"},
    "/clients/?sort=name": {"owner_pa", "lead", "other_lead", "other_pa"},  # the caseload list: each sees their own
    "/clients/": {"owner_pa"},
    "/clients/{client_id}/reassign": {"lead"},
    "/conferences/{conference_id}": {"owner_pa", "lead", "provider"},
    "/team": {"lead", "other_lead"},
    "/team/{owner_id}": {"lead"},
    "/actions": EVERYONE,
    "/api/v1/clients": {"owner_pa", "lead", "other_lead", "other_pa"},
    "/api/v1/clients/{client_id}": {"owner_pa", "lead"},
    "/api/v1/conferences/{conference_id}": {"owner_pa", "lead", "provider"},
    "/api/v1/actions": EVERYONE,
    "/referrals/{referral_id}": {"owner_pa", "provider"},
    "/referrals/{referral_id}/answer": {"provider"},
    "/referrals/{referral_id}/update": {"owner_pa"},
    "/api/v1/clients/": {"owner_pa"},
    "/api/v1/referrals/{referral_id}": {"owner_pa", "provider"},
    "/api/v1/referrals/{referral_id}/answer": {"provider"},
    "/api/v1/referrals/{referral_id}/update": {"owner_pa"},
}


def _may(route: str) -> set[str]:
    if route in MAY:
        return MAY[route]
    return next(who for prefix, who in MAY.items() if route.startswith(prefix) and prefix.endswith("/"))


ROLES = ["owner_pa", "lead", "other_lead", "other_pa", "provider", "other_provider", "manager", "admin", "anonymous"]


# One world per role: a role's requests in turn, every wrong answer collected, so that a
# failure names each (role, route) at once. Requests that are allowed carry empty bodies and
# are refused for their content, so none changes what the next one sees.

def _sign_in(client, world, role, api: bool) -> dict:
    """The role's API headers (or a signed-in session for pages); none for anonymous."""
    if role == "anonymous":
        return {}
    user = world["users"][role]
    if api:
        token = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD}).get_json()["token"]
        return {"Authorization": f"Bearer {token}"}
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302
    return {}


@pytest.mark.parametrize("role", ROLES)
def test_pages(app, client, world, role):
    _sign_in(client, world, role, api=False)
    wrong = []
    for method, route in PAGES:
        url = route.format(**world)
        resp = client.open(url, method=method, data={})
        if role == "anonymous":
            ok = resp.status_code == 302 and "/login" in resp.headers["Location"]
        elif role in _may(route):
            # Allowed: the page renders, or an empty form is refused for its content, not for access.
            ok = resp.status_code in ALLOWED | {302, 400}
        else:
            ok = resp.status_code in DENIED and "Jordan" not in resp.get_data(as_text=True)
        if not ok:
            wrong.append((method, url, resp.status_code))
    assert not wrong, (role, wrong)


@pytest.mark.parametrize("role", ROLES)
def test_api(app, client, world, role):
    headers = _sign_in(client, world, role, api=True)
    wrong = []
    for method, route in API:
        url = route.format(**world)
        resp = client.open(url, method=method, headers=headers, json={})
        if role == "anonymous":
            ok = resp.status_code == 401
        elif role in _may(route):
            ok = resp.status_code in ALLOWED | {400, 409}
        else:
            ok = resp.status_code in DENIED and "Jordan" not in resp.get_data(as_text=True)
        if not ok:
            wrong.append((method, url, resp.status_code))
    assert not wrong, (role, wrong)


@pytest.mark.parametrize("role", ["owner_pa", "provider", "manager", "anonymous"])
def test_only_admins_read_the_audit_log(app, client, world, role):
    if role != "anonymous":
        user = world["users"][role]
        client.post("/login", data={"email": user.email, "password": pf.PASSWORD})
    assert client.get("/admin/audit").status_code in {302, 403}
    admin = world["users"]["admin"]
    client.post("/logout")
    client.post("/login", data={"email": admin.email, "password": pf.PASSWORD})
    assert client.get("/admin/audit").status_code == 200


def test_caseload_lists_only_own_clients(app, client, world):
    other = world["users"]["other_pa"]
    client.post("/login", data={"email": other.email, "password": pf.PASSWORD})
    assert "Jordan" not in client.get("/clients/").get_data(as_text=True)


def test_a_lead_lists_only_their_own_pas_young_people(app, client, world):
    other_lead = world["users"]["other_lead"]
    client.post("/login", data={"email": other_lead.email, "password": pf.PASSWORD})
    assert "Jordan" not in client.get("/clients/").get_data(as_text=True)
    token = client.post("/api/v1/auth/token", json={"email": other_lead.email, "password": pf.PASSWORD}).get_json()["token"]
    assert client.get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"}).get_json() == {"clients": []}
    client.post("/logout")
    lead = world["users"]["lead"]
    client.post("/login", data={"email": lead.email, "password": pf.PASSWORD})
    assert "Jordan" in client.get("/clients/").get_data(as_text=True)


# ---- Paused referrals and expired consent: the same routes, the same answers, and the
# provider (the only outsider allowed in) sees nothing of the young person and cannot answer.

def _paused(world):
    from broker.clients.models import Client

    owner = world["users"]["owner_pa"]
    org_id = world["users"]["provider"].organisation_id
    record_consent(owner, db.session.get(Client, world["client_id"]), org_id, "referral", False)
    db.session.commit()


def _expired(world):
    import datetime as dt

    from sqlalchemy import update

    from broker.clients.models import Consent

    db.session.execute(update(Consent).values(expires_on=dt.date.today() - dt.timedelta(days=1)))
    db.session.commit()


REFERRAL_PAGES = [p for p in PAGES if p[1].startswith("/referrals/")]
REFERRAL_API = [p for p in API if p[1].startswith("/api/v1/referrals/")]


@pytest.mark.parametrize("state", ["paused", "expired"])
@pytest.mark.parametrize("role", ROLES)
def test_paused_referrals_and_expired_consent(app, client, world, state, role):
    {"paused": _paused, "expired": _expired}[state](world)
    wrong = []
    for api, routes in ((False, REFERRAL_PAGES), (True, REFERRAL_API)):
        headers = _sign_in(client, world, role, api)
        for method, route in routes:
            url = route.format(**world)
            body = {"decision": "accept"} if route.endswith("/answer") else {}
            resp = client.open(url, method=method, headers=headers, **({"json": body} if api else {"data": body}))
            text = resp.get_data(as_text=True)
            if role == "anonymous":
                ok = resp.status_code in {302, 401}
            elif role not in _may(route):
                ok = resp.status_code in DENIED
            elif role == "provider" and route.endswith("/answer"):
                # Paused, or consent expired (before the due job pauses it): it cannot be answered.
                ok = resp.status_code == 409
            else:
                ok = resp.status_code in ALLOWED | {302, 400}
            if role != "owner_pa":
                ok = ok and "Jordan" not in text and "Background for the provider" not in text
            if not ok:
                wrong.append((method, url, resp.status_code))
    assert not wrong, (state, role, wrong)
