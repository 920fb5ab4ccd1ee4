"""Security headers on every answer, and no caching of anything that may carry personal
data: pages, API answers, errors and redirects alike; only static files may be cached."""
import re

import pytest

from broker.extensions import db
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.people import factories as pf

CSP_MUST = {
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "img-src": "'self' data:",
}


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd", website="https://aire.example/")
    course = f.provision("Level 1 Construction", org=org, intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, consent_to=[org])
    referral = referrals.send_referral(pa, yp, yp.needs[0].id, course.intakes[0].id, "Background for the provider here.")
    db.session.commit()  # as a request would: services never commit
    return dict(org=org, course=course, pa=pa, provider=provider, yp=yp, referral=referral)


def _csp(resp) -> dict:
    policy = resp.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def _assert_secure_headers(resp, what):
    csp = _csp(resp)
    for directive, value in CSP_MUST.items():
        assert csp.get(directive) == value, (what, directive, resp.headers.get("Content-Security-Policy"))
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"], what
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
    assert resp.headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}, what
    assert resp.headers.get("X-Frame-Options") == "DENY", what


def _answers(client, world):
    """(what, response, carries personal data) for each kind of answer the app gives."""
    c, r = world["yp"].id, world["referral"].id
    out = [
        ("search page", client.get("/"), False),
        ("sign-in page", client.get("/login"), False),
        ("listing page", client.get(f"/provisions/{world['course'].id}"), False),
        ("missing page", client.get("/no-such-page"), False),
        ("API search", client.get("/api/v1/provisions?q=construction"), False),
        ("API without token", client.get("/api/v1/clients"), False),
        ("redirect to sign in", client.get(f"/clients/{c}"), False),
    ]
    token_resp = client.post("/api/v1/auth/token", json={"email": world["pa"].email, "password": pf.PASSWORD})
    bearer = {"Authorization": f"Bearer {token_resp.get_json()['token']}"}
    out += [
        ("API token", token_resp, True),
        ("API caseload", client.get("/api/v1/clients", headers=bearer), True),
        ("API client record", client.get(f"/api/v1/clients/{c}", headers=bearer), True),
        ("API referral", client.get(f"/api/v1/referrals/{r}", headers=bearer), True),
    ]
    signed_in = client.post("/login", data={"email": world["pa"].email, "password": pf.PASSWORD})
    out += [
        ("sign-in redirect", signed_in, True),
        ("caseload page", client.get("/clients/"), True),
        ("client record page", client.get(f"/clients/{c}"), True),
        ("referral page", client.get(f"/referrals/{r}"), True),
        ("denied page", client.get("/admin/audit"), True),
    ]
    return out


def test_every_answer_carries_the_security_headers(app, client, world):
    for what, resp, _ in _answers(client, world):
        _assert_secure_headers(resp, what)


def test_no_page_or_api_answer_may_be_cached(app, client, world):
    # Back after signing out: the browser has kept nothing of the record to show.
    answers = _answers(client, world)
    assert sum(personal for *_, personal in answers) >= 8
    for what, resp, _ in answers:
        assert resp.headers.get("Cache-Control") == "no-store", (what, resp.status_code)


def test_static_styles_may_be_cached_and_are_served_by_the_app(app, client):
    resp = client.get("/static/css/broker.css")
    assert resp.status_code == 200 and resp.mimetype == "text/css"
    assert resp.headers.get("Cache-Control") != "no-store"
    _assert_secure_headers(resp, "stylesheet")


def test_pages_have_no_inline_script_or_style(app, client, world):
    """The policy forbids inline script and style, so no page may rely on them."""
    pages = [resp for what, resp, _ in _answers(client, world) if resp.mimetype == "text/html"]
    client.post("/logout")
    client.post("/login", data={"email": world["provider"].email, "password": pf.PASSWORD})
    pages += [client.get(u) for u in ("/inbox", f"/referrals/{world['referral'].id}", "/provider/listings",
                                      f"/provider/listings/{world['course'].id}/edit", "/provider/feed", "/provider/tokens")]
    manager = pf.user("manager")
    client.post("/logout")
    client.post("/login", data={"email": manager.email, "password": pf.PASSWORD})
    pages += [client.get("/insight/"), client.get("/insight/what-if")]
    assert len(pages) > 15
    for resp in pages:
        html = resp.get_data(as_text=True)
        assert not re.search(r"<style[\s>]", html), resp.request.path
        assert not re.search(r"\sstyle\s*=", html), resp.request.path
        assert not re.search(r"\son[a-z]+\s*=", html), resp.request.path
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), resp.request.path
        assert not re.search(r"href\s*=\s*\"javascript:", html, re.I), resp.request.path
