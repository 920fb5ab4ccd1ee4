"""Listings an import could not place: hidden until an administrator categorises them; the listing
page shows what the feed said (how to apply, opening times, contacts, languages, areas)."""
from pathlib import Path

from sqlalchemy import select

from broker.directory.models import Provision
from broker.directory.oruk.read import read_source
from broker.directory.oruk.write import import_feed
from broker.extensions import db
from broker.providers.models import ProvisionChange
from tests.directory import factories as f
from tests.people import factories as pf

FIXTURES = Path(__file__).parent / "oruk_fixtures"


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


def waiting_listing() -> Provision:
    import_feed(read_source(str(FIXTURES / "spec31_service_full.json")), db.session)
    db.session.commit()
    return db.session.scalars(select(Provision)).one()


def test_only_administrators_review(app, client):
    p = waiting_listing()
    assert client.get("/admin/review/").status_code == 302  # to sign in
    login(client, pf.user("pa"))
    assert client.get("/admin/review/").status_code == 403
    assert client.post(f"/admin/review/{p.id}", data={f"p{p.id}-decision": "place", f"p{p.id}-category": "health"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Provision, p.id).status == "needs-review"


def test_placing_a_listing_publishes_it_and_is_kept_in_its_history(app, client):
    p = waiting_listing()
    admin = pf.user("admin")
    login(client, admin)
    page = client.get("/admin/review/").get_data(as_text=True)
    assert "Community Counselling" in page and "its name and description suggest mental health" in page
    bad = client.post(f"/admin/review/{p.id}", data={f"p{p.id}-decision": "place", f"p{p.id}-category": "mental-health",
                                                     f"p{p.id}-kind": "housing:emergency-bed"})
    assert bad.status_code == 400 and "Choose a kind within Mental health" in bad.get_data(as_text=True)
    done = client.post(f"/admin/review/{p.id}", data={f"p{p.id}-decision": "place", f"p{p.id}-category": "mental-health",
                                                      f"p{p.id}-kind": "mental-health:counselling"})
    assert done.status_code == 302
    db.session.expire_all()
    p = db.session.get(Provision, p.id)
    assert (p.status, p.category, p.kind, p.review_reason) == ("active", "mental-health", "counselling", None)
    change = db.session.scalars(select(ProvisionChange).where(ProvisionChange.source == "review")).one()
    assert (change.user_id, change.summary) == (admin.id, "Placed at review: Mental health")
    assert client.get(f"/oruk/services/{p.uid}").status_code == 200
    assert "Nothing is waiting for review." in client.get("/admin/review/").get_data(as_text=True)
    # The next import keeps the decision.
    report = import_feed(read_source(str(FIXTURES / "spec31_service_full.json")), db.session)
    db.session.commit()
    assert report.needs_review == [] and db.session.get(Provision, p.id).status == "active"


def test_turning_a_listing_down_withdraws_it_for_good(app, client):
    p = waiting_listing()
    login(client, pf.user("admin"))
    assert client.post(f"/admin/review/{p.id}", data={f"p{p.id}-decision": "reject"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Provision, p.id).status == "withdrawn"
    import_feed(read_source(str(FIXTURES / "spec31_service_full.json")), db.session)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Provision, p.id).status == "withdrawn"


def test_listing_page_shows_what_the_feed_said(app, client):
    p = waiting_listing()
    page = client.get(f"/provisions/{p.id}").get_data(as_text=True)
    assert "Waiting for review" in page
    rows = summary_rows(page)
    assert rows["How to apply"].startswith("If you are an NHS patient")
    assert "Opening times" in page and "10:00:00" in page
    assert rows["Contact"].startswith("Ann Persona, Reception Manager, Reception") and rows["Languages"] == "Urdu"
    assert rows["What to bring"].startswith("Any official identification document")
    placed = f.provision("Drop-in", category="health", areas=["E08000035", "E08000036"])
    assert summary_rows(client.get(f"/provisions/{placed.id}").get_data(as_text=True))["Areas served"] == "Leeds, Wakefield"


def summary_rows(page: str) -> dict[str, str]:
    """The listing's summary list as {key: value text}."""
    import html
    import re

    rows = re.findall(r'govuk-summary-list__key">(.*?)</dt>\s*<dd class="govuk-summary-list__value">(.*?)</dd>', page, re.S)
    text = lambda s: html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s))).strip()
    return {text(k): text(v) for k, v in rows}
