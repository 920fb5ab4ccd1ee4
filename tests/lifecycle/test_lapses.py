"""A place held by a referral nobody answers comes back to the pool on its own, once;
reminders before and after the answer-by date, and of reviews, are sent once each."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from broker.directory.models import Intake
from broker.extensions import db
from broker.jobs.due import run_due
from broker.notifications.models import Notification
from broker.referrals import services as referrals
from broker.referrals.models import Referral
from tests.lifecycle.conftest import build_world, send

TODAY = dt.date.today()


@pytest.fixture
def world(app):
    return build_world()


def kinds_for(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)))


def _due(r: Referral, days_from_today: int) -> None:
    db.session.get(Referral, r.id).answer_by = TODAY + dt.timedelta(days=days_from_today)
    db.session.commit()


def places_taken(world) -> int:
    db.session.expire_all()
    return db.session.get(Intake, world["intake"].id).places_taken


def test_an_unanswered_referral_lapses_after_the_grace_days_and_frees_its_place_once(app, world):
    late = send(world)
    from tests.people import factories as pf

    other = pf.client(world["pa"], needs=["training"], first_name="Sam", consent_to=[world["org"]])
    on_time = referrals.send_referral(world["pa"], other, other.needs[0].id, world["intake"].id,
                                      "Another young person who is keen to start training.")
    db.session.commit()
    assert places_taken(world) == 2
    _due(late, -2)  # answer-by two days ago: the default grace (2 days) is over
    _due(on_time, -1)  # one day late: still held

    assert ("hold-lapses", "done", "1 lapsed, their places freed") in run_due(["hold-lapses"], force=True)
    db.session.expire_all()
    assert db.session.get(Referral, late.id).status == "lapsed"
    assert db.session.get(Referral, on_time.id).status == "sent"
    assert places_taken(world) == 1
    assert "referral-lapsed" in kinds_for(world["pa"]) and "referral-lapsed" in kinds_for(world["provider"])
    history = referrals.shown_to(world["pa"], db.session.get(Referral, late.id)).history
    assert history[-1]["status"] == "lapsed" and history[-1]["by"] == "The service"

    told = db.session.scalar(select(db.func.count()).select_from(Notification))
    assert ("hold-lapses", "done", "0 lapsed, their places freed") in run_due(["hold-lapses"], force=True)
    assert places_taken(world) == 1  # the place was freed once, not twice
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == told  # nobody told again


def test_a_lapsed_referral_cannot_then_be_answered(app, world):
    r = send(world)
    _due(r, -5)
    run_due(["hold-lapses"], force=True)
    from broker.errors import Conflict

    with pytest.raises(Conflict):
        referrals.answer(world["provider"], db.session.get(Referral, r.id), "accept")


def test_grace_days_come_from_the_setting(app, world):
    app.config["BROKER_HOLD_GRACE_DAYS"] = 5
    r = send(world)
    _due(r, -3)
    run_due(["hold-lapses"], force=True)
    db.session.expire_all()
    assert db.session.get(Referral, r.id).status == "sent" and places_taken(world) == 1


def test_reminders_for_answer_by_tomorrow_overdue_and_reviews_go_once(app, world):
    tomorrow = send(world)
    _due(tomorrow, 1)
    from tests.people import factories as pf

    other = pf.client(world["pa"], needs=["training"], first_name="Sam", consent_to=[world["org"]],
                      review_date=TODAY + dt.timedelta(days=6))
    overdue = referrals.send_referral(world["pa"], other, other.needs[0].id, world["intake"].id,
                                      "Another young person who is keen to start training.")
    db.session.commit()
    _due(overdue, -1)
    before = {u: kinds_for(world[u]) for u in ("pa", "provider")}

    for _ in range(2):
        run_due(["referral-reminders"], force=True)
    new = {u: kinds_for(world[u])[len(before[u]):] for u in ("pa", "provider")}
    assert sorted(new["provider"]) == ["answer-due-tomorrow", "answer-overdue"]
    assert sorted(new["pa"]) == ["answer-overdue", "review-due"]  # the first young person's review is 30 days away
    review = db.session.scalars(select(Notification).where(Notification.kind == "review-due")).one()
    assert review.subject.endswith("Sam T.") and review.link == f"/clients/{other.id}"


ROOT = Path(__file__).resolve().parents[2]


def test_broker_run_due_lapses_holds_from_the_command_line(app, world, database_url, tmp_path):
    r = send(world)
    _due(r, -3)
    env = {**os.environ, "BROKER_DATABASE_URL": database_url, "BROKER_INDEX_DIR": str(tmp_path / "ix"),
           "BROKER_INSTANCE_PATH": str(tmp_path)}
    env.pop("BROKER_REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "broker", "run-due", "--only", "hold-lapses"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "hold-lapses" in done.stdout and "1 lapsed" in done.stdout
    db.session.expire_all()
    assert db.session.get(Referral, r.id).status == "lapsed" and places_taken(world) == 0


def test_an_answer_racing_the_lapse_is_refused_and_the_place_freed_once(app, world):
    """The provider's request read the referral just before the hold lapsed, then answers."""
    r = send(world)
    from tests.people import factories as pf

    other = pf.client(world["pa"], needs=["training"], first_name="Sam", consent_to=[world["org"]])
    referrals.send_referral(world["pa"], other, other.needs[0].id, world["intake"].id,
                            "Another young person who is keen to start training.")  # holds the other place
    db.session.commit()
    _due(r, -3)
    stale = db.session.get(Referral, r.id)
    db.session.expunge(stale)  # what the provider's request read: still "sent"
    db.session.commit()
    run_due(["hold-lapses"], force=True)  # meanwhile the due job lapses it and frees the place
    db.session.add(stale)
    assert stale.status == "sent"
    from broker.errors import Conflict

    with pytest.raises(Conflict):
        referrals.answer(world["provider"], stale, "decline", reason="capacity")
    db.session.rollback()
    assert places_taken(world) == 1  # freed once, by the lapse
    assert db.session.get(Referral, r.id).status == "lapsed"


def test_a_pa_hears_once_of_consent_ending_within_14_days(app, world):
    from broker.clients import services as clients
    from tests.people import factories as pf

    soon = pf.client(world["pa"], needs=["training"], first_name="Sam")
    clients.record_consent(world["pa"], soon, world["org"].id, "referral", True,
                           expires_on=TODAY + dt.timedelta(days=10))
    later = pf.client(world["pa"], needs=["training"], first_name="Alex")
    clients.record_consent(world["pa"], later, world["org"].id, "referral", True,
                           expires_on=TODAY + dt.timedelta(days=40))
    db.session.commit()
    before = kinds_for(world["pa"]).count("consent-expiring")

    assert ("consent-expiring", "done", "1 consents ending within 14 days") in run_due(["consent-expiring"], force=True)
    run_due(["consent-expiring"], force=True)  # a second run tells nobody again
    db.session.commit()
    assert kinds_for(world["pa"]).count("consent-expiring") == before + 1
    notice = db.session.scalars(select(Notification).where(Notification.kind == "consent-expiring")).one()
    assert "Sam" in notice.subject and "Alex" not in notice.subject
    assert notice.link == f"/clients/{soon.id}"
