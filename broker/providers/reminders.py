"""Reminders to providers whose listings have not been confirmed lately, as notifications
to the organisation's staff (in the app, and by e-mail where SMTP is configured)."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from broker.directory.models import Organisation, Provision
from broker.extensions import db
from broker.notifications import notify
from broker.notifications.services import staff_of


def stale_by_organisation(today: dt.date, stale_days: int) -> list[tuple[Organisation, list[Provision]]]:
    cutoff = today - dt.timedelta(days=stale_days)
    rows = db.session.scalars(
        select(Provision)
        .where(Provision.status == "active", Provision.last_confirmed < cutoff)
        .order_by(Provision.organisation_id, Provision.last_confirmed)
    ).all()
    grouped: dict[int, list[Provision]] = {}
    for p in rows:
        grouped.setdefault(p.organisation_id, []).append(p)
    return [(db.session.get(Organisation, org_id), listings) for org_id, listings in grouped.items()]


def message(listings: list[Provision], today: dt.date, stale_days: int) -> str:
    lines = [
        f"Personal Advisers rely on your listings being current. These have not been confirmed for more than {stale_days} days,",
        "so they are flagged as possibly out of date and rank lower in placement suggestions:",
        "",
    ]
    lines += [f"  - {p.name} (#{p.id}): last confirmed {p.last_confirmed:%d %b %Y}, {(today - p.last_confirmed).days} days ago"
              for p in listings]
    lines += ["", "Confirm or update them on your listings page (a vacancy file or your system's API token updates them too)."]
    return "\n".join(lines)


def remind_stale(today: dt.date, stale_days: int) -> int:
    """Tell each organisation's staff which of its listings need confirming; returns how
    many organisations were told. Staff hear again only when the set of stale listings
    changes (a listing confirmed, or another going stale)."""
    told = 0
    for org, listings in stale_by_organisation(today, stale_days):
        which = ",".join(f"{p.id}@{p.last_confirmed.isoformat()}" for p in listings)
        key = "stale-listings:" + hashlib.sha256(which.encode()).hexdigest()[:32]
        made = notify(staff_of(org.id), "listings-stale", f"{len(listings)} listing(s) to confirm",
                      message(listings, today, stale_days), link="/provider/listings", key=key)
        told += bool(made)
    return told
