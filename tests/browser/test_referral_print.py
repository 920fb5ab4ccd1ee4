"""A referral prints cleanly on one or two A4 pages, for the PA and, within consent, the
provider: no header, navigation, forms or footer on paper; and the notifications page
passes axe at desktop and phone widths."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from broker.clients.services import record_consent
from broker.extensions import db
from broker.referrals import services as referrals
from tests.browser.pages import sign_in, sign_out
from tests.browser.test_accessibility import Audit, audit  # noqa: F401  (the fixture)
from tests.lifecycle.conftest import build_world, send


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def _world():
    world = build_world()
    r = send(world, "Left college in October after a difficult year; keen on bricklaying and wants a start "
                    "before Christmas. Lives with an aunt; travels by bus. " * 3)
    referrals.answer(world["provider"], r, "more_info", message="Which days can they attend, and do they need lunch?")
    referrals.pa_update(world["pa"], r, "reply", "Mondays and Wednesdays; yes, free school meals.")
    db.session.commit()
    world["referral"] = r
    return world


def test_a_referral_prints_on_one_or_two_a4_pages_for_both_sides(live_server, page):
    world = _world()
    url = f"{live_server}/referrals/{world['referral'].id}"

    sign_in(page, live_server, world["pa"].email)
    page.goto(url)
    expect(page.get_by_role("button", name="Print this referral")).to_be_visible()  # JavaScript on: the button shows
    page.emulate_media(media="print")
    for hidden in (".app-header", ".app-service-navigation", ".app-footer", "main form", ".govuk-back-link"):
        assert not page.locator(hidden).first.is_visible(), hidden
    expect(page.get_by_role("heading", name="Level 1 Construction")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Mondays and Wednesdays")
    assert 1 <= pdf_pages(page.pdf(format="A4")) <= 2
    page.emulate_media(media="screen")
    sign_out(page)

    sign_in(page, live_server, world["provider"].email)
    page.goto(url)
    page.emulate_media(media="print")
    expect(page.locator("main")).to_contain_text("Jordan Smithson")  # consent in force: the provider sees them
    expect(page.locator("#pa-contact")).to_be_visible()
    assert not page.locator("main form").first.is_visible()
    assert 1 <= pdf_pages(page.pdf(format="A4")) <= 2

    record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)  # withdrawn
    db.session.commit()
    page.reload()
    expect(page.locator("main")).not_to_contain_text("Jordan Smithson")
    expect(page.locator("main")).not_to_contain_text("bricklaying")
    assert 1 <= pdf_pages(page.pdf(format="A4")) <= 2


def test_notifications_page_is_accessible(live_server, audit: Audit):  # noqa: F811
    world = _world()
    sign_in(audit.page, live_server, world["pa"].email)
    audit.page.goto(f"{live_server}/notifications")
    expect(audit.page.get_by_role("heading", name="Notifications")).to_be_visible()
    audit.check("notifications")
    audit.page.goto(f"{live_server}/referrals/{world['referral'].id}")
    audit.check("referral with print button")
    audit.assert_clean()
