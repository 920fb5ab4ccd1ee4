"""Each role's day starts on their home page: a journey per role, in a real browser, from
what the home page says needs them to doing it, and the home page then saying it is done."""
from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from broker.extensions import db
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.pages import sign_in, sign_out  # noqa: E402

SUMMARY = "Left college in October; wants to learn a trade."


@pytest.fixture
def day(app):
    """A PA with a review overdue and a referral the provider has asked about; a provider
    with a new referral and a listing to confirm."""
    today = dt.date.today()
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction Skills", org=org, category="training", at=f.LS1,
                         intakes=[dict(start_in=14, places=4)])
    stale = f.provision("Plastering course", org=org, category="training", at=f.LS9,
                        intakes=[dict(start_in=20, places=3)], confirmed_days_ago=60)
    pa = pf.user("pa", "pa@home.example")
    provider = pf.user("provider", "staff@home.example", org)
    asked = pf.client(pa, ("training",), consent_to=(org,), first_name="Ayesha", last_name="Asked",
                      assessment_date=today - dt.timedelta(days=90), review_date=today - dt.timedelta(days=3))
    waiting = pf.client(pa, ("training",), consent_to=(org,), first_name="Nathan", last_name="New")
    r1 = referrals.send_referral(pa, asked, asked.needs[0].id, course.intakes[0].id, SUMMARY)
    referrals.answer(provider, r1, "more_info", message="Can they start before 9am?")
    r2 = referrals.send_referral(pa, waiting, waiting.needs[0].id, course.intakes[0].id, SUMMARY)
    db.session.commit()
    return dict(pa=pa, provider=provider, asked=asked, waiting=waiting, r1=r1, r2=r2, stale=stale)


def test_pa_replies_to_a_request_for_more_information_from_home(live_server, page: Page, day):
    sign_in(page, live_server, "pa@home.example")
    expect(page).to_have_url(f"{live_server}/home")
    more = page.locator("#more-info")
    expect(more).to_contain_text("1")
    expect(more).to_contain_text("Can they start before 9am?")
    reviews = page.locator("#reviews")
    expect(reviews.get_by_role("link", name="Ayesha Asked")).to_be_visible()
    expect(reviews).to_contain_text("Overdue")
    expect(page.locator("#waiting")).to_contain_text("Nathan New")

    more.get_by_role("link", name=re.compile("Ayesha Asked")).click()
    expect(page.locator("#status")).to_have_text("Asked for more information")
    page.get_by_role("radio", name="Reply with more information").check()
    page.get_by_label("Note").fill("Yes: from 8.30 on weekdays.")
    page.get_by_role("button", name="Update referral").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Referral updated")
    expect(page.locator("#status")).to_have_text("Sent, awaiting answer")
    expect(page.locator("#history")).to_contain_text("Yes: from 8.30 on weekdays.")

    page.get_by_role("link", name="Home").click()
    expect(page.locator("#more-info")).to_contain_text("No provider is waiting for information from you.")


def test_provider_answers_new_referrals_and_confirms_a_listing_from_home(live_server, page: Page, day):
    sign_in(page, live_server, "staff@home.example")
    expect(page).to_have_url(f"{live_server}/home")
    new = page.locator("#new")
    expect(new.get_by_role("link", name=f"Referral {day['r2'].id}: Nathan New")).to_be_visible()
    answer_by = page.locator("#answer-by")
    expect(answer_by).to_contain_text(f"Referral {day['r2'].id}")
    expect(page.locator("#confirm")).to_contain_text("Plastering course")

    # Still correct, from home, returns home with the listing gone from the panel.
    page.locator("#confirm").get_by_role("button", name=re.compile(r"^Still correct\W+Plastering course")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Plastering course")
    expect(page).to_have_url(f"{live_server}/home")
    expect(page.locator("#confirm")).to_contain_text("Every listing has been confirmed")

    # Declining needs a reason: the error summary links to the field; then it goes through.
    new.get_by_role("link", name=re.compile(f"^Referral {day['r2'].id}")).click()
    page.get_by_role("radio", name="Decline").check()
    page.get_by_role("button", name="Send answer").click()
    link = page.get_by_role("alert").get_by_role("link", name="Choose a reason for declining")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_label("Reason for declining")).to_be_focused()
    page.get_by_label("Reason for declining").select_option(label="Young person did not respond")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator("#status")).to_have_text("Declined")
    expect(page.get_by_text("Declined: Young person did not respond")).to_be_visible()  # words, not no_response

    page.get_by_role("link", name="Home").click()
    expect(page.locator("#new")).to_contain_text("No new referrals.")


