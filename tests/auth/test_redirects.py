"""Every `next` a form returns to stays on this site, whatever is typed into it."""
import pytest

from broker.auth.services import local_path
from tests.directory import factories as f
from tests.people import factories as pf

# What an outsider tries: each leads off the site in some browser, or breaks the header.
OFF_SITE = [
    "/%09/evil.example/",  # a tab: browsers drop it and read //evil.example/
    "/%0a/evil.example/",
    "/%0d/evil.example/",
    "/%0d%0aSet-Cookie:%20x=1",
    "//evil.example/",
    "/%5Cevil.example/",  # a backslash: read as /
    "/%5C%5Cevil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/%01/evil.example/",  # any other control character (a NUL is refused for every field with a 400)
]


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_sign_in_returns_only_to_a_page_of_this_site(app, client, next_url):
    pa = pf.user("pa")
    resp = client.post(f"/login?next={next_url}", data={"email": pa.email, "password": pf.PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/home"  # the PA's home, not the offered address


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_consent_form_returns_only_to_a_page_of_this_site(app, client, next_url):
    org = f.organisation("Aire Training Ltd")
    f.provision("Course", org=org)
    pa = pf.user("pa")
    yp = pf.client(pa)
    client.post("/login", data={"email": pa.email, "password": pf.PASSWORD})
    resp = client.post(
        f"/clients/{yp.id}/consent?next={next_url}",
        data={"organisation_id": org.id, "purpose": "referral", "given": "yes"},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/clients/{yp.id}#consent"


def test_a_page_of_this_site_is_returned_to(app, client):
    pa = pf.user("pa")
    resp = client.post("/login?next=/clients/new%3Fa%3D1", data={"email": pa.email, "password": pf.PASSWORD})
    assert resp.headers["Location"] == "/clients/new?a=1"
    assert local_path("/clients/3?tab=needs#consent") == "/clients/3?tab=needs#consent"
