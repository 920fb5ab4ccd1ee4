"""Providers edit and confirm their own listings; machines replace intakes over the API;
every change is in the history; providers' staff hear of their stale listings."""
import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select

from broker.directory.models import Intake
from broker.directory.params import parse_search
from broker.directory.services import search_provisions
from broker.extensions import db
from broker.providers.models import ProvisionChange
from tests.directory import factories as f
from tests.people import factories as pf

TODAY = dt.date.today()
D1 = (TODAY + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd", email="hello@aire.example")
    other = f.organisation("Calder Skills")
    mine = f.provision("Plastering course", org=org, intakes=[dict(start_in=30, places=4, taken=1)], confirmed_days_ago=45)
    theirs = f.provision("Their course", org=other)
    staff = pf.user("provider", organisation=org)
    return dict(org=org, other=other, mine=mine, theirs=theirs, staff=staff)


def login(client, user):
    client.post("/login", data={"email": user.email, "password": pf.PASSWORD})


def form_for(p, **changes):
    data = {
        "name": p.name, "description": p.description, "eligibility": p.eligibility, "min_age": "", "max_age": "",
        "cost": p.cost, "referral_route": p.referral_route, "referral_contact": "", "referral_form_url": "",
        "status": p.status, "intake_count": "2",
        "intake-0-start": D1, "intake-0-places": "9", "intake-1-start": "", "intake-1-places": "",
    }
    data.update(changes)
    return data


def test_edit_saves_details_and_intakes_and_search_sees_it_at_once(app, client, world):
    login(client, world["staff"])
    resp = client.post(f"/provider/listings/{world['mine'].id}/edit", data=form_for(world["mine"], name="Plastering and rendering"))
    assert resp.status_code == 302
    db.session.expire_all()
    p = world["mine"]
    assert p.name == "Plastering and rendering" and p.last_confirmed == TODAY
    assert [(i.places, i.places_taken) for i in p.intakes] == [(9, 1)]
    sq, _ = parse_search({"q": "rendering", "has_places": "true"}, today=TODAY)
    total, results = search_provisions(sq)
    assert total == 1 and results[0].places_left == 8
    change = db.session.scalars(select(ProvisionChange)).one()
    assert change.source == "form" and change.user_id == world["staff"].id
    assert json.loads(change.before)["intakes"][0]["places"] == 4 and json.loads(change.after)["intakes"][0]["places"] == 9


def test_edit_keeps_what_was_typed_and_names_the_problem(app, client, world):
    login(client, world["staff"])
    resp = client.post(
        f"/provider/listings/{world['mine'].id}/edit",
        data=form_for(world["mine"], name="Typed new name", **{"intake-0-places": "0"}),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Intake 1, places: 1 places on this intake are held by referrals" in html
    assert 'value="Typed new name"' in html and 'value="0"' in html
    db.session.expire_all()
    assert world["mine"].name == "Plastering course" and world["mine"].intakes[0].places == 4


def test_confirm_stamps_today_and_clears_the_stale_flag(app, client, world):
    login(client, world["staff"])
    assert "1 listing needs confirming" in client.get("/provider/listings").get_data(as_text=True)
    client.post(f"/provider/listings/{world['mine'].id}/confirm")
    db.session.expire_all()
    assert world["mine"].last_confirmed == TODAY
    assert "needs confirming" not in client.get("/provider/listings").get_data(as_text=True)
    assert db.session.scalars(select(ProvisionChange)).one().source == "confirm"


def test_other_organisations_listings_are_out_of_reach(app, client, world):
    login(client, world["staff"])
    theirs = world["theirs"].id
    assert client.get(f"/provider/listings/{theirs}/edit").status_code == 404
    assert client.post(f"/provider/listings/{theirs}/confirm").status_code == 404
    assert client.get(f"/provider/listings/{theirs}/history").status_code == 404


def _org_token(client, staff):
    login(client, staff)
    html = client.post("/provider/tokens", data={"label": "Our MIS"}).get_data(as_text=True)
    return html.split('id="new-token">')[1].split("</code>")[0]


def test_api_replaces_intakes_atomically_with_named_errors(app, client, world):
    token = _org_token(client, world["staff"])
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/provisions/{world['mine'].id}/intakes"
    ok = client.put(url, headers=headers, json={"intakes": [{"start": D1, "places": 7, "rolling": False}]})
    assert ok.status_code == 200 and ok.get_json()["intakes"][0]["places"] == 7

    before = [(i.id, i.places) for i in db.session.scalars(select(Intake))]
    bad = client.put(url, headers=headers, json={"intakes": [{"start": D1, "places": 7}, {"start": "soon", "places": -1}]})
    body = bad.get_json()
    assert bad.status_code == 400 and body["field"] == "intakes[1].start"
    assert {e["field"] for e in body["errors"]} == {"intakes[1].start", "intakes[1].places"}
    db.session.expire_all()
    assert [(i.id, i.places) for i in db.session.scalars(select(Intake))] == before

    assert client.put(f"/api/v1/provisions/{world['theirs'].id}/intakes", headers=headers, json={"intakes": []}).status_code == 403
    assert client.put(url, json={"intakes": []}).status_code == 401
    change = db.session.scalars(select(ProvisionChange).where(ProvisionChange.source == "api")).one()
    assert change.token_id is not None and change.user_id is None


def test_revoked_token_stops_working(app, client, world):
    token = _org_token(client, world["staff"])
    from broker.providers.models import OrganisationToken

    row = db.session.scalars(select(OrganisationToken)).one()
    client.post(f"/provider/tokens/{row.id}/revoke")
    resp = client.put(f"/api/v1/provisions/{world['mine'].id}/intakes", headers={"Authorization": f"Bearer {token}"}, json={"intakes": []})
    assert resp.status_code == 401


def test_feed_uploads_and_api_racing_referrals_never_overbook(app, world):
    """Providers cutting places (vacancy files and API) while PAs hold them: places_taken never exceeds places."""
    from broker.providers import services as provider_services
    from broker.errors import DomainError
    from broker.referrals.services import send_referral

    org = world["org"]
    course = f.provision("Race course", org=org, intakes=[dict(start_in=20, places=10)])
    intake_id, pid, start = course.intakes[0].id, course.id, course.intakes[0].start
    pa = pf.user("pa")
    clients = [pf.client(pa, consent_to=[org]) for _ in range(12)]
    jobs = [(c.id, c.needs[0].id) for c in clients]
    staff_id, pa_id = world["staff"].id, pa.id
    # Half the cuts arrive as vacancy files (checked now, applied in the race), half over the API.
    from broker.providers import feed

    uploads = {}
    for places in (2, 4, 6):
        csv_text = f"provision_id,start,places,rolling\n{pid},{start.isoformat()},{places},no\n"
        staged, _, problems = feed.stage(world["staff"], f"cut-{places}.csv", csv_text.encode())
        assert not problems
        uploads[places] = staged.id
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(len(jobs) + 6)
    errors = []

    def refer(client_id, need_id):
        with app.app_context():
            from broker.auth.models import User
            from broker.clients.models import Client

            barrier.wait(timeout=60)
            try:
                send_referral(db.session.get(User, pa_id), db.session.get(Client, client_id), need_id, intake_id, "Ready to start this month.")
                db.session.commit()  # as the request boundary does
            except DomainError:
                db.session.rollback()
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    def cut(places):
        with app.app_context():
            from broker.auth.models import User
            from broker.directory.models import Provision

            from broker.providers.models import FeedUpload

            barrier.wait(timeout=60)
            try:
                staff = db.session.get(User, staff_id)
                if places in uploads:
                    feed.apply_upload(staff, db.session.get(FeedUpload, uploads[places]))
                else:
                    p = db.session.get(Provision, pid)
                    provider_services.replace_intakes(p, [provider_services.IntakeRow(start, places, False)], "api", staff)
                db.session.commit()  # as the request boundary does
            except DomainError:
                db.session.rollback()
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refer, args=j) for j in jobs] + [threading.Thread(target=cut, args=(n,)) for n in (2, 3, 4, 5, 6, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [e for e in errors if "locked" not in str(e)], errors
    intake = db.session.get(Intake, intake_id)
    from broker.referrals.models import Referral

    held = db.session.scalars(select(Referral).where(Referral.intake_id == intake_id)).all()
    assert intake.places_taken <= intake.places
    assert intake.places_taken == len(held)


def test_stale_listings_are_told_to_the_providers_staff_once(app, world):
    from broker.notifications.models import Notification
    from broker.providers.reminders import remind_stale

    assert remind_stale(TODAY, 30) == 1
    db.session.commit()
    notes = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(world["staff"].id, "listings-stale")]
    assert "Plastering course" in notes[0].body and "45 days ago" in notes[0].body and "Their course" not in notes[0].body
    assert remind_stale(TODAY, 30) == 0  # the same stale listings: nobody is told again
