"""Waits: days from a need being recorded to its placement's start, and who is waiting longest.

A placement is a referral accepted or started; its start is the intake's start (a
rolling intake: the day the referral was sent, or its start if later).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple, Optional

from sqlalchemy import case, func, select

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake
from broker.extensions import db
from broker.councils import council_name
from broker.insight import sql
from broker.insight.allocation import band_on
from broker.insight.memo import once_per_request
from broker.referrals.models import Referral
from broker.taxonomy import CATEGORIES

BANDS = ((0, 7, "0-7 days"), (8, 28, "8-28 days"), (29, 91, "29-91 days"), (92, 182, "92-182 days"), (183, None, "183+ days"))


def band_of(days: int) -> str:
    for lo, hi, label in BANDS:
        if days >= lo and (hi is None or days <= hi):
            return label
    return BANDS[0][2]


class Placement(NamedTuple):
    """One placement, without the young person: what waits and shortages count."""

    category: str
    area: str
    start: dt.date
    days: int  # from the need being recorded to the start
    age_band: str  # on the start day


def placement_waits() -> list[Placement]:
    """Every placement (one query, columns only; read once per request: waits and shortages both count them)."""
    return once_per_request("placements", _placements)


def _placements() -> list[Placement]:
    rows = db.session.execute(
        select(ClientNeed.category, sql.area_code(Client), Client.date_of_birth, ClientNeed.recorded_on,
               Referral.sent_at, Intake.start, Intake.rolling)
        .select_from(Referral)
        .join(ClientNeed, ClientNeed.id == Referral.need_id).join(Client, Client.id == Referral.client_id)
        .join(Intake, Intake.id == Referral.intake_id)
        .where(Referral.status.in_(("accepted", "started")))
    )
    out = []
    for category, area, born, recorded_on, sent_at, start, rolling in rows:
        joined = max(start, sent_at.date()) if rolling else start  # as Intake.joinable_from
        out.append(Placement(category, council_name(area), joined, max((joined - recorded_on).days, 0),
                             band_on(born, joined)))
    return out


def distribution(by: str = "category", placed: Optional[list[Placement]] = None) -> list[dict]:
    """Per category (or area): placements, counts per wait band, median, mean and longest wait
    (`placed`: placement_waits() when already read)."""
    if by not in ("category", "area"):
        raise ValueError("by must be category or area")
    groups: dict[str, list[int]] = defaultdict(list)
    for p in placement_waits() if placed is None else placed:
        groups[p.category if by == "category" else p.area].append(p.days)
    order = {c: j for j, c in enumerate(CATEGORIES)}
    rows = []
    for key in sorted(groups, key=lambda k: (order.get(k, 99), k)):
        days = groups[key]
        bands = {label: 0 for _lo, _hi, label in BANDS}
        for d in days:
            bands[band_of(d)] += 1
        rows.append({by: key, "placements": len(days), "bands": bands, "median": statistics.median(days),
                     "mean": round(statistics.fmean(days), 2), "longest": max(days)})
    return rows


@dataclass
class Waiting:
    """A young person still waiting; `name` only for the viewer's own caseload."""

    days: int
    categories: list[str]
    area: str
    urgency: int
    name: Optional[str]


def may_see_identity(viewer: Optional[User], client: Client) -> bool:
    """Insight shows a young person's name only to their own PA: managers see counts."""
    return viewer is not None and client.pa_id == viewer.id


def longest_waiting(viewer: Optional[User], today: dt.date | None = None, limit: int = 10) -> tuple[list[Waiting], dict]:
    """Young people with open needs, longest waiting first (days since their oldest open need was
    recorded; ties: most urgent, then the earliest recorded young person), and counts by wait band.
    SQL counts the bands and picks the top `limit`; only those are read."""
    today = today or dt.date.today()
    oldest = (select(ClientNeed.client_id, func.min(ClientNeed.recorded_on).label("since"))
              .where(ClientNeed.status == "open").group_by(ClientNeed.client_id).subquery())
    # How many wait at most each band's top: `since` on or after today - hi (a future date waits 0 days).
    at_most = [func.sum(case((oldest.c.since >= today - dt.timedelta(days=hi), 1), else_=0)) if hi is not None else func.count()
               for _lo, hi, _label in BANDS]
    upto = [int(n or 0) for n in db.session.execute(select(*at_most).select_from(oldest)).one()]
    counts = {label: upto[j] - (upto[j - 1] if j else 0) for j, (_lo, _hi, label) in enumerate(BANDS)}
    top = db.session.execute(
        select(Client.id, Client.urgency, sql.area_code(Client).label("area"), oldest.c.since)
        .join(oldest, oldest.c.client_id == Client.id)
        .order_by(oldest.c.since, Client.urgency.desc(), Client.id).limit(limit)
    ).all()
    ids = [r.id for r in top]
    cats: dict[int, set[str]] = defaultdict(set)
    for client_id, category in db.session.execute(
        select(ClientNeed.client_id, ClientNeed.category).where(ClientNeed.client_id.in_(ids), ClientNeed.status == "open")
    ):
        cats[client_id].add(category)
    people = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(ids)))} if viewer is not None else {}
    waiting = [
        Waiting(days=max((today - r.since).days, 0), categories=sorted(cats[r.id]), area=council_name(r.area),
                urgency=r.urgency, name=people[r.id].display_name if r.id in people and may_see_identity(viewer, people[r.id]) else None)
        for r in top
    ]
    return waiting, counts
