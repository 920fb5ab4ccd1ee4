"""The published Open Referral UK 3.0 API under /oruk/: every answer validates against the UK
profile's schemas, it is open with CORS, its filters work and bad parameters are named."""
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from broker.directory.models import Provision
from broker.directory.oruk import vocabulary
from broker.directory.oruk.read import read_source
from broker.directory.oruk.write import import_feed
from broker.extensions import db
from tests.directory import factories as f
from tests.directory.oruk_schemas import compiled, errors, openapi_response, page_schema

FIXTURES = Path(__file__).parent / "oruk_fixtures"
TODAY = dt.date.today()


@pytest.fixture
def directory(app, tmp_path):
    """A small directory: listings of every shape, one imported with everything HSDS can say,
    one withdrawn and one waiting for review."""
    aire = f.organisation("Aire Training", email="hello@aire.example", phone="0113 496 0000", website="https://aire.example")
    brick = f.provision("Bricklaying course", org=aire, category="training", kind="vocational-course", min_age=16, max_age=18,
                        description="Twelve weeks on site", at=[f.LS9, f.LS1], areas=["E08000035"], requires=["care_leaver"],
                        referral_route="email", referral_contact="courses@aire.example",
                        intakes=[dict(start_in=14, places=12, taken=3), dict(start_in=0, places=4, rolling=True)])
    beds = f.provision("Emergency beds", category="housing", kind="emergency-bed", min_age=16, max_age=25, at=f.BD1,
                       referral_route="phone", referral_contact="01274 000000", intakes=[dict(start_in=0, places=2, rolling=True)])
    gone = f.provision("Old course", org=aire, category="training", status="withdrawn", at=f.HX1, intakes=[])
    report = import_feed(read_source(str(FIXTURES / "spec31_service_full.json")), db.session)
    assert report.provisions_added == 1
    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    body.update(id="0c8f0f5e-8a3b-4a53-b7a9-2d0c6e9d1f11", name="Talking group")
    body["service_at_locations"][0].update(id="9d1f6a40-7b1e-4c4b-9c55-0f1a2b3c4d5e")
    path = tmp_path / "review.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    import_feed(read_source(str(path)), db.session)
    db.session.commit()
    counselling = db.session.scalars(select(Provision).where(Provision.name == "Community Counselling")).one()
    counselling.status, counselling.category, counselling.review_reason = "active", "mental-health", None
    db.session.commit()
    return {"brick": brick, "beds": beds, "gone": gone, "counselling": counselling}


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.get_json())
    assert r.headers["Access-Control-Allow-Origin"] == "*", url
    return r.get_json()


def valid(instance, *validators):
    for v in validators:
        assert errors(v, instance) == []
    return instance


def names(page):
    return [item.get("name") or item["service"]["name"] for item in page["contents"]]


def test_details_and_openapi(client, directory):
    details = valid(get(client, "/oruk/"), openapi_response("/"))
    assert details["version"] == "3.0" and details["openapi_url"].endswith("/oruk/openapi.json")
    assert "/services/{id}" in get(client, "/oruk/openapi.json")["paths"]


def test_every_list_and_record_validates(client, directory):
    services = valid(get(client, "/oruk/services"), openapi_response("/services"))
    assert sorted(names(services)) == ["Bricklaying course", "Community Counselling", "Emergency beds", "Old course"]
    for item in services["contents"]:
        valid(item, compiled("compiled/service_list.json"))
        record = valid(get(client, f"/oruk/services/{item['id']}"), compiled("compiled/service.json"), openapi_response("/services/{id}"))
        assert record["id"] == item["id"]
    sals = valid(get(client, "/oruk/service_at_locations"), openapi_response("/service_at_locations"))
    assert sals["total_items"] == 5  # two places of the course, one each of the beds, the old course and the counselling
    for item in sals["contents"]:
        valid(item, compiled("compiled/service_at_location_list.json"))
        valid(get(client, f"/oruk/service_at_locations/{item['id']}"), compiled("compiled/service_at_location.json"),
              openapi_response("/service_at_locations/{id}"))
    orgs = valid(get(client, "/oruk/organizations"), page_schema())  # the OpenAPI document has no /organizations path
    for item in orgs["contents"]:
        valid(item, compiled("compiled/organization_list.json"))
        valid(get(client, f"/oruk/organizations/{item['id']}"), compiled("compiled/organization.json"))
    taxonomies = valid(get(client, "/oruk/taxonomies"), openapi_response("/taxonomies"))
    for item in taxonomies["contents"]:
        valid(get(client, f"/oruk/taxonomies/{item['id']}"), compiled("taxonomy.json"), openapi_response("/taxonomies/{id}"))
    terms = valid(get(client, "/oruk/taxonomy_terms?per_page=200"), openapi_response("/taxonomy_terms"))
    assert terms["total_items"] == len(vocabulary.TERMS)
    for item in terms["contents"]:
        valid(get(client, f"/oruk/taxonomy_terms/{item['id']}"), compiled("taxonomy_term.json"), openapi_response("/taxonomy_terms/{id}"))


