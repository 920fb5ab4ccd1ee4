"""Guessing passwords is slowed three ways: one limit per address over every sign-in
route, a per-account lockout with backoff that every process shares, and a password
policy that refuses passwords that are easy to guess."""
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import redis
from sqlalchemy import update

from broker.auth.models import SignInThrottle
from broker.auth.services import create_user
from broker.errors import InputError
from broker.config import PROJECT_ROOT
from broker.extensions import db
from tests.people import factories as pf
from tests.servers import free_port, wait_until_answering

# The suite's Redis (CI gives one); locally database 2.
REDIS_URL = os.environ.get("BROKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def _web(client, email, password="wrong password"):
    return client.post("/login", data={"email": email, "password": password})


def _api(client, email, password="wrong password"):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_the_per_address_limit_counts_every_sign_in_route_together(app, client):
    codes = [(_web if n % 2 else _api)(client, f"x{n}@test.example").status_code for n in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_successful_sign_ins_do_not_use_up_the_address_limit(app, client):
    """An office of PAs behind one address signs in at nine."""
    staff = [pf.user("pa") for _ in range(12)]
    assert [_api(client, u.email, pf.PASSWORD).status_code for u in staff] == [200] * 12


def _unlock(email):
    db.session.execute(update(SignInThrottle).values(locked_until=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    db.session.commit()


def _locked_minutes():
    row = db.session.scalars(db.select(SignInThrottle)).one()
    until = row.locked_until if row.locked_until.tzinfo else row.locked_until.replace(tzinfo=dt.timezone.utc)
    return (until - dt.datetime.now(dt.timezone.utc)).total_seconds() / 60


def test_an_account_locks_after_five_failures_with_growing_waits(app, client):
    pa = pf.user("pa")
    assert [_api(client, pa.email).status_code for _ in range(5)] == [401] * 5
    locked = _api(client, pa.email, pf.PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429
    body = locked.get_json()
    assert body["error"] == "too_many_attempts" and body["field"] == "email" and "try again in 1 minute" in body["message"]
    assert set(body) == {"error", "field", "message"}  # the one error shape
    assert 1 <= int(locked.headers["Retry-After"]) <= 61
    assert 0.9 < _locked_minutes() <= 1
    page = _web(client, pa.email, pf.PASSWORD)
    assert page.status_code == 429 and "Too many failed sign-ins with this email address" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) <= 61

    _unlock(pa.email)
    assert _api(client, pa.email).status_code == 401  # the sixth failure in a row: 2 minutes
    assert 1.9 < _locked_minutes() <= 2
    _unlock(pa.email)
    assert _api(client, pa.email).status_code == 401  # the seventh: 4 minutes
    assert 3.9 < _locked_minutes() <= 4

    _unlock(pa.email)
    assert _api(client, pa.email, pf.PASSWORD).status_code == 200  # success starts the count again
    assert db.session.scalars(db.select(SignInThrottle)).all() == []


def test_an_address_without_an_account_locks_the_same_way(app, client):
    """So a lockout never tells anyone which addresses have accounts."""
    codes = [_api(client, "nobody@test.example").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert "try again in 1 minute" in _api(client, "nobody@test.example").get_json()["message"]


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaa", 'Repeats like "aaa" are easy to guess'),
    ("password123", "common password"),
    ("qwertyuiop", "easy to guess"),
    ("abcdefghijk", "Sequences like"),
    ("jordansmith1", "easy to guess"),  # the account's own name
])
def test_passwords_that_are_easy_to_guess_are_refused_with_a_clear_reason(app, password, why):
    with pytest.raises(InputError) as refused:
        create_user("jordan.smith@test.example", "Jordan Smith", "pa", password)
    assert refused.value.field == "password"
    assert "is too easy to guess" in refused.value.message and why in refused.value.message


def test_a_strong_password_is_accepted(app):
    assert create_user("jo@test.example", "Jo", "pa", "plinth marmalade oxbow").id


def test_create_user_command_names_the_weak_password(app, tmp_path):
    env = {**os.environ, "BROKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BROKER_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "broker", "create-user", "--role", "pa", "--email", "weak@test.example",
                          "--password", "aaaaaaaaaa"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "--password" in out.stderr and 'too easy to guess. Repeats like "aaa" are easy to guess.' in out.stderr


def _post(port, email, password="wrong password"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
                                 data=json.dumps({"email": email, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_two_server_processes_share_the_address_limit_and_the_lockout(app, tmp_path):
    """Two real `broker serve` processes on one database and one Redis: a guesser who
    alternates between them gets no more tries than one process would give."""
    server = redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    for key in server.keys("LIMITS*"):
        server.delete(key)
    pa = pf.user("pa")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env.update(BROKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], BROKER_REDIS_URL=REDIS_URL,
               BROKER_INDEX_DIR=str(tmp_path / "index"), PYTHONPATH=str(PROJECT_ROOT))
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "broker", "serve", "--port", str(p), "--threads", "2"],
                              env={**env, "BROKER_INSTANCE_PATH": str(tmp_path / f"node{n}")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n, p in enumerate(ports)]
    try:
        for proc, port in zip(procs, ports):
            wait_until_answering(proc, f"http://127.0.0.1:{port}/healthz")
        # The same account, alternating processes: locked after five failures in all.
        same = [_post(ports[n % 2], pa.email) for n in range(6)]
        assert [code for code, _ in same] == [401] * 5 + [429]
        assert same[-1][1]["error"] == "too_many_attempts"
        # Other addresses, still alternating: the per-address limit (10 a minute) is shared too.
        other = [_post(ports[n % 2], f"x{n}@test.example") for n in range(5)]
        assert [code for code, _ in other] == [401, 401, 401, 401, 429]
        assert other[-1][1]["error"] == "too_many_requests"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        for key in server.keys("LIMITS*"):
            server.delete(key)
