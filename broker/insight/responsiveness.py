"""How providers answer referrals: on time or not, declined and why, how fast, and how placements end.

A decline "for lack of places" (reason ``capacity``) while its intake still showed free
places (besides the referral's own held place) is flagged as *declined_capacity_with_places*
and not counted as a shortage (shortages leave it out of declined_capacity).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

from sqlalchemy import select

from broker.directory.models import Intake, Organisation
from broker.extensions import db
from broker.insight.models import CapacityDecline
from broker.referrals.models import DECLINE_REASONS, Referral

# Outcomes counted by their status string (the referral lifecycle names them).
LAPSED, COMPLETED = "lapsed", "completed"


def note_capacity_decline(referral: Referral) -> None:
    """Before a capacity decline frees its place: keep how many other places the intake showed free."""
    if referral.decline_reason != "capacity":
        return
    places, taken = db.session.execute(select(Intake.places, Intake.places_taken).where(Intake.id == referral.intake_id)).one()
    free = max(places - taken, 0)  # taken includes this referral's own hold, so this is what others saw
    db.session.merge(CapacityDecline(referral_id=referral.id, places_free=free))


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def providers(today: dt.date | None = None) -> list[dict]:
    """One row per provider organisation with referrals, least responsive first. One query."""
    today = today or dt.date.today()
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Referral.status, Referral.sent_at, Referral.answered_at,
               Referral.answer_by, Referral.decline_reason, CapacityDecline.places_free)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .outerjoin(CapacityDecline, CapacityDecline.referral_id == Referral.id)
    )
    per: dict[int, dict] = {}
    days: dict[int, list[float]] = defaultdict(list)
    reasons: dict[int, Counter] = defaultdict(Counter)
    for org_id, name, status, sent_at, answered_at, answer_by, reason, places_free in rows:
        r = per.setdefault(org_id, {"provider": name, "referrals": 0, "answered": 0, "answered_on_time": 0,
                                    "answered_late": 0, "overdue": 0, "declined": 0,
                                    "declined_capacity_with_places": 0, "lapsed": 0, "completed": 0})
        r["referrals"] += 1
        if answered_at is not None:
            r["answered"] += 1
            days[org_id].append((_utc(answered_at) - _utc(sent_at)).total_seconds() / 86400)
            r["answered_on_time" if answered_at.date() <= answer_by else "answered_late"] += 1
        elif status in ("sent", "more_info") and answer_by < today:
            r["overdue"] += 1
        if status == "declined":
            r["declined"] += 1
            reasons[org_id][reason or "other"] += 1
            if reason == "capacity" and places_free:
                r["declined_capacity_with_places"] += 1
        r["lapsed"] += status == LAPSED
        r["completed"] += status == COMPLETED
    out = []
    for org_id, r in per.items():
        d = days.get(org_id)
        r["median_answer_days"] = round(statistics.median(d), 1) if d else None
        r["decline_reasons"] = {k: reasons[org_id][k] for k in DECLINE_REASONS if reasons[org_id][k]}
        out.append(r)
    return sorted(out, key=lambda r: (-(r["overdue"] + r["answered_late"] + r["declined_capacity_with_places"]),
                                      -(r["median_answer_days"] or 0), r["provider"]))