def test_demo_directory_validates_whole(client, app):
    from broker.directory.demo import load_demo

    from broker.directory.demo import demo_size

    load_demo()
    page = get(client, "/oruk/services?per_page=200")
    assert page["total_items"] == demo_size() and page["total_pages"] == 2
    for item in page["contents"] + get(client, "/oruk/services?per_page=200&page=2")["contents"]:
        valid(get(client, f"/oruk/services/{item['id']}"), compiled("compiled/service.json"))


def test_a_listing_as_published(client, directory):
    brick = directory["brick"]
    record = get(client, f"/oruk/services/{brick.uid}")
    assert (record["name"], record["status"], record["minimum_age"], record["maximum_age"]) == ("Bricklaying course", "active", 16, 18)
    assert (record["email"], record["application_process"]) == ("courses@aire.example", "Email referral: courses@aire.example")
    assert record["assured_date"] == brick.last_confirmed.isoformat() and record["organization"]["name"] == "Aire Training"
    by_start = {c["id"]: c for c in record["capacities"]}
    dated, rolling = sorted(brick.intakes, key=lambda i: i.rolling)
    assert by_start[dated.uid] | {"updated": None} == {
        "id": dated.uid, "service_id": brick.uid, "unit": by_start[dated.uid]["unit"], "available": 9, "maximum": 12,
        "description": f"Places on the intake starting {dated.start.isoformat()}", "updated": None}
    assert by_start[dated.uid]["unit"]["name"] == "place" and by_start[rolling.uid]["available"] == 4
    schedules = {s["id"]: s for s in record["schedules"]}
    assert (schedules[dated.uid]["dtstart"], schedules[dated.uid]["valid_to"]) == (dated.start.isoformat(), dated.start.isoformat())
    assert "valid_to" not in schedules[rolling.uid]
    assert [a["name"] for a in record["service_areas"]] == ["Leeds"]
    assert record["service_areas"][0]["uri"].endswith("/E08000035")
    assert [a["taxonomy_term"]["name"] for a in record["attributes"]] == ["Training", "Vocational course", "Care leavers"]
    assert len(record["service_at_locations"]) == 2


def test_what_a_feed_said_is_published_back(client, directory):
    record = get(client, f"/oruk/services/{directory['counselling'].uid}")
    assert record["languages"][0]["name"] == "Urdu" and record["contacts"][0]["name"] == "Ann Persona"
    assert record["contacts"][0]["phones"][0]["number"] == "+44 1234 234567"
    assert record["required_documents"][0]["document"].startswith("Any official identification")
    assert record["wait_time"] == "wait_time" and record["application_process"].startswith("If you are an NHS patient")
    assert record["service_areas"][0]["name"].startswith("The service is available to all residents")
    assert [c["available"] for c in record["capacities"]] == [3]


def test_withdrawn_is_inactive_and_review_is_not_published(client, directory):
    assert get(client, f"/oruk/services/{directory['gone'].uid}")["status"] == "inactive"
    waiting = db.session.scalars(select(Provision).where(Provision.name == "Talking group")).one()
    assert waiting.status == "needs-review"
    assert get(client, f"/oruk/services/{waiting.uid}", 404)["field"] == "id"
    assert "Talking group" not in names(get(client, "/oruk/services"))
    assert get(client, "/oruk/service_at_locations/9d1f6a40-7b1e-4c4b-9c55-0f1a2b3c4d5e", 404)["error"] == "not_found"


