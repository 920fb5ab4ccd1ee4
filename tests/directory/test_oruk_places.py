"""Re-importing an Open Referral feed never frees places that referrals hold.

The feed's `available` says how many places its publisher thinks are left; it cannot
know about referrals sent here since. These tests drive `broker import-oruk` itself
(the command, in process) so they read the same on every version of the importer, and
run on SQLite and PostgreSQL like the rest of the suite.
"""
import json
import threading

from sqlalchemy import func, select

from broker.directory.models import Intake, Provision
from broker.extensions import db
from broker.referrals.models import HOLDS_PLACE, Referral
from broker.errors import DomainError
from broker.referrals.services import send_referral
from tests.people import factories as pf

SERVICE_ID = "5b3c1f0e-2a4d-4c8e-9f10-7d2e3a4b5c6d"
ORG_ID = "0f6e2d1c-3b4a-4958-8776-a5b4c3d2e1f0"


def feed(tmp_path, maximum=2, available=2, name="feed.json"):
    """One HSDS 3.1 service: a bricklaying course in Leeds with a capacity."""
    body = {
        "id": SERVICE_ID, "name": "Bricklaying course", "status": "active",
        "description": "A twelve-week bricklaying course for young people.",
        "minimum_age": 16, "maximum_age": 19, "email": "courses@aire.example",
        "organization": {"id": ORG_ID, "name": "Aire Training", "description": "Training provider"},
        "attributes": [{"id": "7a9d8c6b-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "taxonomy_term": {
            "id": "1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a", "name": "Training", "description": "Training courses"}}],
        "service_at_locations": [{"id": "2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c6b", "location": {
            "id": "3f4e5d6c-7b8a-4f9e-8d1c-2b3a4f5e6d7c", "location_type": "physical", "name": "Aire Centre",
            "latitude": 53.79646, "longitude": -1.5401,
            "addresses": [{"id": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d", "address_1": "1 Main Street", "city": "Leeds",
                           "state_province": "West Yorkshire", "postal_code": "LS1 6DN", "country": "GB",
                           "address_type": "physical"}]}}],
        "capacities": [{"id": "6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f", "unit": {"id": "8e9f0a1b-2c3d-4e4f-9a5b-6c7d8e9f0a1b", "name": "place"},
                        "available": available, "maximum": maximum, "updated": "2025-01-01T09:00:00Z"}],
    }
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def run_import(app, path):
    result = app.test_cli_runner().invoke(args=["import-oruk", path])
    assert result.exit_code == 0, result.output
    return result.output


def the_intake() -> Intake:
    db.session.expire_all()
    p = db.session.scalars(select(Provision).where(Provision.name == "Bricklaying course")).one()
    (intake,) = p.intakes
    return intake


def holding(intake_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Referral).where(Referral.intake_id == intake_id, Referral.status.in_(HOLDS_PLACE))
    )


def young_people(n, org_name="Aire Training"):
    from broker.directory.models import Organisation

    org = db.session.scalars(select(Organisation).where(Organisation.name == org_name)).one()
    pa = pf.user("pa")
    people = [pf.client(pa, needs=["training"], consent_to=[org]) for _ in range(n)]
    db.session.commit()
    return pa, people


def refer(pa, person, intake_id):
    try:
        send_referral(pa, person, person.needs[0].id, intake_id, "Keen to start; left school in the summer.")
        db.session.commit()
        return "held"
    except DomainError as exc:
        db.session.rollback()
        return f"refused:{exc.status}"


def test_reimport_keeps_the_places_referrals_hold(app, tmp_path):
    path = feed(tmp_path, maximum=2, available=2)
    run_import(app, path)
    intake = the_intake()
    assert (intake.places, intake.places_taken) == (2, 0)
    pa, people = young_people(4)

    assert [refer(pa, c, intake.id) for c in people[:2]] == ["held", "held"]
    out = run_import(app, path)  # the publisher still says 2 of 2 are free: it has not heard of our referrals
    assert "the feed says 2 of 2 places are free, but referrals here hold 2; 0 left" in out
    intake = the_intake()
    assert (intake.places, intake.places_taken) == (2, 2)
    assert [refer(pa, c, intake.id) for c in people[2:]] == ["refused:409", "refused:409"]
    assert holding(intake.id) == 2


def test_feed_cannot_cut_places_below_what_referrals_hold(app, tmp_path):
    run_import(app, feed(tmp_path, maximum=3, available=3))
    intake = the_intake()
    pa, people = young_people(3)
    assert [refer(pa, c, intake.id) for c in people[:2]] == ["held", "held"]
    # The publisher cuts the intake to one place, with that one free.
    run_import(app, feed(tmp_path, maximum=1, available=1, name="cut.json"))
    intake = the_intake()
    assert intake.places >= holding(intake.id) == 2
    assert intake.places_taken == 2 and refer(pa, people[2], intake.id) == "refused:409"


def test_feed_taking_more_places_than_referrals_hold_is_respected(app, tmp_path):
    run_import(app, feed(tmp_path, maximum=5, available=5))
    intake = the_intake()
    pa, people = young_people(2)
    assert refer(pa, people[0], intake.id) == "held"
    # Elsewhere four places went: one left, whatever our one referral is.
    run_import(app, feed(tmp_path, maximum=5, available=1, name="four-gone.json"))
    intake = the_intake()
    assert (intake.places, intake.places_taken) == (5, 4)
    assert refer(pa, people[1], intake.id) == "held"
    assert the_intake().places_taken == 5


def test_reimport_racing_referrals_never_overbooks(app, tmp_path):
    places, attempts = 4, 12
    path = feed(tmp_path, maximum=places, available=places)
    run_import(app, path)
    intake_id = the_intake().id
    pa, people = young_people(attempts + 2)
    assert [refer(pa, c, intake_id) for c in people[:2]] == ["held", "held"]  # before the race: two held
    jobs = [(pa.id, c.id) for c in people[2:]]
    db.session.remove()
    barrier = threading.Barrier(attempts + 3)
    outcomes, errors, lock = [], [], threading.Lock()

    def send(pa_id, client_id):
        with app.app_context():
            from broker.auth.models import User
            from broker.clients.models import Client

            barrier.wait(timeout=60)
            try:
                result = refer(db.session.get(User, pa_id), db.session.get(Client, client_id), intake_id)
            except Exception as exc:  # SQLite may refuse a writer that waited too long; never overbook
                result = f"error:{type(exc).__name__}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    def reimport():
        barrier.wait(timeout=60)
        try:
            result = app.test_cli_runner().invoke(args=["import-oruk", path])
            if result.exit_code != 0 and "locked" not in result.output:
                errors.append(result.output)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=job) for job in jobs] + [threading.Thread(target=reimport) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    assert len(outcomes) == attempts
    intake = the_intake()
    held = holding(intake_id)
    assert intake.places == places
    assert intake.places_taken == held == outcomes.count("held") + 2 <= places
    assert held == places  # two places were left for the race; every other PA was told 409
    assert outcomes.count("refused:409") + sum(o.startswith("error") for o in outcomes) == attempts - 2
