"""The PA's journey and the provider's answer, in a real browser with CSRF on:
record a young person and their need, record consent (choosing the agency by typing, the
autocomplete), take the matcher's first suggestion, send the referral (holding a place);
the provider finds it on their home page and accepts it; the PA's home page shows the answer."""
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

from tests.browser.pages import sign_in, sign_out  # noqa: E402


@pytest.fixture
def people(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision(
        "Level 1 Construction Skills", org=org, category="training", at=f.LS1, min_age=16, max_age=19,
        intakes=[dict(start_in=14, places=2)],
    )
    f.provision("Halifax Joinery", category="training", at=f.HX1, intakes=[dict(start_in=7, places=4)])
    return dict(org=org, course=course, pa=pf.user("pa", "pa@journey.example"), provider=pf.user("provider", "staff@journey.example", org))


def fill_date(page: Page, legend: str, day: dt.date):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_pa_refers_and_provider_accepts(live_server, page: Page, people):
    base, today = live_server, dt.date.today()
    sign_in(page, base, "pa@journey.example")
    expect(page.get_by_role("heading", name="What needs you today")).to_be_visible()
    page.get_by_role("link", name="Add a young person").click()

    # A wrong date is named once, at the top and at the field, and what was typed stays.
    page.get_by_label("First name").fill("Jordan")
    fill_date(page, "Date of birth", today)
    page.get_by_role("group", name="Date of birth").get_by_label("Month").fill("13")
    page.get_by_role("button", name="Save record").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Date of birth must be a real date")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter a last name")).to_be_visible()
    expect(page.get_by_text("Date of birth must be a real date")).to_have_count(2)  # the summary and the field
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label("First name")).to_have_value("Jordan")
    summary.get_by_role("link", name="Date of birth must be a real date").click()
    expect(page.get_by_role("group", name="Date of birth").get_by_label("Day")).to_be_focused()

    page.get_by_label("Last name").fill("Browser")
    fill_date(page, "Date of birth", today - dt.timedelta(days=17 * 365 + 20))
    page.get_by_label("Home postcode").fill("ls9 7ab")
    fill_date(page, "Available from", today)
    page.get_by_role("radio", name="3 – urgent").check()
    fill_date(page, "Assessment date", today)  # urgent: referred only on a recent assessment (APIR)
    page.get_by_label("Assessment summary").fill("Left college in October; wants to learn a trade.")
    page.get_by_role("button", name="Save record").click()
    expect(page.get_by_role("heading", name="Jordan Browser")).to_be_visible()
    expect(page.get_by_text("LS9 7AB")).to_be_visible()

    page.get_by_label("Need").select_option("training")
    page.get_by_label("Notes").fill("Construction or joinery")
    page.get_by_role("button", name="Add need").click()
    expect(page.get_by_role("cell", name="Construction or joinery")).to_be_visible()

    page.get_by_role("link", name="Record consent", exact=True).click()
    # The 100-agency list is a type-to-search box when JavaScript runs.
    expect(page.locator(".autocomplete__wrapper")).to_be_visible()
    agency = page.get_by_label("Agency", exact=True)
    agency.fill("aire tr")
    page.get_by_role("option", name="Aire Training Ltd").click()
    expect(agency).to_have_value("Aire Training Ltd")
    page.get_by_role("radio", name=re.compile(r"^Share name, age")).check()
    page.get_by_role("radio", name="Consent given").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("cell", name="Given")).to_be_visible()

    page.get_by_role("link", name="Placement suggestions").click()
    first = page.locator(".option").first
    expect(first).to_contain_text("Level 1 Construction Skills")
    expect(first).to_contain_text("Starts in 14 days")
    expect(page.get_by_text("Further than they can travel (1)")).to_be_visible()  # Halifax is ruled out, and says why
    first.get_by_role("button", name="Refer to this start date").click()

    expect(page.get_by_label("Background for the provider")).to_have_value("Left college in October; wants to learn a trade.")
    page.get_by_role("button", name="Send referral and hold a place").click()
    expect(page.locator("#status")).to_have_text("Sent, awaiting answer")
    db.session.expire_all()
    assert db.session.get(Intake, people["course"].intakes[0].id).places_taken == 1
    sign_out(page)

    sign_in(page, base, "staff@journey.example")
    new = page.locator("#new")
    expect(new).to_contain_text("Jordan Browser")  # consent is in force, so the name is shown
    new.get_by_role("link", name=re.compile(r"^Referral \d+")).click()
    expect(page.get_by_text("Jordan Browser, aged 17, lives in LS9")).to_be_visible()
    page.get_by_role("radio", name="Accept").check()
    page.get_by_label("Message to the Personal Adviser").fill("Induction on Monday at 9.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator("#status")).to_have_text("Accepted")
    page.get_by_role("link", name="Home").click()
    expect(page.locator("#new")).to_contain_text("No new referrals.")
    sign_out(page)

    sign_in(page, base, "pa@journey.example")
    answers = page.locator("#answers")
    expect(answers).to_contain_text("Accepted")
    answers.get_by_role("link", name="Jordan Browser: Level 1 Construction Skills").click()
    expect(page.get_by_text("Message from the provider: Induction on Monday at 9.")).to_be_visible()
