"""Signing in and out, server-side sessions, CSRF and the login rate limit."""
import re

from broker import create_app
from broker.extensions import db
from tests.conftest import app_config
from tests.people import factories as pf


def test_wrong_password_is_refused_without_saying_which_part(app, client):
    pa = pf.user("pa")
    resp = client.post("/login", data={"email": pa.email, "password": "not the password"})
    assert resp.status_code == 401 and "The email or password is not right" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"email": "nobody@test.example", "password": "not the password"})
    assert resp.status_code == 401 and "The email or password is not right" in resp.get_data(as_text=True)


def test_pages_need_sign_in(app, client):
    resp = client.get("/clients/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_session_cookie_is_useless_after_sign_out(app, client):
    pa = pf.user("pa")
    client.post("/login", data={"email": pa.email, "password": pf.PASSWORD})
    cookie = client.get_cookie("session", domain="broker.test")
    assert client.get("/clients/").status_code == 200
    client.post("/logout")
    # Replay the cookie from before signing out, as someone who copied it would.
    replay = app.test_client()
    replay.set_cookie(cookie.key, cookie.value, domain="broker.test")
    resp = replay.get("/clients/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_session_id_changes_at_sign_in(app, client):
    pa = pf.user("pa")
    client.get("/login")
    before = client.get_cookie("session", domain="broker.test")
    client.post("/login", data={"email": pa.email, "password": pf.PASSWORD})
    after = client.get_cookie("session", domain="broker.test")
    assert after is not None and (before is None or before.value != after.value)


def test_forms_refuse_posts_without_csrf_token(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        from tests.conftest import _empty_tables

        _empty_tables()
        pa = pf.user("pa")
        client = app.test_client()
        assert client.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        ok = client.post("/login", data={"email": pa.email, "password": pf.PASSWORD, "csrf_token": token})
        assert ok.status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_login_is_rate_limited(app, client):
    # A different address each time, so the per-account lockout never comes into it.
    codes = [client.post("/login", data={"email": f"x{n}@test.example", "password": "wrong password"}).status_code for n in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_passwords_are_stored_as_argon2(app):
    pa = pf.user("pa")
    assert pa.password_hash.startswith("$argon2id$") and pf.PASSWORD not in pa.password_hash


def test_sign_in_never_redirects_to_another_site(app, client):
    pa = pf.user("pa")
    resp = client.post("/login?next=//evil.example/x", data={"email": pa.email, "password": pf.PASSWORD})
    assert resp.status_code == 302 and "evil.example" not in resp.headers["Location"]
