"""Every error the API answers has one shape: {"error", "field", "message"} (+ "errors" when several),
whether a service raised it, the schema layer refused the input, or Werkzeug answered on its own."""
from __future__ import annotations

import datetime as dt

import pytest

from broker import create_app
from tests.conftest import app_config
from tests.directory import factories as f
from tests.people import factories as pf

SHAPE = {"error", "field", "message"}


def bearer(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def assert_shape(resp, status: int, error: str | None = None, field: str | None = "any"):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert SHAPE <= set(body) <= SHAPE | {"errors"}, body
    assert isinstance(body["message"], str) and len(body["message"]) > 5
    assert body["field"] is None or isinstance(body["field"], str)
    if error:
        assert body["error"] == error, body
    if field != "any":
        assert body["field"] == field, body
    for item in body.get("errors", []):
        assert {"field", "message"} <= set(item)
    return body


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Bricklaying", org=org, intakes=[dict(start_in=10, places=1)])
    pa = pf.user("pa")
    return dict(org=org, course=course, pa=pa, yp=pf.client(pa, consent_to=[org]),
                provider=pf.user("provider", organisation=org))


def test_400_from_the_schema_names_the_field(app, client, world):
    pa = bearer(client, world["pa"])
    assert_shape(client.post(f"/api/v1/clients/{world['yp'].id}/needs", headers=pa, json={}), 400, "invalid", "category")
    assert_shape(client.get("/api/v1/provisions?age=old"), 400, "bad_parameter", "age")


def test_400_with_several_problems_lists_them_all(app, client, world):
    provider = bearer(client, world["provider"])
    soon = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    resp = client.put(
        f"/api/v1/provisions/{world['course'].id}/intakes", headers=provider,
        json={"intakes": [{"start": soon, "places": 3}, {"start": "soon", "places": -1, "colour": "red"}]},
    )
    body = assert_shape(resp, 400, "invalid", "intakes[1].start")
    assert {e["field"] for e in body["errors"]} == {"intakes[1].start", "intakes[1].places", "intakes[1].colour"}


def test_401_without_or_with_a_bad_token(app, client):
    assert_shape(client.get("/api/v1/clients"), 401, "unauthorised")
    resp = client.get("/api/v1/clients", headers={"Authorization": "Bearer made-up"})
    assert_shape(resp, 401, "unauthorised")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_shape(client.post("/api/v1/auth/token", json={"email": "no@one.example", "password": "x"}), 401, "unauthorised", "password")


def test_403_for_the_wrong_role_or_without_consent(app, client, world):
    assert_shape(client.get("/api/v1/clients", headers=bearer(client, world["provider"])), 403, "forbidden")
    other = pf.user("pa")
    yp = pf.client(other)
    resp = client.post("/api/v1/referrals", headers=bearer(client, other), json={
        "client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": world["course"].intakes[0].id,
        "summary": "Keen to start soon; left school in the summer."})
    assert_shape(resp, 403, "forbidden", "consent")


def test_404_for_unknown_addresses_and_records(app, client, world):
    assert_shape(client.get("/api/v1/nothing-here"), 404, "not_found", None)
    assert_shape(client.get("/api/v1/provisions/999999"), 404, "not_found", "provision_id")
    assert_shape(client.get("/api/v1/provisions/abc"), 404, "not_found")
    assert_shape(client.get("/api/v1/clients/999999", headers=bearer(client, world["pa"])), 404, "not_found", "client_id")


def test_405_keeps_the_allow_header(app, client):
    resp = client.delete("/api/v1/provisions")
    assert_shape(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


def test_409_when_the_last_place_has_gone(app, client, world):
    pa = bearer(client, world["pa"])
    second = pf.client(world["pa"], first_name="Sam", consent_to=[world["org"]])
    for yp, status in ((world["yp"], 201), (second, 409)):
        resp = client.post("/api/v1/referrals", headers=pa, json={
            "client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": world["course"].intakes[0].id,
            "summary": "Keen to start soon; left school in the summer."})
    assert_shape(resp, 409, "conflict", "intake")


def test_413_for_a_body_over_the_limit(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, MAX_CONTENT_LENGTH=1000))
    resp = app.test_client().post("/api/v1/auth/token", data=b"{" + b" " * 5000 + b"}",
                                  headers={"Content-Type": "application/json"})
    assert_shape(resp, 413, "too_large")


def test_429_when_signing_in_too_often(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, BROKER_LOGIN_LIMIT="2 per minute"))
    http = app.test_client()
    answers = [http.post("/api/v1/auth/token", json={"email": "x@y.example", "password": "nope"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert_shape(answers[-1], 429, "too_many_requests")


def test_500_answers_in_the_shape_and_says_nothing_was_saved(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @app.get("/api/v1/broken")
    def broken():
        raise RuntimeError("a bug")

    body = assert_shape(app.test_client().get("/api/v1/broken"), 500, "server_error", None)
    assert "not saved" in body["message"] and "a bug" not in body["message"]


def test_werkzeugs_own_400_is_in_the_shape_too(app, client):
    from werkzeug.exceptions import BadRequest

    @app.get("/api/v1/werkzeug-400")
    def werkzeug_400():
        raise BadRequest()

    assert_shape(client.get("/api/v1/werkzeug-400"), 400, "bad_request", None)


def test_pages_keep_their_html_error_pages(app, client):
    resp = client.get("/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
