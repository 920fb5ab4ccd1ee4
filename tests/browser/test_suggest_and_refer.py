"""The suggestions page in words and referring from a listing, in a real browser: audited with
axe at desktop and phone width, and the journey search -> result -> refer -> referral sent."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from broker.extensions import db
from broker.referrals import services as referrals
from broker.referrals.models import Referral
from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.pages import sign_in  # noqa: E402
from tests.browser.test_accessibility import Audit, audit  # noqa: E402,F401  (the audit fixture, both widths)


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other = f.organisation("Calder Skills")
    course = f.provision("Level 1 Construction Skills", org=org, at=f.LS1, min_age=16, max_age=19, areas=["E08000035"],
                         description="A 12-week course leading to a CSCS card.",
                         intakes=[dict(start_in=8, places=6), dict(start_in=40, places=2)])
    f.provision("Calder bricklaying", org=other, at=f.LS1, intakes=[dict(start_in=12, places=3)])
    f.provision("Halifax Joinery", org=other, at=f.HX1, intakes=[dict(start_in=7, places=4)])
    f.provision("Adult skills", org=other, at=f.LS1, min_age=18, intakes=[dict(start_in=10)])
    pa = pf.user("pa", "pa@suggest.example")
    yp = pf.client(pa, ("training",), consent_to=(org,), first_name="Jordan", last_name="Words", max_travel_km=20.0)
    pf.client(pa, ("training",), consent_to=(org,), first_name="Riley", last_name="Search")
    referrals.send_referral(pa, yp, yp.needs[0].id, course.intakes[1].id,
                            "Left college in October; wants to learn a trade.", "")
    db.session.commit()
    return dict(org=org, course=course, yp=yp)


def test_suggestions_and_refer_from_listing_pages_are_accessible(live_server, audit: Audit, world):
    base, page = live_server, audit.page
    sign_in(page, base, "pa@suggest.example")
    page.goto(f"{base}/clients/{world['yp'].id}/suggestions")
    first = page.locator(".option").first
    expect(first).to_contain_text("Starts in 8 days · 2.7 km · 6 places left · for 16-19s living in Leeds")
    expect(page.locator(".pending-referral")).to_contain_text("A referral for this need is already open")
    expect(page.get_by_text("No consent recorded to share with Calder Skills")).to_be_visible()
    for summary in page.locator(".govuk-details__summary").all():
        summary.click()  # open every "Why this order" and every group of ruled-out start dates
    expect(first.get_by_text("Travelling 2.7 km costs")).to_be_visible()
    expect(page.get_by_text("For young people from age 18; Jordan would be too young")).to_be_visible()
    audit.check("suggestions in words, all disclosures open")
    page.goto(f"{base}/provisions/{world['course'].id}")
    audit.check("listing page (signed-in PA)")
    page.get_by_role("link", name="Refer a young person").click()
    audit.check("refer from a listing")
    page.get_by_role("button", name="Continue to the referral").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("refer from a listing (with errors)")
    audit.assert_clean()


def test_search_result_to_referral_sent(live_server, page: Page, world):
    base = live_server
    sign_in(page, base, "pa@suggest.example")
    page.goto(f"{base}/")
    page.get_by_label("Keywords", exact=True).fill("construction")
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("article").filter(has_text="Level 1 Construction Skills")
    result.get_by_role("link", name="Refer a young person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer a young person to Level 1 Construction Skills")
    page.get_by_role("radio", name=re.compile(r"^Riley Search: training need")).check()
    page.get_by_role("radio", name=re.compile(r"6 places left")).check()
    page.get_by_role("button", name="Continue to the referral").click()
    expect(page.get_by_label("Background for the provider")).to_have_value("Left college in October and wants to learn a trade.")
    page.get_by_role("button", name="Send referral and hold a place").click()
    expect(page.locator("#status")).to_have_text("Sent, awaiting answer")
    db.session.expire_all()
    sent = db.session.scalars(select(Referral).where(Referral.intake_id == world["course"].intakes[0].id)).one()
    assert sent.client.first_name == "Riley"
