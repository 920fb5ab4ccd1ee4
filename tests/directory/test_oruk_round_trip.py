"""Two instances of this service over real HTTP: the second pulls the first's /oruk/ feed with
`broker import-oruk URL` and ends up with the same listings, ages and capacities; the export
package reads back to the same listings too.

The publisher is a separate app on its own SQLite database, served by waitress on a free port
in a thread; the importer is the test's app, on the suite's database (SQLite or PostgreSQL).
"""
import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from waitress.server import create_server

from broker import create_app
from broker.directory.models import Provision
from broker.extensions import db
from tests.conftest import app_config
from tests.directory import factories as f

TODAY = dt.date.today()


def listing(p: Provision) -> dict:
    """What must survive the journey, by public id."""
    return {
        "uid": p.uid, "name": p.name, "organisation": (p.organisation.uid, p.organisation.name, p.organisation.email,
                                                      p.organisation.phone, p.organisation.website),
        "description": p.description, "category": p.category, "kind": p.kind, "requires": sorted(p.requires or []),
        "ages": (p.min_age, p.max_age), "areas": p.areas, "status": p.status, "cost": p.cost, "eligibility": p.eligibility,
        "referral": (p.referral_route, p.referral_contact, p.referral_form_url), "last_confirmed": p.last_confirmed,
        "application_process": p.application_process, "wait_time": p.wait_time, "schedules": p.schedules,
        "languages": p.languages, "contacts": p.contacts, "documents": p.required_documents, "service_areas": p.service_areas,
        "locations": sorted((l.uid, l.sal_uid, l.name, l.address, l.postcode, l.lat, l.lon) for l in p.locations),
        "capacities": sorted((i.uid, i.start, i.rolling, i.places, i.places_left) for i in p.upcoming_intakes(TODAY)),
    }


def published_listings(session) -> dict[str, dict]:
    rows = session.scalars(select(Provision).where(Provision.status.in_(("active", "withdrawn")))
                           .options(selectinload(Provision.locations), selectinload(Provision.intakes), selectinload(Provision.organisation)))
    return {p.uid: listing(p) for p in rows}


@pytest.fixture(scope="module")
def publisher(tmp_path_factory):
    """Another instance of the service, with the demo directory and a few listings of every shape, served over HTTP.
    Built once for the module: the tests only read from it (a pull over HTTP, an export to files)."""
    folder = tmp_path_factory.mktemp("publisher")
    app = create_app(app_config(f"sqlite:///{folder / 'publisher.db'}", folder, SERVER_NAME=None))
    with app.app_context():
        db.create_all()
        from broker.directory.demo import load_demo

        load_demo()
        aire = f.organisation("Aire Training", email="hello@aire.example", phone="0113 496 0000", website="https://aire.example")
        f.provision("Bricklaying course", org=aire, category="training", kind="vocational-course", min_age=16, max_age=18,
                    at=[f.LS9, f.LS1], areas=["E08000035", "E08000032"], requires=["care_leaver", "local_connection"],
                    referral_route="form", referral_form_url="https://aire.example/apply", referral_contact="0113 496 0001",
                    eligibility="Aged 16 to 18", application_process="Apply online; we call back within a week",
                    wait_time="About two weeks", languages=[{"name": "Polish", "code": "pl"}],
                    contacts=[{"name": "Sam Jones", "title": "Coordinator", "email": "sam@aire.example",
                               "phones": [{"number": "0113 496 0002"}]}],
                    required_documents=[{"document": "Proof of age"}],
                    schedules=[{"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:00", "closes_at": "16:00", "description": "Site open"}],
                    service_areas=[{"name": "North Leeds estates", "description": "Seacroft and Gipton"}],
                    intakes=[dict(start_in=14, places=12, taken=3), dict(start_in=0, places=4, rolling=True),
                             dict(start_in=-30, places=5)])  # the last has started: history, not published
        f.provision("Old course", org=aire, category="training", status="withdrawn", intakes=[])
        f.provision("Waiting for review", org=aire, category=None, status="needs-review", review_reason="test", intakes=[])
        db.session.commit()
        expected = published_listings(db.session)
        db.session.remove()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.effective_port}/oruk/", "expected": expected, "app": app}
    server.close()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_second_instance_pulls_the_same_listings_over_http(app, publisher):
    out = run(app, "import-oruk", publisher["url"])
    expected = publisher["expected"]
    n = len(expected)  # the demo directory and the listings the publisher fixture adds
    assert f"Listings: {n} added, 0 updated, 0 unchanged; 0 need review. Services left out: 0." in out, out
    db.session.expire_all()
    got = published_listings(db.session)
    assert n > 300 and "Waiting for review" not in {x["name"] for x in expected.values()}
    assert set(got) == set(expected)
    for uid, want in expected.items():
        assert got[uid] == want, want["name"]
    # Pulling again changes nothing.
    assert f"Listings: 0 added, 0 updated, {n} unchanged" in run(app, "import-oruk", publisher["url"])
    # Both feeds now say the same: the second instance publishes what it pulled.
    ours = app.test_client().get(f"/oruk/services/{next(iter(expected))}").get_json()
    import httpx

    theirs = httpx.get(publisher["url"] + f"services/{next(iter(expected))}").json()
    for key in ("id", "name", "minimum_age", "maximum_age", "service_at_locations", "attributes", "status", "schedules"):
        assert ours[key] == theirs[key], key
    drop_stamp = lambda capacities: [{k: v for k, v in c.items() if k != "updated"} for c in capacities]  # noqa: E731
    assert drop_stamp(ours["capacities"]) == drop_stamp(theirs["capacities"])


def test_the_export_reads_back_to_the_same_listings(app, publisher, tmp_path):
    with publisher["app"].app_context():
        run(publisher["app"], "export-oruk", str(tmp_path / "package"))
    package = json.loads((tmp_path / "package" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert {r["path"] for r in package["resources"]} >= {"services.csv", "organizations.csv", "service_capacity.csv", "schedules.csv"}
    out = run(app, "import-oruk", str(tmp_path / "package"))
    assert f"Listings: {len(publisher['expected'])} added" in out and "Services left out: 0" in out, out
    db.session.expire_all()
    got = published_listings(db.session)
    expected = publisher["expected"]
    assert set(got) == set(expected)
    for uid, want in expected.items():
        assert got[uid] == want, want["name"]


def test_an_unreachable_feed_changes_nothing(app, monkeypatch):
    from broker.directory.oruk import http

    monkeypatch.setattr(http, "_backoff", lambda state: 0)  # retried as ever, without the waits
    result = app.test_cli_runner().invoke(args=["import-oruk", "http://127.0.0.1:9/oruk/"])
    assert result.exit_code != 0 and "not imported, nothing changed" in result.output and "cannot reach" in result.output
