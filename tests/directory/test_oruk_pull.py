"""Pulling a live Open Referral API over HTTP: the 1.x form, retries on 503/429, a record that
cannot be fetched left out by name. The feed is a small real HTTP server (waitress, free port)."""
import json
import threading
from pathlib import Path

import pytest
from flask import Flask, Response, request
from sqlalchemy import select
from waitress.server import create_server

from broker.directory.models import Provision
from broker.extensions import db

FIXTURES = Path(__file__).parent / "oruk_fixtures"

V1_SERVICES = [
    {"id": "svc-1", "name": "Youth counselling drop-in", "description": "Talk to a counsellor", "status": "active",
     "organization": {"id": "org-1", "name": "Calder Wellbeing", "url": "https://calder.example"},
     "eligibilitys": [{"id": "e1", "eligibility": "Young people aged 13 to 19", "minimum_age": 13, "maximum_age": 19}],
     "service_taxonomys": [{"id": "t1", "taxonomy": {"id": "tx-1", "name": "Counselling", "vocabulary": "esdServiceTypes"}}],
     "regular_schedules": [{"id": "r1", "weekday": 3, "opens_at": "16:00", "closes_at": "19:00"}],
     "languages": [{"id": "l1", "language": "Urdu"}],
     "service_areas": [{"id": "a1", "service_area": "Calderdale", "uri": "http://statistics.data.gov.uk/id/statistical-geography/E08000033"}],
     "service_at_locations": [{"id": "sal-1", "location": {"id": "loc-1", "name": "Halifax Youth Centre", "latitude": 53.72107,
                                                           "longitude": -1.87163, "physical_addresses": [
                                                               {"id": "pa1", "address_1": "1 Square Road", "city": "Halifax", "postal_code": "HX1 1AA"}]}}]},
    {"id": "svc-2", "name": "Housing advice for young people", "status": "active",
     "organization": {"id": "org-1", "name": "Calder Wellbeing"},
     "service_taxonomys": [{"id": "t2", "taxonomy": {"id": "tx-2", "name": "Housing advice"}}]},
    {"id": "svc-gone", "name": "A record that went away", "status": "active", "organization": {"id": "org-1", "name": "Calder Wellbeing"}},
]


def feed_app(pages_1x: bool = True, flaky: dict | None = None) -> Flask:
    """An ORUK 1.x-style API: pages of `content`, then each service by id; `flaky` counts down failures per path."""
    app = Flask("feed")
    flaky = flaky if flaky is not None else {}

    @app.before_request
    def maybe_fail():
        left = flaky.get(request.path, 0)
        if left:
            flaky[request.path] = left - 1
            return Response("busy", status=503 if left % 2 else 429, headers={"Retry-After": "0"})

    @app.get("/api/services")
    def services():
        page = int(request.args.get("page", 1))
        items = [{"id": s["id"], "name": s["name"]} for s in V1_SERVICES][(page - 1) * 2: page * 2]  # two a page
        return {"totalElements": len(V1_SERVICES), "totalPages": 2, "number": page, "size": len(items),
                "first": page == 1, "last": page == 2, "content": items}

    @app.get("/api/services/<sid>")
    def service(sid):
        found = next((s for s in V1_SERVICES if s["id"] == sid and sid != "svc-gone"), None)
        return (json.dumps(found), 200, {"Content-Type": "application/json"}) if found else ("not found", 404)

    return app


@pytest.fixture
def serve():
    servers = []

    def start(app) -> str:
        server = create_server(app, host="127.0.0.1", port=0, threads=2)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=10)


def test_pulls_the_1x_form_with_retries_and_names_what_it_could_not_fetch(app, serve):
    flaky = {"/api/services": 2, "/api/services/svc-2": 1}  # 429 then 503 on the first page; 503 on one record
    base = serve(feed_app(flaky=flaky))
    result = app.test_cli_runner().invoke(args=["import-oruk", f"{base}/api/services"])
    assert result.exit_code == 0, result.output
    assert "Read 2 service(s)" in result.output and "Listings: 2 added" in result.output
    assert f"{base}/api/services/svc-gone, service: could not be read: the server answered 404" in result.output
    assert flaky == {"/api/services": 0, "/api/services/svc-2": 0}
    counselling = db.session.scalars(select(Provision).where(Provision.name == "Youth counselling drop-in")).one()
    assert (counselling.status, counselling.category, counselling.min_age, counselling.max_age) == ("active", "mental-health", 13, 19)
    assert counselling.eligibility == "Young people aged 13 to 19" and counselling.areas == ["E08000033"]
    assert counselling.schedules == [{"opens_at": "16:00", "closes_at": "19:00", "byday": "WE", "freq": "WEEKLY"}]
    assert counselling.languages == [{"name": "Urdu"}]
    assert [(l.name, l.address, l.postcode) for l in counselling.locations] == [("Halifax Youth Centre", "1 Square Road, Halifax", "HX1 1AA")]
    assert (counselling.referral_route, counselling.referral_form_url) == ("form", "https://calder.example")
    housing = db.session.scalars(select(Provision).where(Provision.name == "Housing advice for young people")).one()
    assert (housing.status, housing.category) == ("active", "housing")


def test_a_feed_that_is_not_open_referral_changes_nothing(app, serve):
    plain = Flask("plain")
    plain.get("/services")(lambda: {"hello": "world"})
    base = serve(plain)
    result = app.test_cli_runner().invoke(args=["import-oruk", base])
    assert result.exit_code != 0 and "has no 'contents' list: not an Open Referral API" in result.output
    assert db.session.scalars(select(Provision)).all() == []
