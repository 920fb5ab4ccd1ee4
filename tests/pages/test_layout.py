"""The layout every page shares: GOV.UK Frontend served from here (no other site), no inline
script or style (the Content-Security-Policy allows neither), our brand and never GOV.UK's,
one message per problem, and the form fields' GOV.UK date input."""
import datetime as dt
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from broker.clients.forms import ClientForm
from broker.config import PROJECT_ROOT
from broker.referrals.services import send_referral
from broker.template_helpers import error_list
from tests.directory import factories as f
from tests.people import factories as pf

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
ELSEWHERE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, category="training", at=f.LS1, intakes=[dict(start_in=14, places=4)])
    pa, provider = pf.user("pa"), pf.user("provider", organisation=org)
    yp = pf.client(pa, ("training",), consent_to=(org,))
    referral = send_referral(pa, yp, yp.needs[0].id, course.intakes[0].id, "Left college in October; wants to learn a trade.")
    return dict(pa=pa, provider=provider, manager=pf.user("manager"), admin=pf.user("admin"), yp=yp, course=course,
                referral=referral)


def pages_for(world):
    yp, course, referral = world["yp"].id, world["course"].id, world["referral"].id
    return {
        None: ["/", "/?q=training&near=LS9", "/?near=Nowhere", f"/provisions/{course}", "/login"],
        "pa": ["/home", "/clients/", "/clients/new", f"/clients/{yp}", f"/clients/{yp}/edit", f"/clients/{yp}/consent",
               f"/clients/{yp}/suggestions", f"/referrals/{referral}"],
        "provider": ["/home", "/inbox", f"/referrals/{referral}", "/provider/listings", f"/provider/listings/{course}/edit",
                     f"/provider/listings/{course}/history", "/provider/feed", "/provider/tokens"],
        "manager": ["/home", "/insight/", "/insight/what-if"],
        "admin": ["/home", "/admin/audit"],
    }


def test_no_page_has_inline_script_or_style_or_loads_from_elsewhere(app, client, world):
    checked = 0
    for role, paths in pages_for(world).items():
        client.post("/logout")
        if role:
            client.post("/login", data={"email": world[role].email, "password": pf.PASSWORD})
        for path in paths:
            resp = client.get(path)
            html = resp.get_data(as_text=True)
            assert resp.status_code in (200, 400), (path, resp.status_code)
            assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
            assert not INLINE_STYLE.search(html), (path, html[max(0, INLINE_STYLE.search(html).start() - 200):][:300])
            assert not ELSEWHERE.search(html), (path, ELSEWHERE.search(html).group(0))
            assert 'class="govuk-template"' in html and "Broker" in html
            checked += 1
    assert checked == 26


def test_assets_are_served_from_here_and_carry_no_gov_uk_branding(app, client):
    html = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', html)
    assert {"/static/css/broker.css", "/static/js/js-enabled.js", "/static/js/broker.js",
            "/static/vendor/accessible-autocomplete.min.js", "/static/images/favicon.svg"} <= set(assets)
    for path in assets:
        assert client.get(path).status_code == 200, path
    css = (PROJECT_ROOT / "static/css/broker.css").read_text()
    assert "GDS Transport" not in css and "@font-face" not in css and "govuk-crest" not in css
    assert "system-ui" in css
    static = {p.name for p in (PROJECT_ROOT / "static").rglob("*")}
    assert not {n for n in static if n.endswith((".woff", ".woff2")) or "crest" in n or "govuk-icon" in n}
    versions = (PROJECT_ROOT / "static/vendor/VERSIONS.txt").read_text()
    assert "govuk-frontend 5.14.0" in versions  # matches govuk-frontend-jinja 3.10.0 (pyproject.toml)


def test_pinned_python_macros_match_the_vendored_frontend():
    from importlib.metadata import version

    assert version("govuk-frontend-jinja") == "3.10.0"  # tested by its authors against govuk-frontend 5.14.0
    assert version("govuk-frontend-wtf") == "3.2.0"
    package = Path(PROJECT_ROOT / "frontend/package.json").read_text()
    assert '"govuk-frontend": "5.14.0"' in package


def _post(app, **fields):
    with app.test_request_context("/clients/new", method="POST", data=MultiDict(fields)):
        form = ClientForm()
        form.validate()
        return form


def test_date_input_messages_follow_the_gov_uk_pattern(app):
    blank = [("date_of_birth", ""), ("date_of_birth", ""), ("date_of_birth", "")]
    assert _post(app).date_of_birth.errors == ["Enter a date of birth"]  # not sent at all
    cases = {
        ("", "3", "2009"): "Date of birth must include a day",
        ("", "", "2009"): "Date of birth must include a day and a month",
        ("31", "2", "2009"): "Date of birth must be a real date",
        ("1", "13", "2009"): "Date of birth must be a real date",
        ("1", "3", "09"): "Date of birth must be a real date",
    }
    for (d, m, y), message in cases.items():
        with app.test_request_context("/clients/new", method="POST",
                                      data=MultiDict([("date_of_birth", d), ("date_of_birth", m), ("date_of_birth", y)])):
            form = ClientForm()
            form.validate()
            assert form.date_of_birth.errors == [message], (d, m, y)
            # One message per problem, linking to the day box; what was typed is shown again.
            assert [e for e in error_list(form) if "Date of birth" in e["text"]] == [
                {"text": message, "href": "#date_of_birth-day"}]
            assert f'value="{y}"' in str(form.date_of_birth())
    with app.test_request_context("/clients/new", method="POST", data=MultiDict(blank)):
        form = ClientForm()
        form.validate()
        assert form.date_of_birth.errors == ["Enter a date of birth"] and form.assessment_date.errors == []
    birthday = dt.date.today().replace(year=dt.date.today().year - 17) - dt.timedelta(days=3)
    for parts in ([str(birthday.day), str(birthday.month), str(birthday.year)], [birthday.isoformat()]):  # page, API
        with app.test_request_context("/clients/new", method="POST", data=MultiDict([("date_of_birth", p) for p in parts])):
            form = ClientForm()
            form.validate()
            assert form.date_of_birth.data == birthday and not form.date_of_birth.errors


def test_an_error_is_shown_once_in_sentence_case(app, client, world):
    client.post("/login", data={"email": world["provider"].email, "password": pf.PASSWORD})
    html = client.post(f"/referrals/{world['referral'].id}/answer", data={"decision": "decline"}).get_data(as_text=True)
    # In the summary (a link to the field) and beside the field: the GOV.UK pattern, no more.
    assert html.count("Choose a reason for declining") == 2
    assert 'href="#reason"' in html and "choose a reason" not in html
    assert "no_response" not in html.replace('value="no_response"', "")
