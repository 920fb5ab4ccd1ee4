"""Automated accessibility checks: every main page, as each role reaches it, on a desktop
and on a 390 px phone, run through axe-core (the copy bundled in the axe-playwright-python
package, injected into the page, so nothing is fetched at run time) with the WCAG 2.0/2.1 A
and AA rules.

A journey visits its pages, checks each one, and fails at the end on any violation of
impact "serious" or "critical", listing every one as page, rule id and target, so one run
shows everything that needs fixing. Minor and moderate findings are printed, not failed on.
Each page is also checked for what a phone user meets (nothing wider than the screen) and
for what the Content-Security-Policy allows (no inline script or style, nothing loaded from
another site): see tests/browser/pages.py.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest

from broker.referrals import services as referrals
from broker.extensions import db
from tests.directory import factories as f
from tests.insight.scenario import build
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed (pip install -e '.[test]')")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.pages import WIDTHS, Watch, sign_in  # noqa: E402

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations", "incomplete"]}
FAIL_ON = {"serious", "critical"}
# Rules whose failures axe-core files under "incomplete" (needs review) rather than
# "violations", though they are certain: an id that labels or describes a control and is
# used twice (axe 4.7+ retired duplicate-id; duplicate-id-aria is review-only). These fail too.
REVIEW_FAILS = {"duplicate-id-aria"}

_axe = Axe()


class Audit:
    """Runs axe on each page it is given and keeps what it finds."""

    def __init__(self, page: Page, watch: Watch):
        self.page = page
        self.watch = watch
        self.pages: list[str] = []
        self.failures: list[str] = []
        self.minor: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        wide = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if wide[0] > wide[1]:
            self.failures.append(f"[layout] {name!r} ({self.page.url}) is {wide[0]} px wide on a {wide[1]} px screen")
        results = _axe.run(self.page, options=AXE_OPTIONS)
        self.pages.append(name)
        found = [(v, False) for v in results.response["violations"]]
        found += [(v, True) for v in results.response["incomplete"] if v["id"] in REVIEW_FAILS]
        for v, review in found:
            for node in v["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                line = (f"[{v['impact']}{', needs review' if review else ''}] {v['id']} on {name!r} "
                        f"({self.page.url}): {target}\n    {v['help']}")
                (self.failures if v["impact"] in FAIL_ON else self.minor).append(line)

    def assert_clean(self) -> None:
        self.failures += [f"[other site] a page asked for {url}" for url in self.watch.elsewhere]
        self.failures += [f"[console] {e}" for e in self.watch.errors]
        if self.minor:
            print("Minor or moderate accessibility findings (not failed on):\n" + "\n".join(self.minor))
        assert not self.failures, (
            f"{len(self.failures)} serious or critical accessibility violations on {len(self.pages)} pages:\n"
            + "\n".join(self.failures)
        )


@pytest.fixture(params=list(WIDTHS))
def audit(request, browser, live_server):
    """A fresh page at desktop and then at phone width, watched and audited."""
    context = browser.new_context(locale="en-GB", viewport=WIDTHS[request.param])
    context.set_default_timeout(10_000)
    watch = Watch(context, live_server)
    yield Audit(context.new_page(), watch)
    context.close()


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision(
        "Level 1 Construction Skills", org=org, category="training", at=f.LS1, min_age=16, max_age=19,
        description="A 12-week course leading to a CSCS card.",
        intakes=[dict(start_in=14, places=4), dict(start_in=60, places=6, taken=1)],
    )
    stale = f.provision("Plastering course", org=org, category="training", at=f.LS9,
                        intakes=[dict(start_in=20, places=3, taken=3)], confirmed_days_ago=60)
    f.provision("Harehills Supported Housing", category="housing", at=f.LS9,
                description="Supported housing for 16-17 year olds.", intakes=[dict(start_in=5, places=6, taken=2)])
    f.provision("Halifax Joinery", category="training", at=f.HX1, intakes=[dict(start_in=7, places=4)])
    pa = pf.user("pa", "pa@a11y.example")
    provider = pf.user("provider", "staff@a11y.example", org)
    client = pf.client(pa, ("training",), consent_to=(org,), first_name="Jordan", last_name="Access")
    referral = referrals.send_referral(pa, client, client.needs[0].id, course.intakes[0].id,
                                       "Left college in October; wants to learn a trade.", "Anxious with new adults.")
    db.session.commit()  # services only flush: the served app must see it
    return dict(org=org, course=course, stale=stale, pa=pa, provider=provider, client=client, referral=referral)


def test_public_pages(live_server, audit: Audit, world):
    base, page = live_server, audit.page
    page.goto(f"{base}/")
    audit.check("search (empty)")
    page.goto(f"{base}/?q=&category=training&near=LS9&radius_km=25&sort=distance")
    expect(page.get_by_role("article").first).to_be_visible()
    audit.check("search (with results)")
    page.goto(f"{base}/?q=housing&has_places=true&near=LS9&radius_km=10")
    audit.check("search (free places, stale and full tags)")
    page.goto(f"{base}/?q=&category=training&per_page=1&page=2")
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    audit.check("search (page 2 of results)")
    page.goto(f"{base}/?q=hostel&near=Nowhere-on-Sea&radius_km=5")
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("search (with an error)")
    page.goto(f"{base}/provisions/{world['course'].id}")
    audit.check("listing page")
    page.goto(f"{base}/provisions/{world['stale'].id}")
    audit.check("listing page (stale, full)")
    page.goto(f"{base}/login")
    audit.check("login")
    page.get_by_label("Email").fill("pa@a11y.example")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    audit.check("login (with an error)")
    audit.assert_clean()


def test_personal_adviser_pages(live_server, audit: Audit, world):
    base, page, client = live_server, audit.page, world["client"]
    sign_in(page, base, "pa@a11y.example")
    expect(page.get_by_role("heading", name="What needs you today")).to_be_visible()
    audit.check("PA home")
    page.goto(f"{base}/clients/")
    audit.check("PA caseload")
    page.goto(f"{base}/clients/?q=zz&status=review_due")
    audit.check("PA caseload (nobody matches)")
    page.goto(f"{base}/clients/{client.id}")
    audit.check("client record")
    page.get_by_role("button", name="Add need").click()
    page.get_by_label("Notes").fill("x" * 2001)
    page.get_by_role("button", name="Add need").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("client record (need with an error)")
    page.goto(f"{base}/clients/new")
    audit.check("new-client form")
    page.get_by_role("button", name="Save record").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("new-client form (with errors)")
    page.goto(f"{base}/clients/{client.id}/edit")
    audit.check("client edit form")
    page.goto(f"{base}/clients/{client.id}/consent")
    audit.check("consent page")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("consent page (with errors)")
    page.goto(f"{base}/clients/{client.id}/suggestions")
    audit.check("suggestions")
    page.get_by_role("button", name="Refer to this start date").first.click()
    audit.check("refer form")
    page.get_by_label("Background for the provider").fill("short")
    page.get_by_role("button", name="Send referral and hold a place").click()
    audit.check("refer form (with errors)")
    page.goto(f"{base}/referrals/{world['referral'].id}")
    audit.check("referral page (PA view)")
    audit.assert_clean()


def test_provider_pages(live_server, audit: Audit, world):
    base, page = live_server, audit.page
    sign_in(page, base, "staff@a11y.example")
    expect(page.get_by_role("heading", name="What needs you today")).to_be_visible()
    audit.check("provider home")
    page.goto(f"{base}/inbox")
    audit.check("provider inbox")
    page.goto(f"{base}/inbox?status=declined")
    audit.check("provider inbox (nothing matches)")
    page.goto(f"{base}/referrals/{world['referral'].id}")
    audit.check("referral page (provider view)")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("referral page (answer with an error)")
    page.goto(f"{base}/provider/listings")
    audit.check("provider listings")
    page.goto(f"{base}/provider/listings/{world['course'].id}/edit")
    audit.check("listing edit")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Intake 1 places").fill("lots")
    page.get_by_role("button", name="Save listing").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("listing edit (with errors)")
    page.goto(f"{base}/provider/listings/{world['course'].id}/history")
    audit.check("listing history")

    page.goto(f"{base}/provider/feed")
    audit.check("vacancy upload")
    # The stale listing's one intake gets more places, and a new start date is added.
    pid = world["stale"].id
    start, later = (dt.date.today() + dt.timedelta(days=20)).isoformat(), (dt.date.today() + dt.timedelta(days=90)).isoformat()
    upload = page.locator("input[type=file]")
    upload.set_input_files(files=[{"name": "vacancies.csv", "mimeType": "text/csv",
                                   "buffer": f"provision_id,start,places,rolling\n{pid},{start},12,no\n{pid},{later},5,no\n".encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name="Apply these changes")).to_be_visible()
    audit.check("vacancy upload (with a preview)")
    upload.set_input_files(files=[{"name": "vacancies.csv", "mimeType": "text/csv",
                                   "buffer": f"provision_id,start,places,rolling\n{pid},31/01/2027,twelve,maybe\n".encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("vacancy upload (with file errors)")
    page.get_by_role("button", name="Check the file").click()  # no file chosen: a form error
    audit.check("vacancy upload (no file chosen)")

    page.goto(f"{base}/provider/tokens")
    audit.check("tokens page")
    page.get_by_role("button", name="Create token").click()
    audit.check("tokens page (with an error)")
    page.get_by_label("What the token is for").fill("Our booking system")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()
    audit.check("tokens page (new token and list)")
    audit.assert_clean()


def test_manager_and_admin_pages(live_server, audit: Audit, app):
    s = build()
    pf.user("admin", "admin@a11y.example")
    base, page = live_server, audit.page
    sign_in(page, base, s.manager.email)
    expect(page.locator("#shortage-headline")).to_be_visible()
    audit.check("manager home")
    page.goto(f"{base}/insight/")
    audit.check("insight dashboard")
    page.get_by_role("button", name="Run the matcher now").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    audit.check("insight dashboard (after a run)")
    page.goto(f"{base}/insight/?from=2026-13")
    audit.check("insight dashboard (with an error)")
    page.goto(f"{base}/insight/what-if")
    audit.check("what-if")
    page.get_by_label("Need").select_option("training")
    page.get_by_label("Area").select_option("Leeds")
    page.get_by_label("From month").fill(s.months[0])
    page.get_by_label("Places to add").fill("1")
    page.get_by_role("button", name="Work it out").click()
    expect(page.locator("#delta-met")).to_be_visible()
    audit.check("what-if (with an answer)")
    page.get_by_label("Places to add").fill("0")
    page.get_by_role("button", name="Work it out").click()
    audit.check("what-if (with an error)")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "admin@a11y.example")
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    audit.check("admin home")
    page.goto(f"{base}/admin/audit")
    audit.check("admin audit log")
    audit.assert_clean()
