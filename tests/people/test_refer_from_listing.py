"""Starting a referral from a listing page or a search result, through the real app."""
import re

import pytest
from sqlalchemy import select

from broker.directory.models import Intake
from broker.extensions import db
from broker.referrals.models import Referral
from tests.directory import factories as f
from tests.people import factories as pf
from tests.people.test_referrals import login


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, at=f.LS1, min_age=16, max_age=19,
                         intakes=[dict(start_in=14, places=2), dict(start_in=30, places=1, taken=1)])
    pa = pf.user("pa")
    other_pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, needs=["training"], consent_to=(org,), first_name="Jordan", last_name="Listing")
    no_consent = pf.client(pa, needs=["training"], first_name="Sam", last_name="Noconsent")
    housing_only = pf.client(pa, needs=["housing"], first_name="Alex", last_name="Housing")
    theirs = pf.client(other_pa, needs=["training"], first_name="Casey", last_name="Elsewhere")
    return dict(org=org, course=course, pa=pa, provider=provider, yp=yp, no_consent=no_consent,
                housing_only=housing_only, theirs=theirs)


def test_only_a_signed_in_pa_sees_refer_a_young_person(app, client, world):
    listing, search = f"/provisions/{world['course'].id}", "/?q=&category=training"
    link = f"/clients/refer-from-listing/{world['course'].id}"
    assert link not in client.get(listing).get_data(as_text=True)
    assert link not in client.get(search).get_data(as_text=True)
    assert client.get(link).status_code in (302, 401, 403)
    login(client, world["provider"])
    assert link not in client.get(listing).get_data(as_text=True)
    assert client.get(link).status_code in (302, 403, 404)
    client.post("/logout")
    login(client, world["pa"])
    assert link in client.get(listing).get_data(as_text=True)
    assert link in client.get(search).get_data(as_text=True)


def test_choices_are_the_pas_own_young_people_with_a_need_of_this_kind(app, client, world):
    login(client, world["pa"])
    html = client.get(f"/clients/refer-from-listing/{world['course'].id}").get_data(as_text=True)
    assert "Jordan Listing: training need recorded" in html
    assert "Sam Noconsent: training need recorded" in html and "no consent recorded to share" in html
    assert "Alex Housing" not in html and "Casey Elsewhere" not in html
    first, full = world["course"].intakes
    assert f'value="{first.id}"' in html and f'value="{full.id}"' not in html  # the full start date is not offered


def test_choosing_leads_to_the_same_refer_page_and_sends_the_referral(app, client, world):
    login(client, world["pa"])
    yp, intake = world["yp"], world["course"].intakes[0]
    need = yp.needs[0]
    resp = client.post(f"/clients/refer-from-listing/{world['course'].id}",
                       data={"person_need": f"{yp.id}:{need.id}", "intake_id": str(intake.id)})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/clients/{yp.id}/refer?need_id={need.id}&intake_id={intake.id}")
    refer = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Level 1 Construction" in refer and "Left college in October" in refer  # prefilled from the record
    sent = client.post(resp.headers["Location"], data={
        "need_id": need.id, "intake_id": intake.id, "summary": "Wants a trade; left college in October.", "risks": ""})
    assert sent.status_code == 302
    referral = db.session.scalars(select(Referral).where(Referral.client_id == yp.id)).one()
    assert referral.intake_id == intake.id and referral.status == "sent"
    assert db.session.get(Intake, intake.id).places_taken == 1


def test_errors_keep_what_was_chosen(app, client, world):
    login(client, world["pa"])
    yp, no_consent, intake = world["yp"], world["no_consent"], world["course"].intakes[0]
    url = f"/clients/refer-from-listing/{world['course'].id}"
    resp = client.post(url, data={"person_need": f"{yp.id}:{yp.needs[0].id}"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Choose a start date" in html
    assert re.search(rf'value="{yp.id}:{yp.needs[0].id}"\s+checked', html)
    resp = client.post(url, data={"person_need": f"{no_consent.id}:{no_consent.needs[0].id}", "intake_id": str(intake.id)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "No consent recorded for sharing Sam Noconsent" in html
    assert re.search(rf'value="{intake.id}"\s+checked', html)
    theirs = world["theirs"]
    resp = client.post(url, data={"person_need": f"{theirs.id}:{theirs.needs[0].id}", "intake_id": str(intake.id)})
    assert resp.status_code == 400 and "Choose one of your young people" in resp.get_data(as_text=True)
    assert db.session.scalars(select(Referral)).first() is None
