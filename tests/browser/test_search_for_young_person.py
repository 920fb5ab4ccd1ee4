"""Searching for a young person and browsing by need, in a real browser at desktop and
390 px phone widths, each page checked with axe (tests/browser/test_accessibility.py's Audit):
the record's "Find provision for Jordan" opens a search filled in from the record that
leaves out what they cannot use; an empty search near a place shows the nearest of each
need; the browse pages list needs and kinds."""
from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed (pip install -e '.[test]')")
from playwright.sync_api import expect  # noqa: E402

from tests.browser.pages import WIDTHS, Watch, sign_in  # noqa: E402
from tests.browser.test_accessibility import Audit  # noqa: E402

TODAY = dt.date.today()
LEEDS, WAKEFIELD = "E08000035", "E08000036"


@pytest.fixture(params=list(WIDTHS))
def audit(request, browser, live_server):
    context = browser.new_context(locale="en-GB", viewport=WIDTHS[request.param])
    context.set_default_timeout(10_000)
    watch = Watch(context, live_server)
    yield Audit(context.new_page(), watch)
    context.close()


@pytest.fixture
def world(app):
    def housing(name, **kw):
        return f.provision(name, category="housing", at=kw.pop("at", f.LS9), description="Supported housing.",
                           intakes=[dict(start_in=30, places=4)], **kw)

    fits = housing("Harehills Care Leavers Flats", kind="supported-accommodation", min_age=16, max_age=18,
                   areas=[LEEDS], requires=["care_leaver"])
    housing("Wakefield Youth Housing", areas=[WAKEFIELD])
    housing("Young Parents House", requires=["young_parent"])
    housing("Over 18s Hostel", min_age=18, max_age=25)
    housing("Nightstop Emergency Bed", kind="emergency-bed", at=f.LS1)
    f.provision("Construction Skills", category="training", kind="vocational-course", at=f.LS1)
    f.provision("Halifax Joinery", category="training", at=f.HX1)
    pa = pf.user("pa", "pa@find.example")
    jordan = pf.client(pa, ("housing",), first_name="Jordan", last_name="Field", age=17, postcode="LS9 7AB",
                       available_from=TODAY + dt.timedelta(days=20))
    jordan.area, jordan.criteria = LEEDS, ["care_leaver"]
    db.session.commit()
    return dict(fits=fits, jordan=jordan)


def _result_names(page):
    return sorted(page.get_by_role("article").get_by_role("heading", level=3).get_by_role("link").all_inner_texts())


def test_find_provision_for_a_young_person_from_their_record(live_server, audit: Audit, world):
    page = audit.page
    sign_in(page, live_server, "pa@find.example")
    page.goto(f"{live_server}/clients/{world['jordan'].id}")
    page.get_by_role("link", name="Find provision for Jordan: Housing").click()

    expect(page.get_by_role("heading", level=2, name=re.compile(r"^\d+ listings? near LS9 7AB"))).to_be_visible()
    # Only what Jordan can use: not for over-18s, not only for Wakefield, not only for young parents.
    assert _result_names(page) == ["Harehills Care Leavers Flats", "Nightstop Emergency Bed"]
    # The form says what was filled in from the record, so the PA can change it.
    expect(page.get_by_label("Need", exact=True)).to_have_value("housing")
    expect(page.get_by_role("textbox", name=re.compile(r"^Near\b"))).to_have_value("LS9 7AB")
    expect(page.get_by_label("Young person's age", exact=True)).to_have_value("17")
    expect(page.get_by_label("Council area", exact=True)).to_have_value(LEEDS)
    expect(page.get_by_label("Care leavers", exact=True)).to_be_checked()
    expect(page.get_by_label("Start date from", exact=True)).to_have_value((TODAY + dt.timedelta(days=20)).isoformat())
    audit.check("search for a young person")

    # Widening: untick the criterion (nothing ticked: any criteria) and search again.
    page.locator("#more-filters summary").click()
    page.get_by_label("Care leavers", exact=True).uncheck()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Young Parents House", exact=True)).to_be_visible()
    audit.assert_clean()


def test_browsing_by_need_is_never_a_dead_end(live_server, audit: Audit, world):
    page = audit.page
    # An empty search near a place: the nearest of each need.
    page.goto(f"{live_server}/?near=LS9")
    housing = page.get_by_role("region", name=re.compile(r"^Housing \(\d+\)$"))
    training = page.get_by_role("region", name=re.compile(r"^Training \(2\)$"))
    expect(housing).to_be_visible()
    expect(training.get_by_role("link", name="Construction Skills")).to_be_visible()
    audit.check("search near a place, nothing typed")

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Browse by need").click()
    expect(page.get_by_role("heading", level=1, name="Browse by need")).to_be_visible()
    audit.check("browse by need")
    page.get_by_role("link", name="Housing", exact=True).click()
    expect(page).to_have_url(f"{live_server}/browse/housing")
    expect(page.get_by_role("heading", level=1, name="Housing")).to_be_visible()
    expect(page.get_by_role("navigation", name="Kinds of housing")).to_contain_text("Emergency bed (1)")
    page.get_by_role("textbox", name=re.compile(r"^Near\b")).fill("LS9")
    page.get_by_role("button", name="Show nearest").click()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^5 listings near LS9$"))).to_be_visible()
    audit.check("browse housing near LS9")
    page.get_by_role("navigation", name="Kinds of housing").get_by_role("link", name="Supported accommodation").click()
    expect(page).to_have_url(re.compile(r"/browse/housing/supported-accommodation\?near=LS9$"))
    # The address changes before the new page has loaded: wait for its list, then read it.
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^1 listing near LS9$"))).to_be_visible()
    assert _result_names(page) == ["Harehills Care Leavers Flats"]
    # The map, one tap away, is a described image numbered as the list is.
    page.get_by_text("Map of these results").click()
    results_map = page.get_by_role("img", name="Map of results 1 to 1")
    expect(results_map).to_be_visible()
    box = results_map.bounding_box()
    assert box["x"] + box["width"] <= page.viewport_size["width"], box
    audit.check("browse supported accommodation, map open")
    page.get_by_role("link", name="Harehills Care Leavers Flats").click()
    expect(page.get_by_role("img", name="Map of where Harehills Care Leavers Flats is")).to_be_visible()
    audit.check("listing with its map")
    audit.assert_clean()
