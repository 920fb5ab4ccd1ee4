"""Waits: days from a need being recorded to its placement's start, and who is waiting longest.

A placement is a referral accepted or started; its start is the intake's start (a
rolling intake: the day the referral was sent, or its start if later).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake
from broker.extensions import db
from broker.councils import area_for_postcode
from broker.referrals.models import Referral
from broker.taxonomy import CATEGORIES

BANDS = ((0, 7, "0-7 days"), (8, 28, "8-28 days"), (29, 91, "29-91 days"), (92, 182, "92-182 days"), (183, None, "183+ days"))


def band_of(days: int) -> str:
    for lo, hi, label in BANDS:
        if days >= lo and (hi is None or days <= hi):
            return label
    return BANDS[0][2]


def placement_waits() -> list[tuple[str, str, int]]:
    """(category, area, days waited) for every placement: one query, columns only."""
    rows = db.session.execute(
        select(ClientNeed.category, Client.home_postcode, ClientNeed.recorded_on, Referral.sent_at, Intake.start, Intake.rolling)
        .select_from(Referral)
        .join(ClientNeed, ClientNeed.id == Referral.need_id).join(Client, Client.id == Referral.client_id)
        .join(Intake, Intake.id == Referral.intake_id)
        .where(Referral.status.in_(("accepted", "started")))
    )
    out = []
    for category, postcode, recorded_on, sent_at, start, rolling in rows:
        joined = max(start, sent_at.date()) if rolling else start  # as Intake.joinable_from
        out.append((category, area_for_postcode(postcode), max((joined - recorded_on).days, 0)))
    return out


def distribution(by: str = "category", placed: Optional[list[tuple[str, str, int]]] = None) -> list[dict]:
    """Per category (or area): placements, counts per wait band, median, mean and longest wait
    (`placed`: placement_waits() when already read)."""
    if by not in ("category", "area"):
        raise ValueError("by must be category or area")
    groups: dict[str, list[int]] = defaultdict(list)
    for category, area, days in placement_waits() if placed is None else placed:
        groups[category if by == "category" else area].append(days)
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
    recorded), and counts by wait band. One grouped query for everyone, details for the top `limit` only."""
    today = today or dt.date.today()
    oldest = (select(ClientNeed.client_id, func.min(ClientNeed.recorded_on).label("since"))
              .where(ClientNeed.status == "open").group_by(ClientNeed.client_id).subquery())
    rows = db.session.execute(
        select(Client.id, Client.urgency, Client.home_postcode, oldest.c.since).join(oldest, oldest.c.client_id == Client.id)
    ).all()
    counts = {label: 0 for _lo, _hi, label in BANDS}
    ranked = []
    for client_id, urgency, postcode, since in rows:
        days = max((today - since).days, 0)
        counts[band_of(days)] += 1
        ranked.append((days, urgency, area_for_postcode(postcode), client_id))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2], r[3]))
    top = ranked[:limit]
    ids = [r[3] for r in top]
    cats: dict[int, set[str]] = defaultdict(set)
    for client_id, category in db.session.execute(
        select(ClientNeed.client_id, ClientNeed.category).where(ClientNeed.client_id.in_(ids), ClientNeed.status == "open")
    ):
        cats[client_id].add(category)
    people = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(ids)))} if viewer is not None else {}
    waiting = [
        Waiting(days=days, categories=sorted(cats[cid]), area=area, urgency=urgency,
                name=people[cid].display_name if cid in people and may_see_identity(viewer, people[cid]) else None)
        for days, urgency, area, cid in top
    ]
    return waiting, counts
