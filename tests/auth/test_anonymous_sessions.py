"""Visitors who have not signed in get no server-side session (files or Redis), however
many pages they open, and the sign-in form still refuses posts from other sites."""
import os
import re

import pytest
import redis
from cachelib import FileSystemCache

from broker import create_app
from broker.extensions import db
from tests.conftest import _empty_tables, app_config
from tests.directory import factories as f
from tests.people import factories as pf

# The suite's Redis (CI gives one); locally database 2.
REDIS_URL = os.environ.get("BROKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


@pytest.fixture(params=["files", "redis"])
def store(request, database_url, tmp_path):
    """An app with CSRF on and its session store, and a way to count the sessions in it."""
    if request.param == "files":
        folder = tmp_path / "anonymous-sessions"
        # threshold=0: no file-count bookkeeping file, so every file in the folder is a session.
        config = {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": FileSystemCache(str(folder), threshold=0)}

        def count():
            return len(list(folder.iterdir()))
    else:
        server = redis.from_url(REDIS_URL)
        try:
            server.ping()
        except redis.RedisError:
            pytest.skip(f"no Redis at {REDIS_URL}")
        prefix = f"test-anon-{tmp_path.name}:"
        config = {"SESSION_TYPE": "redis", "SESSION_REDIS": server, "SESSION_KEY_PREFIX": prefix}

        def count():
            return len(server.keys(prefix + "*"))
    app = create_app(app_config(database_url, tmp_path, WTF_CSRF_ENABLED=True, SERVER_NAME="broker.test", **config))
    with app.app_context():
        _empty_tables()
        yield app, count
        if request.param == "redis":
            for key in server.keys(prefix + "*"):
                server.delete(key)
        db.session.remove()
        db.engine.dispose()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_anonymous_pages_create_no_session(store):
    app, count = store
    p = f.provision("Level 1 Construction")
    pa = pf.user("pa")
    client = app.test_client()
    cookies = []
    for n in range(60):
        for path in ("/login", "/", f"/provisions/{p.id}", "/clients/", "/api/v1/provisions", "/login?next=/clients/"):
            cookies.append(client.get(path).headers.get("Set-Cookie", ""))
    for n in range(3):  # failed sign-ins, with a valid form token, create nothing either
        token = _token(client.get("/login").get_data(as_text=True))
        refused = client.post("/login", data={"email": f"x{n}@test.example", "password": "wrong password", "csrf_token": token})
        assert refused.status_code == 401
        cookies.append(refused.headers.get("Set-Cookie", ""))
    assert count() == 0
    assert not any(c.startswith("session=") for c in cookies)

    token = _token(client.get("/login").get_data(as_text=True))
    signed_in = client.post("/login", data={"email": pa.email, "password": pf.PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302 and count() == 1  # signing in is what makes a session
    assert client.get("/clients/").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf_of(client)})
    assert count() == 0 and client.get("/clients/").status_code == 302


def _csrf_of(client) -> str:
    return _token(client.get("/clients/new").get_data(as_text=True))


def test_sign_in_form_refuses_posts_without_its_own_token_and_cookie(store):
    app, _ = store
    pa = pf.user("pa")
    form = {"email": pa.email, "password": pf.PASSWORD}
    visitor, attacker = app.test_client(), app.test_client()
    assert visitor.post("/login", data=form).status_code == 400  # no token at all
    theirs = _token(attacker.get("/login").get_data(as_text=True))
    assert visitor.post("/login", data={**form, "csrf_token": theirs}).status_code == 400  # a token minted for another browser
    mine = _token(visitor.get("/login").get_data(as_text=True))
    assert visitor.post("/login", data={**form, "csrf_token": mine[:-2] + "xx"}).status_code == 400  # tampered
    assert visitor.post("/login", data={**form, "csrf_token": mine}).status_code == 302
