"""Oversight of the system around the shortages: stale listings, provider answer times,
PA caseloads and how often complex cases reach specialist provision."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from flask import current_app
from sqlalchemy import case, func, or_, select

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.directory.models import Organisation, Provision
from broker.extensions import db
from broker.referrals.models import Referral

# Categories that are specialist provision, as opposed to mainstream training or housing.
SPECIALIST = ("mental-health", "drugs-alcohol", "anger-management", "youth-offending")
# A targeted PA carries ~20 young people (DOMAIN.md); more than this is a high caseload.
TARGETED_CASELOAD = 20


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def stale_providers(today: dt.date | None = None) -> list[dict]:
    """Organisations with listings not confirmed within BROKER_STALE_DAYS, most stale first (one SQL count)."""
    today = today or dt.date.today()
    # Provision.is_stale: more than stale_days since it was last confirmed.
    confirmed_by = today - dt.timedelta(days=current_app.config["BROKER_STALE_DAYS"])
    stale = func.sum(case((Provision.last_confirmed < confirmed_by, 1), else_=0))
    counted = db.session.execute(
        select(Organisation.name, func.count(Provision.id), stale, func.min(Provision.last_confirmed))
        .join(Organisation, Organisation.id == Provision.organisation_id)
        .where(Provision.status == "active").group_by(Organisation.id, Organisation.name).having(stale > 0)
    ).all()
    rows = [{"organisation": name, "listings": listings, "stale": int(n), "oldest": oldest, "days_since": (today - oldest).days}
            for name, listings, n, oldest in counted]
    return sorted(rows, key=lambda r: (-r["stale"], -r["days_since"], r["organisation"]))


def answer_times(today: dt.date | None = None) -> list[dict]:
    """Per organisation: referrals, answered, median and mean hours to answer, late and overdue."""
    today = today or dt.date.today()
    per_org: dict[int, dict] = {}
    hours: dict[int, list[float]] = defaultdict(list)
    # Columns, one row a referral: the median needs every answer time.
    for org_id, name, status, sent_at, answered_at, answer_by in db.session.execute(
        select(Referral.organisation_id, Organisation.name, Referral.status, Referral.sent_at, Referral.answered_at,
               Referral.answer_by).join(Organisation, Organisation.id == Referral.organisation_id)
    ):
        row = per_org.setdefault(org_id, {"organisation": name, "referrals": 0, "answered": 0, "late": 0, "overdue": 0})
        row["referrals"] += 1
        if answered_at is not None:
            row["answered"] += 1
            hours[org_id].append((_utc(answered_at) - _utc(sent_at)).total_seconds() / 3600)
            if answered_at.date() > answer_by:
                row["late"] += 1
        elif status in ("sent", "more_info") and answer_by < today:
            row["overdue"] += 1
    rows = []
    for org_id, row in per_org.items():
        h = hours.get(org_id)
        row["median_hours"] = round(statistics.median(h), 1) if h else None
        row["mean_hours"] = round(statistics.fmean(h), 1) if h else None
        rows.append(row)
    return sorted(rows, key=lambda r: (-(r["overdue"] + r["late"]), -(r["median_hours"] or 0), r["organisation"]))


def caseloads() -> list[dict]:
    """Per PA: young people, open needs and complex cases, largest caseload first (SQL counts)."""
    per_client = (select(ClientNeed.client_id, func.count().label("needs"),
                         func.sum(case((ClientNeed.status == "open", 1), else_=0)).label("open"))
                  .group_by(ClientNeed.client_id).subquery())
    needs, open_ = func.coalesce(per_client.c.needs, 0), func.coalesce(per_client.c.open, 0)
    counted = db.session.execute(
        select(Client.pa_id, func.count(Client.id), func.sum(open_),
               func.sum(case((or_(Client.urgency >= 3, needs >= 2), 1), else_=0)))
        .outerjoin(per_client, per_client.c.client_id == Client.id).group_by(Client.pa_id)
    ).all()
    names = dict(db.session.execute(select(User.id, User.name).where(
        or_(User.role == "pa", User.id.in_([pa_id for pa_id, *_ in counted])))).all())
    pas = db.session.scalars(select(User.id).where(User.role == "pa")).all()
    rows = {pa_id: {"pa": names[pa_id], "young_people": 0, "open_needs": 0, "complex": 0} for pa_id in pas}
    for pa_id, young, open_needs, complex_ in counted:
        rows[pa_id] = {"pa": names[pa_id], "young_people": young, "open_needs": int(open_needs or 0), "complex": int(complex_ or 0)}
    return sorted(rows.values(), key=lambda r: (-r["young_people"], r["pa"]))


def specialist_reach() -> list[dict]:
    """Complex cases with a specialist need: how many were referred to, and placed in, specialist
    provision, split by whether their PA carries a targeted (<= 20) or a high caseload. One SQL count.

    Complex: the assessment rates them most urgent, or found two or more needs (as `caseloads`)."""
    caseload = (select(Client.pa_id, case((func.count() <= TARGETED_CASELOAD, 1), else_=0).label("targeted"))
                .group_by(Client.pa_id).subquery())
    needs = (select(ClientNeed.client_id, func.count().label("needs"),
                    func.max(case((ClientNeed.category.in_(SPECIALIST), 1), else_=0)).label("specialist"))
             .group_by(ClientNeed.client_id).subquery())
    referred = (select(Referral.client_id, func.max(case((Referral.status.in_(("accepted", "started")), 1), else_=0)).label("placed"))
                .join(Provision, Provision.id == Referral.provision_id).where(Provision.category.in_(SPECIALIST))
                .group_by(Referral.client_id).subquery())
    counted = dict((targeted, (n, r, int(p or 0))) for targeted, n, r, p in db.session.execute(
        select(caseload.c.targeted, func.count(), func.count(referred.c.client_id), func.sum(referred.c.placed))
        .select_from(Client).join(caseload, caseload.c.pa_id == Client.pa_id).join(needs, needs.c.client_id == Client.id)
        .outerjoin(referred, referred.c.client_id == Client.id)
        .where(needs.c.specialist == 1, or_(Client.urgency >= 3, needs.c.needs >= 2))
        .group_by(caseload.c.targeted)
    ))
    bands = {f"Caseload up to {TARGETED_CASELOAD}": counted.get(1, (0, 0, 0)), f"Caseload over {TARGETED_CASELOAD}": counted.get(0, (0, 0, 0))}
    return [
        {"band": name, "complex_with_specialist_need": n, "referred": r, "placed": p,
         "referred_rate": round(100 * r / n) if n else None, "placed_rate": round(100 * p / n) if n else None}
        for name, (n, r, p) in bands.items()
    ]