def test_filters(client, directory):
    brick = directory["brick"]
    assert names(get(client, "/oruk/services?search=brick%20TWELVE")) == ["Bricklaying course"]
    assert names(get(client, "/oruk/services?search=aire")) == ["Bricklaying course", "Old course"]  # the provider's name
    term = vocabulary.TERMS_BY_CODE
    assert names(get(client, f"/oruk/services?taxonomy_term_id={term['category:housing'].id}")) == ["Emergency beds"]
    assert names(get(client, f"/oruk/services?taxonomy_term_id={term['kind:training:vocational-course'].id}")) == ["Bricklaying course"]
    assert names(get(client, f"/oruk/services?taxonomy_term_id={term['criterion:care_leaver'].id}")) == ["Bricklaying course"]
    assert names(get(client, f"/oruk/services?taxonomy_id={vocabulary.CRITERIA_TAXONOMY['id']}")) == ["Bricklaying course"]
    assert len(names(get(client, f"/oruk/services?taxonomy_id={vocabulary.PROVISION_TAXONOMY['id']}"))) == 4
    assert names(get(client, f"/oruk/services?organization_id={brick.organisation.uid}")) == ["Bricklaying course", "Old course"]
    assert names(get(client, "/oruk/services?minimum_age=16")) == ["Bricklaying course", "Emergency beds"]
    assert names(get(client, "/oruk/services?maximum_age=18")) == ["Bricklaying course"]
    assert names(get(client, "/oruk/services?minimum_age=13&maximum_age=100")) == ["Bricklaying course", "Emergency beds"]
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert get(client, f"/oruk/services?modified_after={later.isoformat().replace('+00:00', 'Z')}")["empty"] is True
    assert get(client, "/oruk/services?modified_after=2000-01-01")["total_items"] == 4
    # From LS9 7AB: the course's LS9 place 0 km, the counselling (LS9 6QE) 1.4 km, the course's LS1 place 2.7 km,
    # Bradford's beds 16 km.
    near = get(client, "/oruk/service_at_locations?postcode=LS9%207AB&proximity=1000")
    assert [(i["service"]["name"], i["location"]["name"], i["distance"]) for i in near["contents"]] == [("Bricklaying course", "Site 0", 0)]
    wider = get(client, "/oruk/service_at_locations?postcode=ls97ab&proximity=20000")
    assert [i["service"]["name"] for i in wider["contents"]] == [
        "Bricklaying course", "Community Counselling", "Bricklaying course", "Emergency beds"]
    assert [i["distance"] for i in wider["contents"]] == sorted(i["distance"] for i in wider["contents"])
    # A Bradford postcode: the course serves Leeds only, so it is left out however near.
    assert "Bricklaying course" not in [i["service"]["name"] for i in get(client, "/oruk/service_at_locations?postcode=BD1%201AA")["contents"]]


def test_paging(client, directory):
    first = get(client, "/oruk/services?per_page=3")
    assert {k: first[k] for k in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty")} == {
        "total_items": 4, "total_pages": 2, "page_number": 1, "size": 3, "first_page": True, "last_page": False, "empty": False}
    second = get(client, "/oruk/services?per_page=3&page=2")
    assert (second["size"], second["first_page"], second["last_page"]) == (1, False, True)
    assert set(names(first)).isdisjoint(names(second))
    beyond = get(client, "/oruk/services?per_page=3&page=9")
    assert (beyond["empty"], beyond["contents"]) == (True, [])


@pytest.mark.parametrize("query,field", [
    ("page=0", "page"), ("page=x", "page"), ("per_page=1000", "per_page"), ("per_page=-1", "per_page"),
    ("minimum_age=old", "minimum_age"), ("maximum_age=-3", "maximum_age"), ("taxonomy_term_id=housing", "taxonomy_term_id"),
    ("taxonomy_id=1", "taxonomy_id"), ("organization_id=7", "organization_id"), ("modified_after=yesterday", "modified_after"),
    ("day=MO", "day"), ("start_time=09:00", "start_time"), ("format=ndjson", "format"),
])
def test_bad_parameters_are_named(client, directory, query, field):
    body = get(client, f"/oruk/services?{query}", 400)
    assert (body["error"], body["field"]) == ("bad_parameter", field) and body["message"]


@pytest.mark.parametrize("query,field", [
    ("postcode=nowhere", "postcode"), ("postcode=ZZ9%209ZZ", "postcode"), ("proximity=100", "proximity"),
    ("postcode=LS9%207AB&proximity=far", "proximity"),
])
def test_bad_place_parameters_are_named(client, directory, query, field):
    body = get(client, f"/oruk/service_at_locations?{query}", 400)
    assert body["field"] == field


def test_cors_on_every_answer(client, directory):
    for url in ("/oruk/", "/oruk/services/not-an-id", "/oruk/nothing/here", "/oruk/services?page=0"):
        assert client.get(url).headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/oruk/services", headers={"Origin": "https://council.example", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/provisions").headers  # only the open feed is open
