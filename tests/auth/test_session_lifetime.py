"""Sessions and API tokens end when they should: signing out ends every session and token
of the account; a session ends after BROKER_SESSION_HOURS or BROKER_SESSION_IDLE_MINUTES
idle; a token can be revoked and expires; cookies are Secure outside the embedded demo."""
import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import update

from broker import create_app
from broker.auth.models import ApiToken
from broker.config import PROJECT_ROOT, Config
from broker.extensions import db
from broker.security import plain_http_locally, secure_cookies
from tests.conftest import _empty_tables, app_config
from tests.people import factories as pf
from tests.servers import free_port, wait_until_answering


def _sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


def _token(client, user) -> dict:
    body = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD}).get_json()
    return {"Authorization": f"Bearer {body['token']}"}


def test_sign_out_ends_every_session_and_api_token_of_the_account(app):
    pa = pf.user("pa")
    yp = pf.client(pa)
    laptop, phone, script = app.test_client(), app.test_client(), app.test_client()
    _sign_in(laptop, pa)
    _sign_in(phone, pa)
    bearer = _token(script, pa)
    assert phone.get(f"/clients/{yp.id}").status_code == 200
    assert script.get(f"/api/v1/clients/{yp.id}", headers=bearer).status_code == 200

    signed_out = laptop.post("/logout")
    assert signed_out.status_code == 302 and "You have signed out." in laptop.get(signed_out.headers["Location"]).get_data(as_text=True)
    resp = phone.get(f"/clients/{yp.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert script.get(f"/api/v1/clients/{yp.id}", headers=bearer).status_code == 401
    _sign_in(phone, pa)  # signing in again works, with a fresh session
    assert phone.get(f"/clients/{yp.id}").status_code == 200


def test_an_api_token_can_be_revoked(app, client):
    pa = pf.user("pa")
    bearer, other = _token(client, pa), _token(client, pa)
    assert client.get("/api/v1/clients", headers=bearer).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert client.get("/api/v1/clients", headers=bearer).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 401
    assert client.get("/api/v1/clients", headers=other).status_code == 200  # only that token ends


def test_an_api_token_expires(app, client):
    pa = pf.user("pa")
    body = client.post("/api/v1/auth/token", json={"email": pa.email, "password": pf.PASSWORD}).get_json()
    lifetime = dt.datetime.fromisoformat(body["expires_at"]) - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=7, minutes=59) < lifetime <= dt.timedelta(hours=8)
    db.session.execute(update(ApiToken).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/api/v1/clients", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 401


@pytest.mark.parametrize("key, age, ends", [
    ("seen_at", 31 * 60, True),  # idle for longer than 30 minutes
    ("seen_at", 29 * 60, False),
    ("signed_in_at", 8 * 3600 + 1, True),  # signed in for longer than 8 hours, however busy
    ("signed_in_at", 7 * 3600, False),
])
def test_a_session_ends_when_idle_or_old(app, client, key, age, ends):
    pa = pf.user("pa")
    _sign_in(client, pa)
    with client.session_transaction() as session:
        session[key] -= age
    resp = client.get("/clients/")
    if ends:
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
        assert client.get("/clients/").status_code == 302  # ended for good, not only once
    else:
        assert resp.status_code == 200
        with client.session_transaction() as session:
            assert time.time() - session["seen_at"] < 5  # activity noted


def test_the_server_keeps_a_session_no_longer_than_the_idle_timeout():
    config = Config("/nonexistent")
    assert config.PERMANENT_SESSION_LIFETIME == dt.timedelta(minutes=30)
    assert config.BROKER_SESSION_HOURS == 8


def test_cookies_are_secure_unless_testing_debugging_or_told_otherwise(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, TESTING=False, SERVER_NAME="broker.test"))
    with app.app_context():
        _empty_tables()
        pa = pf.user("pa")
        client = app.test_client()
        resp = client.post("https://broker.test/login", data={"email": pa.email, "password": pf.PASSWORD})
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        db.session.remove()
        db.engine.dispose()
    assert not secure_cookies(create_app(app_config(database_url, tmp_path)))  # TESTING
    assert not secure_cookies(create_app(app_config(database_url, tmp_path, TESTING=False, BROKER_SECURE_COOKIES="0")))
    assert secure_cookies(create_app(app_config(database_url, tmp_path, BROKER_SECURE_COOKIES="1")))
    unset = create_app(app_config(database_url, tmp_path, TESTING=False))
    assert plain_http_locally(unset, "127.0.0.1") and plain_http_locally(unset, "localhost") and plain_http_locally(unset, "::1")
    assert not plain_http_locally(unset, "0.0.0.0") and not plain_http_locally(unset, "broker.example.org")
    chosen = create_app(app_config(database_url, tmp_path, TESTING=False, BROKER_SECURE_COOKIES="1"))
    assert not plain_http_locally(chosen, "127.0.0.1")


@pytest.mark.parametrize("choice, secure", [(None, False), ("1", True)])
def test_broker_serve_on_localhost_is_the_plain_http_demo(tmp_path, choice, secure):
    """The real `broker serve`: on 127.0.0.1 with no choice made, cookies work over http."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env.update(BROKER_INSTANCE_PATH=str(tmp_path), PYTHONPATH=str(PROJECT_ROOT))
    if choice:
        env["BROKER_SECURE_COOKIES"] = choice
    server = subprocess.Popen([sys.executable, "-m", "broker", "serve", "--port", str(port), "--threads", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _, headers, _ = wait_until_answering(server, f"http://127.0.0.1:{port}/login")
        cookie = headers["Set-Cookie"]  # the sign-in form's cookie follows the session cookie's rule
        assert ("Secure" in cookie) is secure, cookie
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert ("not Secure" in output) is not secure, output
