"""Accessibility of the casework pages (axe, desktop and phone): the record's plan, reviews
and conferences, recording a conference, the actions list, and the team lead's pages."""
from __future__ import annotations

from playwright.sync_api import expect

from broker.casework.services import supervise
from broker.extensions import db
from tests.browser.pages import sign_in, sign_out
from tests.browser.test_accessibility import Audit, audit, world  # noqa: F401  (the shared fixtures)
from tests.people import factories as pf


def test_casework_pages(live_server, audit: Audit, world):  # noqa: F811
    base, page, client = live_server, audit.page, world["client"]
    lead = pf.user("lead", "lead@a11y.example")
    supervise(lead, world["pa"])
    db.session.commit()
    sign_in(page, base, "pa@a11y.example")
    page.goto(f"{base}/clients/{client.id}")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("client record (plan action with errors)")
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("client record (review with errors)")
    page.goto(f"{base}/clients/{client.id}/conferences/new")
    audit.check("new case conference")
    page.get_by_role("button", name="Record conference").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("new case conference (with errors)")
    page.get_by_label("Day").first.fill("2")
    page.get_by_label("Month").first.fill("1")
    page.get_by_label("Year").first.fill("2026")
    page.get_by_label("Aire Training Ltd").check()
    page.get_by_label("Action agreed (optional)").fill("Call the hostel")
    page.get_by_label("Owner of the action").select_option(label=world["pa"].name)
    page.locator("#action_due").get_by_label("Day").fill("3")
    page.locator("#action_due").get_by_label("Month").fill("1")
    page.locator("#action_due").get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Record conference").click()
    expect(page.get_by_role("heading", name="Case conference", exact=False)).to_be_visible()
    audit.check("case conference")
    page.goto(f"{base}/actions")
    audit.check("your actions")
    sign_out(page)
    sign_in(page, base, "lead@a11y.example")
    expect(page.get_by_role("heading", name="Your team today")).to_be_visible()
    audit.check("lead home")
    page.goto(f"{base}/team")
    audit.check("team")
    page.goto(f"{base}/team/{world['pa'].id}")
    audit.check("a PA's caseload and supervision notes")
    page.goto(f"{base}/clients/{client.id}")
    audit.check("client record (lead view)")
    audit.assert_clean()
