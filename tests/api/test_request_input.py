"""What a request may carry, refused at the boundary with a 400 naming the field (or a 404 for a
path): months far off, ids past the database's integers, JSON nested without end, NUL bytes.

Each of these gave a 500 or never answered before; every one runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import signal
from contextlib import contextmanager

import pytest

from broker.clients.models import Client
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf

HUGE_IDS = [2**31, 2**63, 10**30]


@contextmanager
def answers_within(seconds: float):
    """Fail (rather than hang the suite) if the request does not answer in time."""

    def timed_out(*_args):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bearer(client, user) -> dict:
    resp = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def sign_in(client, user) -> None:
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Bricklaying", org=org, intakes=[dict(start_in=10, places=3)])
    pa = pf.user("pa")
    yp = pf.client(pa, consent_to=[org])
    return dict(
        org=org, course=course, pa=pa, yp=yp, provider=pf.user("provider", organisation=org),
        manager=pf.user("manager"), admin=pf.user("admin"),
    )


# ----------------------------------------------------------------------------- months


@pytest.mark.parametrize("query,field", [
    ("to=9999-12", "to"), ("from=9999-12", "from"), ("from=2026-01&to=10000-01", "to"), ("from=1999-12", "from"),
    ("from=2026-01&to=2099-01", "to"), ("to=0000-00", "to"),
])
def test_far_months_are_refused_at_once_by_the_api(app, client, world, query, field):
    with answers_within(5):
        resp = client.get(f"/api/v1/shortages?{query}", headers=bearer(client, world["manager"]))
    assert resp.status_code == 400, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "bad_parameter" and body["field"] == field


def test_far_months_are_refused_at_once_by_the_dashboard_and_csv(app, client, world):
    sign_in(client, world["manager"])
    with answers_within(5):
        page = client.get("/insight/?to=9999-12")
        csv = client.get("/insight/shortages.csv?from=2026-01&to=9999-12")
        what_if = client.post("/insight/what-if", data={"category": "training", "area": "Leeds", "month": "9999-12", "places": "1"})
    assert page.status_code == 400 and "must be a month from 2000-01 to 2100-12" in page.get_data(as_text=True)
    assert csv.status_code == 400 and csv.get_data(as_text=True).startswith("to:")
    assert what_if.status_code == 400 and "2100-12" in what_if.get_data(as_text=True)


def test_the_last_allowed_month_still_reports(app, client, world):
    resp = client.get("/api/v1/shortages?from=2100-07&to=2100-12&by=month", headers=bearer(client, world["manager"]))
    assert resp.status_code == 200
    assert resp.get_json()["from"] == "2100-07" and resp.get_json()["to"] == "2100-12"


# ----------------------------------------------------------------------------- ids


def test_every_route_reads_ids_through_the_range_checked_converter(app):
    from broker.inputs import IdConverter

    for rule in app.url_map.iter_rules():
        for name, converter in (rule._converters or {}).items():
            if "int" in type(converter).__name__.lower() or isinstance(converter, IdConverter):
                assert isinstance(converter, IdConverter), (rule.rule, name)


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_past_the_database_range_on_a_path_are_404(app, client, world, huge):
    pa, provider = bearer(client, world["pa"]), bearer(client, world["provider"])
    api = [
        ("GET", f"/api/v1/provisions/{huge}", {}, None),
        ("GET", f"/api/v1/clients/{huge}", pa, None),
        ("GET", f"/api/v1/clients/{huge}/suggestions", pa, None),
        ("POST", f"/api/v1/clients/{huge}/needs", pa, {"category": "training"}),
        ("GET", f"/api/v1/referrals/{huge}", pa, None),
        ("POST", f"/api/v1/referrals/{huge}/answer", provider, {"decision": "accept"}),
        ("PUT", f"/api/v1/provisions/{huge}/intakes", provider, {"intakes": []}),
    ]
    for method, url, headers, body in api:
        resp = client.open(url, method=method, headers=headers, json=body)
        assert resp.status_code == 404, (url, resp.status_code)
        assert resp.get_json()["error"] == "not_found"
    assert client.get(f"/provisions/{huge}").status_code == 404
    sign_in(client, world["pa"])
    for url in (f"/clients/{huge}", f"/clients/{huge}/edit", f"/referrals/{huge}"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_past_the_database_range_in_a_body_or_query_are_400_naming_the_field(app, client, world, huge):
    pa = bearer(client, world["pa"])
    yp = world["yp"]
    referral = {"client_id": yp.id, "need_id": yp.needs[0].id, "intake_id": world["course"].intakes[0].id,
                "summary": "Keen on bricklaying; left school in the summer."}
    for name in ("client_id", "need_id", "intake_id"):
        resp = client.post("/api/v1/referrals", headers=pa, json={**referral, name: huge})
        assert resp.status_code == 400 and resp.get_json()["field"] == name, resp.get_json()
    resp = client.post(f"/api/v1/clients/{yp.id}/consents", headers=pa, json={"organisation_id": huge, "given": True})
    assert resp.status_code == 400 and resp.get_json()["field"] == "organisation_id"

    sign_in(client, world["pa"])
    page = client.get(f"/clients/{yp.id}/refer?need_id={yp.needs[0].id}&intake_id={huge}")
    assert page.status_code == 400 and "intake_id" in page.get_data(as_text=True)
    client.post("/logout")
    sign_in(client, world["admin"])
    audit = client.get(f"/admin/audit?client_id={huge}")
    assert audit.status_code == 400 and "client_id" in audit.get_data(as_text=True)


def test_vacancy_file_with_a_huge_listing_number_names_the_row(app, client, world):
    sign_in(client, world["provider"])
    start = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    data = f"provision_id,start,places,rolling\n{2**63},{start},3,no\n".encode()
    import io

    resp = client.post("/provider/feed", data={"file": (io.BytesIO(data), "v.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "provision_id" in resp.get_data(as_text=True) and "row 2" in resp.get_data(as_text=True)


# ----------------------------------------------------------------------------- JSON bodies


@pytest.mark.parametrize("depth", [10_000, 100])
def test_deeply_nested_json_is_400_on_every_json_endpoint(app, client, world, depth):
    pa, provider = bearer(client, world["pa"]), bearer(client, world["provider"])
    deep = "[" * depth + "]" * depth
    for url, headers, method in [
        ("/api/v1/auth/token", {}, "POST"), ("/api/v1/clients", pa, "POST"),
        (f"/api/v1/clients/{world['yp'].id}/needs", pa, "POST"), ("/api/v1/referrals", pa, "POST"),
        (f"/api/v1/provisions/{world['course'].id}/intakes", provider, "PUT"),
    ]:
        body = '{"intakes": ' + deep + "}" if "intakes" in url else deep
        resp = client.open(url, method=method, headers={**headers, "Content-Type": "application/json"}, data=body)
        assert resp.status_code == 400, (url, resp.status_code)
        assert "nested more than" in resp.get_json()["message"]


def test_deeply_nested_vacancy_file_is_a_named_problem(app, client, world):
    import io

    sign_in(client, world["provider"])
    deep = ('{"intakes": ' + "[" * 10_000 + "]" * 10_000 + "}").encode()
    resp = client.post("/provider/feed", data={"file": (io.BytesIO(deep), "v.json")}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "nested more than" in resp.get_data(as_text=True)


@pytest.mark.parametrize("body,message", [
    ("{", "not valid JSON"), ('{"email": NaN, "password": "x"}', "not valid JSON"), ("\xff", "not"),
    ('{"email": 1' + "0" * 5000 + ', "password": "x"}', "not valid JSON"),
])
def test_broken_json_is_400(app, client, body, message):
    resp = client.post("/api/v1/auth/token", data=body.encode("latin-1"), headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and message in resp.get_json()["message"], resp.get_json()


def test_a_body_that_is_not_json_is_400(app, client):
    resp = client.post("/api/v1/auth/token", data={"email": "a@b.c", "password": "x"})
    assert resp.status_code == 400 and "Content-Type: application/json" in resp.get_json()["message"]


# ----------------------------------------------------------------------------- NUL bytes


def test_nul_in_json_text_is_400_naming_the_field_and_saves_nothing(app, client, world):
    pa = bearer(client, world["pa"])
    before = db.session.query(Client).count()
    good = {"first_name": "Alex", "last_name": "Api", "date_of_birth": "2009-03-17", "home_postcode": "LS9 7AB",
            "available_from": dt.date.today().isoformat()}
    for name in ("first_name", "home_postcode", "summary"):
        resp = client.post("/api/v1/clients", headers=pa, json={**good, name: "A\x00B"})
        assert resp.status_code == 400 and resp.get_json()["field"] == name, resp.get_json()
    assert db.session.query(Client).count() == before
    nested = client.put(f"/api/v1/provisions/{world['course'].id}/intakes", headers=bearer(client, world["provider"]),
                        json={"intakes": [{"start": "2027-01-01", "places": 3}, {"start": "2027\x00", "places": 1}]})
    assert nested.status_code == 400 and nested.get_json()["field"] == "intakes[1].start"
    key = client.post("/api/v1/auth/token", json={"email\x00": "x", "password": "y"})
    assert key.status_code == 400


def test_nul_in_a_query_string_is_400_naming_the_parameter(app, client, world):
    resp = client.get("/api/v1/provisions?q=hostel%00")
    assert resp.status_code == 400 and resp.get_json() == {
        "error": "bad_parameter", "field": "q", "message": "contains a NUL character (\\0); remove it"}
    assert client.get("/?q=hostel%00&near=LS9").status_code == 400


def test_nul_in_a_form_is_400_naming_the_field(app, client, world):
    resp = client.post("/login", data={"email": "pa\x00@test.example", "password": pf.PASSWORD})
    assert resp.status_code == 400 and "email" in resp.get_data(as_text=True)
    sign_in(client, world["pa"])
    yp = world["yp"]
    resp = client.post(f"/clients/{yp.id}/needs", data={"category": "housing", "notes": "sofa\x00surfing"})
    assert resp.status_code == 400 and "notes" in resp.get_data(as_text=True)
    assert [n.category for n in db.session.get(Client, yp.id).needs] == ["training"]


def test_nul_in_a_vacancy_file_is_a_named_problem(app, client, world):
    import io

    sign_in(client, world["provider"])
    data = f"provision_id,start,places,rolling\n{world['course'].id},2027-01-01\x00,3,no\n".encode()
    resp = client.post("/provider/feed", data={"file": (io.BytesIO(data), "v.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "NUL" in resp.get_data(as_text=True)
