"""The provisions API contract: shapes outside checks rely on, and errors that name the field."""
import datetime as dt

import pytest

from tests.directory import factories as f

RESULT_KEYS = {"id", "name", "provider", "category", "kind", "distance_km", "next_start", "places_left", "last_confirmed",
               "url"}
ANSWER_KEYS = {"total", "results", "corrected_query", "notices", "relaxed", "radius_km", "categories", "kinds", "groups"}


def test_search_returns_contract_shape(app, client):
    p = f.provision(
        "Supported lodgings",
        category="housing",
        org=f.organisation("Aire Housing Trust"),
        at=f.LS1,
        intakes=[dict(start_in=3, places=4, taken=1), dict(start_in=30, places=2)],
        confirmed_days_ago=40,
    )
    body = client.get("/api/v1/provisions?q=lodgings&near=LS9&radius_km=10").get_json()
    assert body["total"] == 1
    (row,) = body["results"]
    assert RESULT_KEYS <= set(row)
    assert row["id"] == p.id and row["provider"] == "Aire Housing Trust" and row["category"] == "housing"
    assert 2.5 < row["distance_km"] < 3.0
    assert row["next_start"] == (f.TODAY + dt.timedelta(days=3)).isoformat()
    assert row["places_left"] == 5
    assert row["last_confirmed"] == (f.TODAY - dt.timedelta(days=40)).isoformat()
    assert row["stale"] is True
    assert row["url"].endswith(f"/provisions/{p.id}")


def test_distance_is_null_without_near(app, client):
    f.provision("Anything")
    (row,) = client.get("/api/v1/provisions").get_json()["results"]
    assert row["distance_km"] is None


def test_detail_returns_full_record_with_intakes(app, client):
    p = f.provision(
        "Level 1 Construction",
        min_age=16,
        max_age=19,
        referral_route="form",
        referral_form_url="https://example.org/refer",
        intakes=[dict(start_in=10, places=12, taken=3), dict(start_in=-20, places=5, rolling=True)],
    )
    body = client.get(f"/api/v1/provisions/{p.id}").get_json()
    assert body["name"] == "Level 1 Construction" and body["min_age"] == 16 and body["max_age"] == 19
    assert body["how_to_refer"] == {"route": "form", "contact": None, "form_url": "https://example.org/refer"}
    assert [(i["places"], i["places_taken"], i["places_left"], i["rolling"]) for i in body["intakes"]] == [
        (5, 0, 5, True),
        (12, 3, 9, False),
    ]
    assert body["locations"][0]["postcode"] == "LS1 1AA"


def test_unknown_provision_is_json_404(app, client):
    resp = client.get("/api/v1/provisions/999999")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    assert client.get("/api/v1/provisions/abc").status_code == 404


