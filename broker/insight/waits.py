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

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
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
    """(category, area, days waited) for every placement."""
    rows = db.session.scalars(
        select(Referral).where(Referral.status.in_(("accepted", "started")))
        .options(selectinload(Referral.intake), selectinload(Referral.need), selectinload(Referral.client))
    )
    out = []
    for r in rows:
        start = r.intake.joinable_from(r.sent_at.date())
        out.append((r.need.category, area_for_postcode(r.client.home_postcode), max((start - r.need.recorded_on).days, 0)))
    return out


def distribution(by: str = "category") -> list[dict]:
    """Per category (or area): placements, counts per wait band, median, mean and longest wait."""
    if by not in ("category", "area"):
        raise ValueError("by must be category or area")
    groups: dict[str, list[int]] = defaultdict(list)
    for category, area, days in placement_waits():
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
    """Young people with open needs, longest waiting first (since their oldest open need was recorded),
    and counts by wait band."""
    today = today or dt.date.today()
    has_open = select(ClientNeed.client_id).where(ClientNeed.status == "open")
    clients = db.session.scalars(select(Client).where(Client.id.in_(has_open)).options(selectinload(Client.needs))).all()
    waiting = []
    for c in clients:
        needs = c.open_needs
        days = max((today - min(n.recorded_on for n in needs)).days, 0)
        waiting.append(Waiting(
            days=days, categories=sorted({n.category for n in needs}), area=area_for_postcode(c.home_postcode),
            urgency=c.urgency, name=c.display_name if may_see_identity(viewer, c) else None,
        ))
    waiting.sort(key=lambda w: (-w.days, -w.urgency, w.area))
    counts = {label: 0 for _lo, _hi, label in BANDS}
    for w in waiting:
        counts[band_of(w.days)] += 1
    return waiting[:limit], counts
