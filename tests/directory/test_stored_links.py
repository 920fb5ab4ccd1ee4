"""Stored links are checked when they come in (the demo loader) and again when shown
(pages and the API), so a hostile link that reached the database is never a link."""
import json

import pytest

from broker.directory.demo import load_demo
from broker.errors import InputError
from tests.directory import factories as f


def _demo_file(tmp_path, **provision):
    item = {"key": "p1", "name": "Course", "category": "training", "locations": [], "intakes": [], **provision}
    data = {"organisations": [{"key": "o1", "name": "Org", "website": "https://org.example/", "provisions": [item]}]}
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_demo_loader_refuses_a_javascript_link_naming_it(app, tmp_path):
    with pytest.raises(InputError) as refused:
        load_demo(_demo_file(tmp_path, referral_form_url="javascript:alert(1)"))
    assert refused.value.field == "p1.referral_form_url"
    assert load_demo(_demo_file(tmp_path, referral_form_url="https://org.example/refer")) == 1


def test_a_stored_hostile_link_is_not_a_link_on_the_page_or_in_the_api(app, client):
    org = f.organisation("Org", website="javascript:alert(document.domain)", email="x@y.example?bcc=z@evil.example\n")
    p = f.provision("Course", org=org, referral_form_url="data:text/html,<script>alert(1)</script>")
    html = client.get(f"/provisions/{p.id}").get_data(as_text=True)
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert "Website: javascript:alert(document.domain)" in html  # shown as text, so it can be reported
    record = client.get(f"/api/v1/provisions/{p.id}").get_json()
    assert record["provider"]["website"] is None and record["how_to_refer"]["form_url"] is None


def test_a_good_link_is_a_link(app, client):
    org = f.organisation("Org", website="https://org.example/", email="hello@org.example")
    p = f.provision("Course", org=org, referral_form_url="https://org.example/refer")
    html = client.get(f"/provisions/{p.id}").get_data(as_text=True)
    assert 'href="https://org.example/refer">Referral form</a>' in html
    assert 'href="mailto:hello@org.example">' in html and 'href="https://org.example/">' in html
    assert client.get(f"/api/v1/provisions/{p.id}").get_json()["how_to_refer"]["form_url"] == "https://org.example/refer"


def test_the_open_referral_feed_never_publishes_an_unsafe_link(app, client):
    """A link that reached the database some other way is left out of the published feed."""
    from broker.extensions import db

    p = f.provision("Drop-in", category="health")
    p.referral_form_url = "javascript:alert(document.domain)"
    p.organisation.website = "data:text/html,<script>alert(1)</script>"
    db.session.commit()
    service = client.get(f"/oruk/services/{p.uid}").get_json()
    assert "url" not in service or service["url"] is None
    org = client.get(f"/oruk/organizations/{p.organisation.uid}").get_json()
    assert "website" not in org or org["website"] is None
