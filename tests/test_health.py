"""When the database is down: pages and the API answer a clear 503, /healthz says what is
wrong (and nothing about anyone), and `broker init` says so in one line."""
import os
import socket
import subprocess
import sys

import pytest

from broker import create_app
from broker.directory.services import rebuild_index
from tests.conftest import app_config
from tests.directory import factories as f


def _closed_port() -> int:
    """A port nothing listens on: connecting is refused at once, as with a stopped server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


UNREACHABLE = {
    "postgresql": lambda tmp_path: f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/broker",
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path}/no-such-folder/broker.db",
}


def test_healthz_reports_the_database_and_the_search_index(app, client, tmp_path):
    f.provision("Level 1 Construction")
    rebuild_index()
    index_dir = app.config["BROKER_INDEX_DIR"]
    app.config["BROKER_INDEX_DIR"] = str(tmp_path / "no-index-here")
    missing = client.get("/healthz")
    assert missing.status_code == 503
    assert missing.get_json()["checks"]["search_index"]["ok"] is False
    assert "broker reindex" in missing.get_json()["checks"]["search_index"]["message"]
    assert not (tmp_path / "no-index-here").exists()  # checking never creates an empty index

    app.config["BROKER_INDEX_DIR"] = index_dir
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.get_json() == {"status": "ok", "checks": {"database": {"ok": True}, "search_index": {"ok": True, "documents": 1}}}
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_pages_and_api_answer_503_when_the_database_is_unreachable(database_url, tmp_path, kind):
    app = create_app(app_config(database_url, tmp_path, SQLALCHEMY_DATABASE_URI=UNREACHABLE[kind](tmp_path)))
    app.testing = False  # answer as in production, not by raising
    client = app.test_client()
    assert client.get("/").status_code == 200  # the empty search form needs no database
    for path in ("/provisions/1", "/provisions/2"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 503, (path, html[:300])
        assert "Sorry, the service is unavailable" in html and "try again in a minute" in html
        assert resp.headers["Retry-After"] == "30" and "Content-Security-Policy" in resp.headers
    assert client.post("/login", data={"email": "a@b.example", "password": "x" * 12}).status_code == 503
    for path in ("/api/v1/provisions/1",):
        resp = client.get(path)
        assert resp.status_code == 503
        assert resp.get_json()["error"] == "unavailable" and "try again" in resp.get_json()["message"]
    token = client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x" * 12})
    assert token.status_code == 503 and token.get_json()["error"] == "unavailable"
    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == {"ok": False, "message": "the database does not answer"}


def test_broker_init_says_in_one_line_that_the_database_is_unreachable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env.update(BROKER_INSTANCE_PATH=str(tmp_path), BROKER_DATABASE_URL=UNREACHABLE["postgresql"](tmp_path).replace("postgres@", "postgres:s3cret@"))
    out = subprocess.run([sys.executable, "-m", "broker", "init"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    (error,) = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith("Error: cannot reach the database postgresql+psycopg://postgres:***@127.0.0.1:")
    assert "Connection refused" in error and "BROKER_DATABASE_URL" in error
    assert "s3cret" not in out.stderr + out.stdout  # the password is never printed


def test_a_signed_in_page_answers_503_when_the_database_goes_away(app, database_url, tmp_path):
    from tests.people import factories as pf

    pa = pf.user("pa")
    up = app.test_client()
    assert up.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).status_code == 302
    cookie = up.get_cookie("session", domain="broker.test")
    # The same sessions, served by an app whose database has stopped answering.
    down = create_app(app_config(database_url, tmp_path, SERVER_NAME="broker.test",
                                 SQLALCHEMY_DATABASE_URI=UNREACHABLE["postgresql"](tmp_path)))
    down.testing = False
    client = down.test_client()
    client.set_cookie(cookie.key, cookie.value, domain="broker.test")
    resp = client.get("/clients/")
    assert resp.status_code == 503 and "Sorry, the service is unavailable" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
