"""In a real browser: a stored `javascript:` link is never clickable, the
Content-Security-Policy blocks inline script, and no page of ours breaks the policy."""
from __future__ import annotations

import os

import pytest

from broker.clients import services as clients
from broker.extensions import db
from broker.referrals import services as referrals
from tests.browser.test_referral_journey import sign_in, sign_out
from tests.directory import factories as f
from tests.people import factories as pf

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
from playwright.sync_api import Page, expect  # noqa: E402

ATTACK = "javascript:alert(document.domain)"


@pytest.fixture
def world(app):
    # As if an import or an old version had stored hostile links: the page must still be safe.
    org = f.organisation("Aire Training Ltd", website=ATTACK, email="hello@aire.example")
    course = f.provision("Level 1 Construction", org=org, referral_form_url="JaVaScRiPt:alert(1)", intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa", "pa@csp.example")
    pf.user("provider", "staff@csp.example", org)
    pf.user("manager", "boss@csp.example")
    yp = pf.client(pa, consent_to=[org])
    referral = referrals.send_referral(pa, yp, yp.needs[0].id, course.intakes[0].id, "Background for the provider here.")
    clients.record_consent(pa, yp, org.id, "assessment", True)
    db.session.commit()  # as a request would: services never commit
    return dict(course=course, yp=yp, referral=referral)


def _watch(page: Page) -> dict:
    seen = {"dialogs": [], "violations": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: "Content Security Policy" in m.text and seen["violations"].append(m.text))
    return seen


def test_a_stored_javascript_link_is_shown_as_text_and_never_runs(live_server, page: Page, world):
    seen = _watch(page)
    page.goto(f"{live_server}/provisions/{world['course'].id}")
    expect(page.get_by_role("heading", name="Level 1 Construction")).to_be_visible()
    assert page.locator("a[href^='javascript' i]").count() == 0
    page.get_by_text(ATTACK).click()  # shown as plain text: clicking it does nothing
    expect(page.get_by_role("link", name="hello@aire.example")).to_have_attribute("href", "mailto:hello@aire.example")
    assert seen["dialogs"] == []


def test_the_policy_blocks_inline_script_in_the_browser(live_server, page: Page, world):
    seen = _watch(page)
    page.goto(f"{live_server}/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                          document.body.appendChild(s); }""")
    assert page.evaluate("() => window.__ran") is None
    assert any("script-src" in v for v in seen["violations"])


def test_no_page_breaks_the_policy_and_the_stylesheet_applies(live_server, page: Page, world):
    seen = _watch(page)
    base = live_server
    page.goto(f"{base}/")
    # The styles come from the stylesheet under /static/: the header is the band it colours.
    assert page.evaluate("() => getComputedStyle(document.querySelector('.app-header')).backgroundColor") == "rgb(11, 90, 95)"
    page.goto(f"{base}/?q=construction")
    page.goto(f"{base}/provisions/{world['course'].id}")
    sign_in(page, base, "pa@csp.example")
    for path in ("/clients/", f"/clients/{world['yp'].id}", f"/clients/{world['yp'].id}/consent",
                 f"/clients/{world['yp'].id}/suggestions", f"/referrals/{world['referral'].id}"):
        page.goto(base + path)
    sign_out(page)
    sign_in(page, base, "staff@csp.example")
    for path in ("/inbox", f"/referrals/{world['referral'].id}", "/provider/listings",
                 f"/provider/listings/{world['course'].id}/edit", "/provider/feed", "/provider/tokens"):
        page.goto(base + path)
    sign_out(page)
    sign_in(page, base, "boss@csp.example")
    page.goto(f"{base}/insight/")
    expect(page.locator("svg.chart").first).to_be_visible()
    page.goto(f"{base}/insight/what-if")
    page.goto(f"{base}/api/v1/docs")  # Swagger UI, vendored, under the same policy
    expect(page.locator(".swagger-ui .info .title").first).to_contain_text("Broker API")
    assert seen["violations"] == []
