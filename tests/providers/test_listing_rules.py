"""A provider says who a listing is for as structure (kind, councils served, only for), and
the listing page and search results say it in words generated from that structure."""
import html

from werkzeug.datastructures import MultiDict

from broker.extensions import db
from broker.taxonomy import KINDS
from tests.directory import factories as f
from tests.people import factories as pf
from tests.providers.test_listings import form_for, login

LEEDS, WAKEFIELD = "E08000035", "E08000036"


def test_provider_sets_areas_requirements_and_kind_and_pages_say_them(app, client):
    org = f.organisation("Aire Housing")
    p = f.provision("Leeds Foyer", org=org, category="housing", min_age=16, max_age=19)
    login(client, pf.user("provider", organisation=org))
    data = MultiDict(form_for(p, min_age="16", max_age="19", eligibility="Must be able to live independently"))
    data.add("areas", LEEDS)
    data.add("areas", WAKEFIELD)
    data.add("requires", "care_leaver")
    data["kind"] = "not-a-kind"
    resp = client.post(f"/provider/listings/{p.id}/edit", data=data)
    assert resp.status_code == 400 and "kind" in resp.get_data(as_text=True).lower()

    data["kind"] = next(iter(KINDS["housing"]))
    resp = client.post(f"/provider/listings/{p.id}/edit", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert p.areas == [LEEDS, WAKEFIELD] and p.requires == ["care_leaver"] and p.kind == data["kind"]

    words = "For 16-19s living in Leeds and Wakefield, care leavers only"
    page = html.unescape(client.get(f"/provisions/{p.id}").get_data(as_text=True))
    assert f"{words}. Must be able to live independently" in page
    found = html.unescape(client.get("/?q=Foyer").get_data(as_text=True))
    assert "Leeds Foyer" in found and words in found

    # Nothing ticked: it takes young people from anywhere again.
    data.poplist("areas")
    data.poplist("requires")
    assert client.post(f"/provider/listings/{p.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert p.areas is None and p.requires == []
