"""The PA's journey and the provider's answer, in a real browser with CSRF on:
record a young person and their need, record consent, take the matcher's first
suggestion, send the referral (holding a place); the provider accepts it; the PA sees it."""
from __future__ import annotations

import datetime as dt
import re
import os

import pytest

from broker.directory.models import Intake
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402


@pytest.fixture
def people(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision(
        "Level 1 Construction Skills", org=org, category="training", at=f.LS1, min_age=16, max_age=19,
        intakes=[dict(start_in=14, places=2)],
    )
    f.provision("Halifax Joinery", category="training", at=f.HX1, intakes=[dict(start_in=7, places=4)])
    return dict(org=org, course=course, pa=pf.user("pa", "pa@journey.example"), provider=pf.user("provider", "staff@journey.example", org))


def sign_in(page: Page, base: str, email: str):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(pf.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_pa_refers_and_provider_accepts(live_server, page: Page, people):
    base, today = live_server, dt.date.today()
    sign_in(page, base, "pa@journey.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()

    page.get_by_role("link", name="Add a young person").click()
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Browser")
    page.get_by_label("Date of birth").fill((today - dt.timedelta(days=17 * 365 + 20)).isoformat())
    page.get_by_label("Home postcode").fill("ls9 7ab")
    page.get_by_label("Available from").fill(today.isoformat())
    page.get_by_label("Urgency (from the assessment)").select_option("3")
    page.get_by_label("Assessment summary").fill("Left college in October; wants to learn a trade.")
    page.get_by_role("button", name="Save record").click()
    expect(page.get_by_role("heading", name="Jordan Browser")).to_be_visible()
    expect(page.get_by_text("LS9 7AB")).to_be_visible()

    page.get_by_label("Need").select_option("training")
    page.get_by_label("Notes").fill("Construction or joinery")
    page.get_by_role("button", name="Add need").click()
    expect(page.get_by_role("cell", name="Construction or joinery")).to_be_visible()

    page.get_by_role("link", name="Record consent").click()
    page.get_by_label("Agency").select_option(label="Aire Training Ltd")
    page.get_by_label("Purpose").select_option("referral")
    page.get_by_label("Decision").select_option("yes")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("cell", name="Given")).to_be_visible()

    page.get_by_role("link", name="Placement suggestions").click()
    first = page.locator(".option").first
    expect(first).to_contain_text("Level 1 Construction Skills")
    expect(first).to_contain_text("Wait: 14 days")
    expect(page.get_by_text("too far")).to_be_attached()  # Halifax is ruled out, and says why
    first.get_by_role("link", name="Refer to this start date").click()

    expect(page.get_by_label("Background for the provider")).to_have_value("Left college in October; wants to learn a trade.")
    page.get_by_role("button", name="Send referral and hold a place").click()
    expect(page.get_by_text("Status: Sent, awaiting answer")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Intake, people["course"].intakes[0].id).places_taken == 1
    sign_out(page)

    sign_in(page, base, "staff@journey.example")
    expect(page.get_by_role("heading", name="Referrals to Aire Training Ltd")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Referral \d+$")).click()
    expect(page.get_by_text("Jordan Browser, aged 17, lives in LS9")).to_be_visible()
    page.get_by_label("Your answer").select_option("accept")
    page.get_by_label("Message to the Personal Adviser").fill("Induction on Monday at 9.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Status: Accepted")).to_be_visible()
    sign_out(page)

    sign_in(page, base, "pa@journey.example")
    page.get_by_role("link", name="Jordan Browser").click()
    expect(page.get_by_text("Accepted")).to_be_visible()
    page.get_by_role("link", name="Level 1 Construction Skills").click()
    expect(page.get_by_text("Message from the provider: Induction on Monday at 9.")).to_be_visible()
