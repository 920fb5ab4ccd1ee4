"""Find provision for a young person: the link on their record opens the search with their
need, place, age, council area, criteria and start date, and the search leaves out what
they cannot use."""
import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf

TODAY = dt.date.today()
LEEDS, WAKEFIELD = "E08000035", "E08000036"


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


@pytest.fixture
def world(app):
    def housing(name, **kw):
        kw.setdefault("intakes", [dict(start_in=30, places=4)])
        return f.provision(name, category="housing", at=f.LS9, description="Supported housing.", **kw)

    listings = {
        "fits": housing("Harehills Care Leavers Flats", min_age=16, max_age=18, areas=[LEEDS], requires=["care_leaver"]),
        "anywhere": housing("Open Door Housing Advice"),
        "too_old": housing("Over 18s Hostel", min_age=18, max_age=25),
        "other_council": housing("Wakefield Youth Housing", areas=[WAKEFIELD]),
        "young_parents": housing("Young Parents House", requires=["young_parent"]),
        "too_soon": housing("This Week Only", intakes=[dict(start_in=3, places=4)]),
        "training": f.provision("Construction Skills", category="training", at=f.LS9, intakes=[dict(start_in=30)]),
    }
    pa = pf.user("pa")
    jordan = pf.client(pa, ("housing",), first_name="Jordan", last_name="Field", age=17, postcode="LS9 7AB",
                       available_from=TODAY + dt.timedelta(days=20))
    jordan.area, jordan.criteria = LEEDS, ["care_leaver"]
    db.session.commit()
    return dict(listings=listings, pa=pa, jordan=jordan)


def _find_link(html: str, words: str) -> str:
    found = re.search(r'<a class="govuk-link[^"]*" href="([^"]+)">' + re.escape(words) + "</a>", html)
    assert found, f"no link {words!r} on the page"
    return found.group(1).replace("&amp;", "&")


def test_record_links_to_a_search_for_them_that_leaves_out_what_they_cannot_use(client, world):
    login(client, world["pa"])
    record = client.get(f"/clients/{world['jordan'].id}")
    assert record.status_code == 200
    href = _find_link(record.get_data(as_text=True), "Find provision for Jordan: Housing")

    args = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert args == {"category": "housing", "near": "LS9 7AB", "age": "17", "area": LEEDS, "criteria": "care_leaver",
                    "radius_km": "25", "starts_after": (TODAY + dt.timedelta(days=20)).isoformat()}

    page = client.get(href)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    names = re.findall(r'<h3 class="govuk-heading-s"><span class="app-result__number">\d+\.</span> <a [^>]*>([^<]+)</a>', html)
    assert sorted(names) == ["Harehills Care Leavers Flats", "Open Door Housing Advice"]
    # The form shows what was filled in, so the PA can widen it.
    assert 'name="area"' in html and f'<option value="{LEEDS}" selected' in html
    assert re.search(r'name="criteria" type="checkbox" value="care_leaver" checked', html)
    assert f'value="{args["starts_after"]}"' in html and 'value="17"' in html


def test_widening_the_search_brings_back_what_was_left_out(client, world):
    login(client, world["pa"])
    # Ticking nothing for criteria means every listing, whatever it requires.
    page = client.get("/?category=housing&near=LS9+7AB&age=17")
    names = re.findall(r'<h3 class="govuk-heading-s"><span class="app-result__number">\d+\.</span> <a [^>]*>([^<]+)</a>', page.get_data(as_text=True))
    assert {"Young Parents House", "Wakefield Youth Housing"} <= set(names)
    # Boxes ticked on the page (several values) count as the criteria they meet.
    page = client.get("/?category=housing&near=LS9+7AB&criteria=care_leaver&criteria=young_parent")
    names = re.findall(r'<h3 class="govuk-heading-s"><span class="app-result__number">\d+\.</span> <a [^>]*>([^<]+)</a>', page.get_data(as_text=True))
    assert {"Young Parents House", "Harehills Care Leavers Flats"} <= set(names)
    # "None of these" leaves out every listing that requires something.
    page = client.get("/?category=housing&near=LS9+7AB&criteria=none")
    names = re.findall(r'<h3 class="govuk-heading-s"><span class="app-result__number">\d+\.</span> <a [^>]*>([^<]+)</a>', page.get_data(as_text=True))
    assert "Young Parents House" not in names and "Harehills Care Leavers Flats" not in names
    assert "Open Door Housing Advice" in names


def test_an_unknown_criterion_is_an_error_beside_the_field(client, world):
    page = client.get("/?category=housing&criteria=astronaut")
    assert page.status_code == 400
    assert "Criteria the young person meets" in page.get_data(as_text=True)


def test_the_api_takes_the_same_criteria(client, world):
    login(client, world["pa"])
    found = client.get("/api/v1/provisions?category=housing&near=LS9&criteria=none&age=17")
    assert found.status_code == 200, found.get_data(as_text=True)
    names = {r["name"] for r in found.get_json()["results"]}
    assert "Young Parents House" not in names and "Open Door Housing Advice" in names


def test_a_page_past_the_last_goes_to_the_last_page(client, world):
    # Six housing listings at one per page: page 99 is sent to page 6, keeping the search.
    page = client.get("/?category=housing&per_page=1&page=99&criteria=care_leaver&criteria=young_parent")
    assert page.status_code == 302
    args = parse_qs(urlsplit(page.headers["Location"]).query)
    assert args["page"] == ["6"] and args["category"] == ["housing"] and sorted(args["criteria"]) == ["care_leaver", "young_parent"]
    last = client.get(page.headers["Location"])
    html = last.get_data(as_text=True)
    assert last.status_code == 200 and html.count('<article class="app-result') == 1
    # Numbered pages, none past the last.
    assert 'aria-label="Page 6"' in html or ">6<" in html
    assert "page=7" not in html
    browse = client.get("/browse/housing?page=99")
    assert browse.status_code == 302 and browse.headers["Location"].endswith("/browse/housing?page=1")


def test_browse_pages_exist_only_for_known_needs_and_kinds(client, world):
    assert client.get("/browse").status_code == 200
    assert client.get("/browse/housing/emergency-bed").status_code == 200
    assert client.get("/browse/astrology").status_code == 404
    assert client.get("/browse/housing/apprenticeship").status_code == 404


def test_results_and_a_listing_have_a_map_numbered_as_the_list(client, world):
    html = client.get("/?category=housing&near=LS9&per_page=2&page=2").get_data(as_text=True)
    numbers = re.findall(r'<span class="app-result__number">(\d+)\.</span>', html)
    assert numbers == ["3", "4"]
    svg = re.search(r"<svg class=\"app-map\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=\"results-map-title\">Map of results 3 to 4</title>" in svg
    assert re.findall(r'font-weight="bold" fill="#ffffff">(\d+)</text>', svg) == ["3", "4"]
    # The five councils drawn from the shipped postcode points, said to be outlines, not boundaries.
    assert svg.count("<polygon") == 5 and "not the legal boundaries" in svg
    for name in ("Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"):
        assert f">{name}</text>" in svg

    listing = world["listings"]["fits"]
    page = client.get(f"/provisions/{listing.id}").get_data(as_text=True)
    assert f"<title id=\"sites-map-title\">Map of where {listing.name} is</title>" in page
    assert re.findall(r'font-weight="bold" fill="#ffffff">(\d+)</text>', page) == ["1"]
