"""The search journey in a real browser: a Personal Adviser searches near a postcode
district, reads distances, opens a listing; gets a usable error for a place we do not
know; and can do all of it with JavaScript turned off."""
from __future__ import annotations

import os
import re

import pytest

from tests.directory import factories as f

if not os.environ.get("CI"):  # in CI a missing playwright must fail, not skip
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

# With BROKER_TEST_SCREENSHOTS=DIR the journey saves DIR/search.png (the results page).
SCREENSHOTS = os.environ.get("BROKER_TEST_SCREENSHOTS")


@pytest.fixture
def listings(app):
    """Housing near LS9, one of them full, one too far; and a non-housing listing nearby."""
    return {
        "near": f.provision(
            "Harehills Supported Housing",
            category="housing",
            description="Supported housing for 16-17 year olds leaving care or at risk of homelessness.",
            at=f.LS9,
            intakes=[dict(start_in=5, places=6, taken=2), dict(start_in=40, places=6)],
        ),
        "city": f.provision(
            "City Centre Housing Advice",
            category="housing",
            description="Drop-in housing advice and help to find a hostel place.",
            at=f.LS1,
            intakes=[dict(start_in=2, places=20, taken=5)],
        ),
        "full": f.provision(
            "Burmantofts Housing Project",
            category="housing",
            description="Shared housing with a key worker.",
            at=f.LS9,
            intakes=[dict(start_in=10, places=4, taken=4)],
        ),
        "far": f.provision(
            "Bradford Housing Support",
            category="housing",
            description="Tenancy support and housing advice.",
            at=f.BD1,
        ),
        "other": f.provision(
            "Construction Skills Course",
            category="training",
            description="A 12-week course leading to a CSCS card.",
            at=f.LS9,
        ),
    }


def _near(page: Page):
    # The label is "Near" plus a hint, so an exact label match fails, and a substring
    # get_by_label("Near") also matches the results region ("2 listings near LS9 ...").
    return page.get_by_role("textbox", name=re.compile(r"^Near\b"))


# Labels are matched exactly: "Within" alone would also match the results region.


def _search_housing_near_ls9(page: Page):
    page.get_by_label("Keywords", exact=True).fill("housing")
    _near(page).fill("LS9")
    page.get_by_label("Within", exact=True).select_option(label="10 km")
    page.get_by_label("Only with free places", exact=True).check()
    page.get_by_role("button", name="Search").click()


def _expect_housing_results(page: Page):
    expect(page).to_have_url(re.compile(r"[?&]q=housing(&|$)"))
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^2 listings near LS9 within 10(\.0)? km$"))).to_be_visible()
    results = page.get_by_role("article")
    expect(results).to_have_count(2)
    for name in ("Harehills Supported Housing", "City Centre Housing Advice"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    for gone in ("Burmantofts Housing Project", "Bradford Housing Support", "Construction Skills Course"):
        expect(page.get_by_role("link", name=gone)).to_have_count(0)
    # Each result says how far it is, in km; LS9's own listing is nearer than the city's.
    distances = results.get_by_text(re.compile(r"^Distance: \d+\.\d km$"))
    expect(distances).to_have_count(2)
    km = {
        name: float(re.search(r"([\d.]+) km", results.filter(has_text=name).get_by_text("Distance:").inner_text()).group(1))
        for name in ("Harehills Supported Housing", "City Centre Housing Advice")
    }
    assert km["Harehills Supported Housing"] < 1 < km["City Centre Housing Advice"] < 10, km


def test_search_near_postcode_district_and_open_a_listing(live_server, listings, page: Page):
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1, name="Find provision for a young person")).to_be_visible()

    _search_housing_near_ls9(page)

    _expect_housing_results(page)
    expect(page).to_have_title(re.compile(r"^2 results · Find provision"))
    # The form keeps what was asked, so the PA can refine the search.
    expect(page.get_by_label("Keywords", exact=True)).to_have_value("housing")
    expect(_near(page)).to_have_value("LS9")
    expect(page.get_by_label("Within", exact=True)).to_have_value("10")
    expect(page.get_by_label("Only with free places", exact=True)).to_be_checked()
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "search.png"), full_page=True)

    page.get_by_role("link", name="Harehills Supported Housing").click()

    expect(page).to_have_url(f"{live_server}/provisions/{listings['near'].id}")
    expect(page.get_by_role("heading", level=1, name="Harehills Supported Housing")).to_be_visible()
    expect(page.get_by_role("heading", name="Start dates and places")).to_be_visible()
    intakes = page.get_by_role("table")
    expect(intakes.get_by_role("columnheader")).to_have_text(["Starts", "Places", "Places left"])
    expect(intakes.locator("tbody").get_by_role("row")).to_have_count(2)
    expect(intakes.locator("tbody").get_by_role("row").first.get_by_role("cell")).to_have_text([re.compile(r"\d{4}$"), "6", "4"])


def test_unknown_place_shows_error_summary_that_leads_to_the_field(live_server, listings, page: Page):
    page.goto(live_server + "/")
    page.get_by_label("Keywords", exact=True).fill("hostel")
    _near(page).fill("Nowhere-on-Sea")
    page.get_by_label("Within", exact=True).select_option(label="5 km")

    with page.expect_response(lambda r: "near=" in r.url) as response:
        page.get_by_role("button", name="Search").click()
    assert response.value.status == 400

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    error_link = summary.get_by_role("link", name=re.compile(r"^'Nowhere-on-Sea' was not recognised as a place"))
    expect(error_link).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)  # no results alongside an error

    # What the PA typed is still there to correct, and the bad field is flagged.
    expect(page.get_by_label("Keywords", exact=True)).to_have_value("hostel")
    near = _near(page)
    expect(near).to_have_value("Nowhere-on-Sea")
    # The field says what is wrong with it: its error message is part of its description.
    expect(near).to_have_attribute("aria-describedby", re.compile(r"\bnear-error\b"))
    expect(page.locator("#near-error")).to_contain_text("'Nowhere-on-Sea' was not recognised as a place")
    expect(page.get_by_label("Within", exact=True)).to_have_value("5")

    error_link.click()
    expect(near).to_be_focused()

    # Correcting the field and searching again clears the error.
    near.fill("LS9")
    near.press("Enter")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("heading", level=2, name=re.compile(r"listings? near LS9"))).to_be_visible()


def test_search_journey_works_without_javascript(live_server, listings, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        # The context really has scripts off.
        page.set_content("<p id=js>off</p><script>document.getElementById('js').textContent = 'on'</script>")
        expect(page.locator("#js")).to_have_text("off")

        page.goto(live_server + "/")
        _search_housing_near_ls9(page)
        _expect_housing_results(page)

        page.get_by_role("link", name="City Centre Housing Advice").click()
        expect(page.get_by_role("heading", level=1, name="City Centre Housing Advice")).to_be_visible()
        expect(page.get_by_role("heading", name="Start dates and places")).to_be_visible()

        # A bad place is reported by the server-rendered page too, and the link is a plain
        # in-page anchor that still moves focus to the field.
        page.get_by_role("link", name="Search the directory").click()
        _near(page).fill("ZZ9")
        _near(page).press("Enter")
        error_link = page.get_by_role("alert").get_by_role("link", name=re.compile(r"'ZZ9' is not known"))
        expect(error_link).to_be_visible()
        error_link.click()
        expect(_near(page)).to_be_focused()
    finally:
        context.close()
