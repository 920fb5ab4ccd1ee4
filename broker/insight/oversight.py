"""Oversight of the system around the shortages: stale listings, provider answer times,
PA caseloads and how often complex cases reach specialist provision."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.directory.models import Provision
from broker.extensions import db
from broker.referrals.models import Referral

# Categories that are specialist provision, as opposed to mainstream training or housing.
SPECIALIST = ("mental-health", "drugs-alcohol", "anger-management", "youth-offending")
# A targeted PA carries ~20 young people (DOMAIN.md); more than this is a high caseload.
TARGETED_CASELOAD = 20


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def stale_providers(today: dt.date | None = None) -> list[dict]:
    """Organisations with listings not confirmed within BROKER_STALE_DAYS, most stale first."""
    today = today or dt.date.today()
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    per_org: dict[int, dict] = {}
    for p in db.session.scalars(select(Provision).where(Provision.status == "active").options(selectinload(Provision.organisation))):
        row = per_org.setdefault(p.organisation_id, {"organisation": p.organisation.name, "listings": 0, "stale": 0, "oldest": p.last_confirmed})
        row["listings"] += 1
        row["oldest"] = min(row["oldest"], p.last_confirmed)
        if p.is_stale(today, stale_days):
            row["stale"] += 1
    rows = [dict(r, days_since=(today - r["oldest"]).days) for r in per_org.values() if r["stale"]]
    return sorted(rows, key=lambda r: (-r["stale"], -r["days_since"], r["organisation"]))


def answer_times(today: dt.date | None = None) -> list[dict]:
    """Per organisation: referrals, answered, median and mean hours to answer, late and overdue."""
    today = today or dt.date.today()
    per_org: dict[int, dict] = {}
    hours: dict[int, list[float]] = defaultdict(list)
    for r in db.session.scalars(select(Referral).options(selectinload(Referral.organisation))):
        row = per_org.setdefault(r.organisation_id, {"organisation": r.organisation.name, "referrals": 0, "answered": 0, "late": 0, "overdue": 0})
        row["referrals"] += 1
        if r.answered_at is not None:
            row["answered"] += 1
            hours[r.organisation_id].append((_utc(r.answered_at) - _utc(r.sent_at)).total_seconds() / 3600)
            if r.answered_at.date() > r.answer_by:
                row["late"] += 1
        elif r.status in ("sent", "more_info") and r.answer_by < today:
            row["overdue"] += 1
    rows = []
    for org_id, row in per_org.items():
        h = hours.get(org_id)
        row["median_hours"] = round(statistics.median(h), 1) if h else None
        row["mean_hours"] = round(statistics.fmean(h), 1) if h else None
        rows.append(row)
    return sorted(rows, key=lambda r: (-(r["overdue"] + r["late"]), -(r["median_hours"] or 0), r["organisation"]))


def _complex(client: Client) -> bool:
    # Complex: the assessment rates them most urgent, or found two or more needs.
    return client.urgency >= 3 or len(client.needs) >= 2


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
    provision, split by whether their PA carries a targeted (<= 20) or a high caseload."""
    clients = db.session.scalars(select(Client).options(selectinload(Client.needs))).all()
    size: dict[int, int] = defaultdict(int)
    for c in clients:
        size[c.pa_id] += 1
    referred: dict[int, set[str]] = defaultdict(set)
    for client_id, status, category in db.session.execute(
        select(Referral.client_id, Referral.status, Provision.category).join(Provision, Provision.id == Referral.provision_id)
    ):
        if category in SPECIALIST:
            referred[client_id].add(status)
    bands = {f"Caseload up to {TARGETED_CASELOAD}": [0, 0, 0], f"Caseload over {TARGETED_CASELOAD}": [0, 0, 0]}
    for c in clients:
        if not _complex(c) or not any(n.category in SPECIALIST for n in c.needs):
            continue
        band = bands[f"Caseload up to {TARGETED_CASELOAD}" if size[c.pa_id] <= TARGETED_CASELOAD else f"Caseload over {TARGETED_CASELOAD}"]
        band[0] += 1
        band[1] += bool(referred[c.id])
        band[2] += bool(referred[c.id] & {"accepted", "started"})
    return [
        {"band": name, "complex_with_specialist_need": n, "referred": r, "placed": p,
         "referred_rate": round(100 * r / n) if n else None, "placed_rate": round(100 * p / n) if n else None}
        for name, (n, r, p) in bands.items()
    ]
