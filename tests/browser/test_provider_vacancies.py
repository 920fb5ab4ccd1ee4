"""A provider updates free places in a real browser and sees the change in search at once."""
from __future__ import annotations

import os

import pytest

from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.pages import sign_in  # noqa: E402


def test_provider_updates_places_and_search_shows_them(live_server, page: Page, app):
    org = f.organisation("Aire Training Ltd")
    f.provision("Plastering course", org=org, at=f.LS1, intakes=[dict(start_in=20, places=3, taken=3)], confirmed_days_ago=60)
    pf.user("provider", "staff@vacancy.example", org)
    base = live_server

    page.goto(f"{base}/?q=plastering&has_places=true")
    expect(page.get_by_role("heading", name="0 listings")).to_be_visible()  # full, so not found

    sign_in(page, base, "staff@vacancy.example")
    page.get_by_role("link", name="Our listings", exact=True).click()
    expect(page.get_by_text("1 listing needs confirming")).to_be_visible()
    page.get_by_role("link", name="Edit Plastering course").click()
    page.get_by_label("Intake 1 places").fill("8")
    page.get_by_role("button", name="Save listing").click()
    expect(page.get_by_text("Listing saved")).to_be_visible()
    expect(page.get_by_text("needs confirming")).to_have_count(0)

    page.goto(f"{base}/?q=plastering&has_places=true")
    result = page.locator(".result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Plastering course")
    expect(result).to_contain_text("5 places left")
    expect(result).not_to_contain_text("Not confirmed recently")