def test_manager_goes_from_the_shortage_headline_to_the_dashboard(live_server, page: Page, app):
    from tests.insight.scenario import build

    s = build()
    sign_in(page, live_server, s.manager.email)
    expect(page).to_have_url(f"{live_server}/home")
    # Training in Leeds: 4 open needs and its 2 places already held; the scenario's biggest gap.
    expect(page.locator("#shortage-headline")).to_contain_text("training in Leeds")
    page.locator("#worst").get_by_role("link", name=re.compile(r"^Training in Leeds")).click()
    expect(page.get_by_role("heading", name="Shortages and waits", level=1)).to_be_visible()
    expect(page.get_by_label("Area", exact=True)).to_have_value("Leeds")
    expect(page.get_by_label("Need", exact=True)).to_have_value("training")
    assert "Quillfeather" not in page.content()


def test_admin_reads_recent_activity_from_home(live_server, page: Page, day):
    pf.user("admin", "admin@home.example")
    sign_in(page, live_server, "admin@home.example")
    expect(page).to_have_url(f"{live_server}/home")
    audit = page.locator("#audit")
    expect(audit).to_contain_text("views and changes in the last 24 hours")
    expect(audit).to_contain_text("answered referral")  # the provider's answer, in words
    expect(page.locator("#accounts")).to_contain_text("Personal Adviser: 1")
    audit.get_by_role("link", name="Read the audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_role("cell", name="asked for more information", exact=False)).to_have_count(0)
    expect(page.get_by_role("cell", name="answered").first).to_be_visible()
    sign_out(page)


def test_caseload_search_filters_and_pages(live_server, page: Page, app):
    pa = pf.user("pa", "pa@caseload.example")
    for n in range(23):
        pf.client(pa, ("training",) if n % 2 else ("housing",), first_name=f"Young{n:02d}", last_name="Person",
                  urgency=3 if n < 5 else 1)
    pf.client(pa, ("training",), first_name="Jordan", last_name="Findme", urgency=2)
    sign_in(page, live_server, "pa@caseload.example")
    page.get_by_role("link", name="My caseload").click()
    expect(page.locator("#showing")).to_have_text("Showing 1 to 20 of 24 young people")
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages.get_by_role("link", name="Page 2")).to_be_visible()
    expect(pages.get_by_role("link", name="Page 3")).to_have_count(0)  # never a page past the last
    pages.get_by_role("link", name="Next").click()
    expect(page.locator("#showing")).to_have_text("Showing 21 to 24 of 24 young people")

    page.get_by_label("Name").fill("findme")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#caseload tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Jordan Findme")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("findme")

    page.get_by_role("link", name="Clear the search and filters").click()
    page.get_by_label("Urgency").select_option("3")
    page.get_by_label("Need").select_option("housing")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#caseload tbody tr")).to_have_count(3)  # Young00, 02, 04
    expect(page.locator("#showing")).to_have_text("Showing 1 to 3 of 3 young people")

    # A page number past the last shows the last page.
    page.goto(f"{live_server}/clients/?page=99")
    expect(page.locator("#showing")).to_have_text("Showing 21 to 24 of 24 young people")
