"""The listing form stores only http(s) and mailto links, naming the field otherwise."""
import pytest

from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf
from tests.providers.test_listings import form_for, login


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    p = f.provision("Plastering course", org=org, referral_form_url="https://aire.example/refer")
    return dict(p=p, staff=pf.user("provider", organisation=org))


@pytest.mark.parametrize("link", [
    "javascript:alert(document.domain)", "JavaScript://%0aalert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/", "ftp://files.example/x",
])
def test_listing_form_refuses_links_that_are_not_http_or_mailto(app, client, world, link):
    login(client, world["staff"])
    resp = client.post(f"/provider/listings/{world['p'].id}/edit", data=form_for(world["p"], referral_form_url=link))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Referral form link must be a web address starting https://" in html
    db.session.expire_all()
    assert world["p"].referral_form_url == "https://aire.example/refer"


@pytest.mark.parametrize("link, stored", [
    ("https://aire.example/apply", "https://aire.example/apply"),
    ("  http://aire.example/apply  ", "http://aire.example/apply"),
    ("mailto:referrals@aire.example", "mailto:referrals@aire.example"),
    ("", None),
])
def test_listing_form_stores_web_and_mailto_links(app, client, world, link, stored):
    login(client, world["staff"])
    resp = client.post(f"/provider/listings/{world['p'].id}/edit", data=form_for(world["p"], referral_form_url=link))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert world["p"].referral_form_url == stored
