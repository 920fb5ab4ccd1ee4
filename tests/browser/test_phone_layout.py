"""On a 390 px phone: the first search result shows without scrolling past the form, and
the caseload and inbox tables fit the screen (no sideways scrolling, of the page or of the
table inside it)."""
from __future__ import annotations

import os

import pytest

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import expect  # noqa: E402

from tests.browser.pages import PHONE, sign_in, sign_out  # noqa: E402
from tests.browser.test_accessibility import world  # noqa: E402,F401  (the same people and listings)

# Every table on the page, and the page itself, no wider than what shows of it.
OVERFLOW = """() => {
  const wide = [];
  if (document.documentElement.scrollWidth > window.innerWidth) wide.push("page " + document.documentElement.scrollWidth);
  for (const t of document.querySelectorAll("table")) {
    const box = t.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5) wide.push("table right edge " + box.right);
    for (let e = t.parentElement; e && e !== document.body; e = e.parentElement) {
      if (e.scrollWidth > e.clientWidth + 0.5 && getComputedStyle(e).overflowX !== "visible") wide.push("scrolls: " + e.className);
    }
  }
  return wide;
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_first_result_shows_without_scrolling_on_a_phone(live_server, world, phone):
    phone.goto(f"{live_server}/?category=training&near=LS9")
    first = phone.get_by_role("article").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + min(box["height"], 80) <= PHONE["height"], box
    # The filters are one tap away.
    expect(phone.get_by_role("button", name="Search")).to_be_attached()


def test_caseload_and_inbox_fit_a_phone(live_server, world, phone):
    sign_in(phone, live_server, "pa@a11y.example")
    phone.goto(f"{live_server}/clients/")
    expect(phone.get_by_role("table")).to_be_visible()
    assert phone.evaluate(OVERFLOW) == []
    sign_out(phone)
    sign_in(phone, live_server, "staff@a11y.example")
    phone.goto(f"{live_server}/inbox")
    expect(phone.get_by_role("table")).to_be_visible()
    assert phone.evaluate(OVERFLOW) == []