@pytest.mark.parametrize(
    "query,field",
    [
        ("category=plumbing", "category"),
        ("near=Atlantis", "near"),
        ("near=LS9&radius_km=far", "radius_km"),
        ("near=LS9&radius_km=-5", "radius_km"),
        ("radius_km=5", "radius_km"),
        ("starts_after=25/12/2026", "starts_after"),
        ("starts_before=2026-13-01", "starts_before"),
        ("starts_after=2026-03-01&starts_before=2026-02-01", "starts_before"),
        ("has_places=maybe", "has_places"),
        ("age=seventeen", "age"),
        ("age=-1", "age"),
        ("sort=random", "sort"),
        ("sort=distance", "sort"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("q=" + "x" * 201, "q"),
        ("kind=bunk-bed", "kind"),
        ("category=training&kind=emergency-bed", "kind"),
        ("area=Narnia", "area"),
        ("exact=perhaps", "exact"),
    ],
)
def test_bad_parameter_is_400_naming_it(app, client, query, field):
    resp = client.get(f"/api/v1/provisions?{query}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "bad_parameter" and body["field"] == field
    assert len(body["message"]) > 10


def test_search_page_keeps_input_and_names_bad_field(app, client):
    resp = client.get("/?q=hostel&near=Atlantis&age=17")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#near"' in html
    assert 'value="hostel"' in html and 'value="Atlantis"' in html and 'value="17"' in html


def test_search_page_lists_results_with_key_facts(app, client):
    p = f.provision("Supported lodgings", category="housing", at=f.LS1, confirmed_days_ago=45)
    html = client.get("/?q=lodgings&near=LS9&radius_km=10").get_data(as_text=True)
    assert "1 listing near LS9" in html
    assert f"/provisions/{p.id}" in html and "km" in html and "Not confirmed recently" in html
    detail = client.get(f"/provisions/{p.id}").get_data(as_text=True)
    assert "Supported lodgings" in detail and "Start dates and places" in detail


def test_online_geocoder_is_asked_only_when_configured_and_offline_data_misses(app, client, monkeypatch):
    from geopy.location import Location

    from broker.directory import params

    asked = []

    class StubGeocoder:
        def geocode(self, query):
            asked.append(query)
            return Location("Atlantis Youth Hub", (53.79937, -1.51000), {}) if query == "Atlantis" else None

    monkeypatch.setattr(params, "_geocoder", lambda name: StubGeocoder())
    f.provision("Near", at=f.LS9)
    assert client.get("/api/v1/provisions?near=Atlantis").status_code == 400  # not configured: offline only
    assert asked == []

    app.config["BROKER_GEOCODER"] = "nominatim"
    assert client.get("/api/v1/provisions?near=LS9&radius_km=1").get_json()["total"] == 1
    assert asked == []  # the shipped data knew LS9
    body = client.get("/api/v1/provisions?near=Atlantis&radius_km=1").get_json()
    assert body["total"] == 1 and asked == ["Atlantis"]
    assert client.get("/api/v1/provisions?near=Nowhere%20at%20all").status_code == 400


def test_search_answer_says_what_it_corrected_and_read_and_results_carry_kind(app, client):
    p = f.provision("Supported housing", category="housing", kind="supported-accommodation", at=[f.BD1, f.LS1])
    body = client.get("/api/v1/provisions?q=hosing&near=LS9").get_json()
    assert ANSWER_KEYS <= set(body)
    assert body["corrected_query"] == "housing" and body["relaxed"] == []
    assert body["notices"][0] == {"type": "corrected", "message": "Showing results for housing (you searched for hosing)",
                                  "searched_for": "hosing", "showing": "housing"}
    (row,) = body["results"]
    assert RESULT_KEYS <= set(row) and row["id"] == p.id and row["kind"] == "supported-accommodation"
    assert 2.5 < row["distance_km"] < 3.0  # the nearer of its two sites
    assert body["categories"] == {"housing": 1} and body["kinds"] == {"supported-accommodation": 1}


def test_search_by_area_kind_and_browsing_near_a_place(app, client):
    leeds = f.provision("Leeds hostel", category="housing", kind="emergency-bed", areas=["E08000035"], at=f.LS1)
    anywhere = f.provision("Phone counselling", category="mental-health", kind="counselling", at=f.LS9)
    f.provision("Bradford hostel", category="housing", kind="emergency-bed", areas=["E08000032"], at=f.BD1)
    ids = lambda body: sorted(r["id"] for r in body["results"])  # noqa: E731
    assert ids(client.get("/api/v1/provisions?area=E08000035").get_json()) == sorted([leeds.id, anywhere.id])
    assert ids(client.get("/api/v1/provisions?area=E08000035&kind=emergency-bed").get_json()) == [leeds.id]
    body = client.get("/api/v1/provisions?near=LS9").get_json()
    assert [(g["category"], g["total"]) for g in body["groups"]] == [("mental-health", 1), ("housing", 2)]
    assert [r["name"] for r in body["groups"][1]["results"]] == ["Leeds hostel", "Bradford hostel"]


def test_search_page_shows_the_correction_with_a_link_to_search_as_typed(app, client):
    f.provision("Supported housing", category="housing")
    html = client.get("/?q=hosing").get_data(as_text=True)
    assert "Showing results for housing (you searched for hosing)" in html
    assert "exact=1" in html and "Search for hosing instead" in html
    assert "0 listings" in client.get("/?q=hosing&exact=1").get_data(as_text=True)


def test_a_search_that_needed_relaxing_counts_as_demand_not_met(app, client):
    from broker.insight.models import EmptySearch
    from broker.extensions import db

    f.provision("Bradford hostel", category="housing", at=f.BD1)
    body = client.get("/api/v1/provisions?category=housing&near=LS9&radius_km=5").get_json()
    assert body["total"] == 1 and body["relaxed"] == ["distance"]  # still shown, further away
    assert db.session.query(EmptySearch).filter_by(category="housing", area="Leeds").count() == 1
    assert client.get("/api/v1/provisions?category=housing&near=LS9&radius_km=25").get_json()["relaxed"] == []
    assert db.session.query(EmptySearch).count() == 1
