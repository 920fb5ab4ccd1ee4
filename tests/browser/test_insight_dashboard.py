"""A manager opens the shortage dashboard in a real browser: the SVG charts are drawn and
labelled, a run can be started, and the what-if answers; no young person is named."""
from __future__ import annotations

import os

import pytest

from tests.insight.scenario import build

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.pages import sign_in  # noqa: E402


def test_manager_sees_charts_runs_the_matcher_and_asks_what_if(live_server, page: Page, app):
    s = build()
    sign_in(page, live_server, s.manager.email)
    page.get_by_role("link", name="Shortages", exact=True).click()
    expect(page.get_by_role("heading", name="Shortages and waits", level=1)).to_be_visible()

    heatmap = page.get_by_role("img", name="Shortage by need and month, all areas")
    expect(heatmap).to_be_visible()
    box = heatmap.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    expect(heatmap.locator("rect")).to_have_count(10 * 6 + 9)  # 10 needs x 6 months, and the legend
    expect(page.get_by_role("img", name="Demand, free places and unmet needs by month, all areas")).to_be_visible()
    expect(page.get_by_role("img", name="Days from need recorded to placement start")).to_be_visible()
    expect(page.locator("#heatmap-table")).to_contain_text("+5")  # training this month: 4 needs in Leeds, 1 in Bradford, no places

    page.get_by_role("button", name="Run the matcher now").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("5 of 6 needs met, 1 unmet")
    this_month = page.locator("#trend-table tbody tr").filter(has=page.get_by_role("rowheader", name=s.months[0], exact=True))
    expect(this_month.locator("td").nth(2)).to_have_text("1")  # unmet this month (the rows start months back)

    page.get_by_role("link", name="Test what added places would change").click()
    page.get_by_label("Need").select_option("training")
    page.get_by_label("Area").select_option("Leeds")
    page.get_by_label("From month").fill(s.months[0])
    page.get_by_label("Places to add").fill("1")
    page.get_by_role("button", name="Work it out").click()
    expect(page.locator("#delta-met")).to_have_text("+1 needs met")
    assert "Quillfeather" not in page.content()
