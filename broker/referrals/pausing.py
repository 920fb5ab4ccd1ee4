"""Referrals paused while the young person's consent to share with the provider is not in force.

Withdrawing consent pauses that agency's open referrals at once: the provider sees only
that the referral is paused and cannot answer it (409). Giving consent again resumes them
(sent, awaiting an answer). A referral paused for more than PAUSE_DAYS is withdrawn and its
place freed by the due job below (`broker run-due`); so is a referral whose consent
expired, paused first. Each step is a conditional UPDATE on the referral's status, so
running the job twice (or beside a PA's own change) never frees a place twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select, update

from broker.audit import services as audit
from broker.auth.models import User
from broker.extensions import db
from broker.jobs import due_job
from broker.referrals.models import Referral, ReferralEvent

PAUSE_DAYS = 14
OPEN = ("sent", "more_info", "accepted")  # what consent withdrawn pauses


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _move(referral_id: int, from_statuses, to: str, paused_at, user_id: Optional[int], note: str) -> bool:
    """Move one referral on if it is still in one of `from_statuses`; True if this call moved it."""
    moved = db.session.execute(
        update(Referral).where(Referral.id == referral_id, Referral.status.in_(from_statuses))
        .values(status=to, paused_at=paused_at).execution_options(synchronize_session=False)
    ).rowcount == 1
    if moved:
        db.session.add(ReferralEvent(referral_id=referral_id, at=_now(), user_id=user_id, status=to, note=note))
        referral = db.session.get(Referral, referral_id)
        if referral is not None:
            db.session.expire(referral, ["status", "paused_at", "events"])
    return moved


def follow_consent(user: User, client_id: int, organisation_id: int, given: bool) -> list[int]:
    """Pause (consent withdrawn) or resume (consent given) the young person's referrals to this agency."""
    from_statuses, to = (("paused",), "sent") if given else (OPEN, "paused")
    ids = db.session.scalars(select(Referral.id).where(
        Referral.client_id == client_id, Referral.organisation_id == organisation_id, Referral.status.in_(from_statuses))).all()
    note = "Consent given again: the referral is resumed" if given else "Consent withdrawn: the referral is paused"
    moved = [rid for rid in ids if _move(rid, from_statuses, to, None if given else _now(), user.id, note)]
    for rid in moved:
        audit.record(user, "resume" if given else "pause", "referral", rid, client_id)
    return moved


def _system_user_id(referral: Referral) -> int:
    # Events name who made them; the job acts for the young person's PA.
    return referral.pa_id


def pause_expired(today: Optional[dt.date] = None) -> int:
    """Pause open referrals whose referral consent has expired (or was never recorded as in force)."""
    from broker.referrals.services import consented_names

    rows = list(db.session.scalars(select(Referral).where(Referral.status.in_(OPEN))))
    consented = consented_names(rows)
    n = 0
    for r in rows:
        if r.id not in consented and _move(r.id, OPEN, "paused", _now(), _system_user_id(r),
                                          "Consent has expired: the referral is paused"):
            n += 1
    return n


def withdraw_long_paused(now: Optional[dt.datetime] = None) -> int:
    """Withdraw referrals paused more than PAUSE_DAYS and free their places."""
    from broker.referrals.services import _release_place

    cutoff = (now or _now()) - dt.timedelta(days=PAUSE_DAYS)
    rows = list(db.session.scalars(select(Referral).where(Referral.status == "paused", Referral.paused_at <= cutoff)))
    n = 0
    for r in rows:
        intake_id, provision_id, pa_id, client_id = r.intake_id, r.provision_id, r.pa_id, r.client_id
        if _move(r.id, ("paused",), "withdrawn", None, pa_id,
                 f"Paused for more than {PAUSE_DAYS} days without consent: withdrawn and the place freed"):
            _release_place(intake_id, provision_id)
            audit.record(None, "withdraw", "referral", r.id, client_id, reason="paused too long")
            n += 1
    return n


@due_job("paused-referrals", every=dt.timedelta(hours=1),
         title=f"Pause referrals whose consent expired; withdraw those paused over {PAUSE_DAYS} days, freeing places")
def paused_referrals() -> str:
    paused = pause_expired()
    withdrawn = withdraw_long_paused()
    return f"{paused} paused (consent expired), {withdrawn} withdrawn after {PAUSE_DAYS} days (places freed)"
