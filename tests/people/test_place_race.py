"""Many PAs racing for the last places of one intake: it is never overbooked.

Runs on whichever database the suite runs on (SQLite by default, PostgreSQL in CI's
second lane), with one real database connection per thread.
"""
import threading

from sqlalchemy import select

from broker.directory.models import Intake
from broker.extensions import db
from broker.referrals.models import Referral
from broker.errors import DomainError
from broker.referrals.services import send_referral
from tests.directory import factories as f
from tests.people import factories as pf

ATTEMPTS = 50
PLACES = 3


def test_fifty_concurrent_referrals_never_overbook(app):
    org = f.organisation("Busy Provider")
    course = f.provision("Popular course", org=org, intakes=[dict(start_in=10, places=PLACES)])
    intake_id = course.intakes[0].id
    pas = [pf.user("pa") for _ in range(5)]
    clients = [pf.client(pas[i % 5], needs=["training"], consent_to=[org]) for i in range(ATTEMPTS)]
    jobs = [(c.pa_id, c.id, c.needs[0].id) for c in clients]
    db.session.remove()

    start = threading.Barrier(ATTEMPTS)
    outcomes, lock = [], threading.Lock()

    def attempt(pa_id, client_id, need_id):
        with app.app_context():
            from broker.auth.models import User
            from broker.clients.models import Client

            start.wait(timeout=60)  # all threads go at once; each then takes a pooled connection
            try:
                pa, client = db.session.get(User, pa_id), db.session.get(Client, client_id)
                send_referral(pa, client, need_id, intake_id, "Keen to start; left school in the summer.")
                db.session.commit()  # as the request boundary does
                result = "held"
            except DomainError as exc:
                result = f"refused:{exc.status}"
            except Exception as exc:  # a database that cannot serialise must fail cleanly, never overbook
                result = f"error:{type(exc).__name__}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(outcomes) == ATTEMPTS
    intake = db.session.get(Intake, intake_id)
    referrals = db.session.scalars(select(Referral).where(Referral.intake_id == intake_id)).all()
    assert outcomes.count("held") == PLACES == intake.places_taken == len(referrals)
    assert outcomes.count("refused:409") == ATTEMPTS - PLACES, outcomes
