"""Reminders to providers whose listings have not been confirmed lately."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from broker.directory.models import Organisation, Provision
from broker.extensions import db


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


def message(org: Organisation, listings: list[Provision], today: dt.date, stale_days: int, link: str) -> str:
    lines = [
        f"To: {org.email or '(no email on file: ' + org.name + ')'}",
        f"Subject: {len(listings)} listing(s) to confirm in the young people's provision directory",
        "",
        f"Hello {org.name},",
        "",
        f"Personal Advisers rely on your listings being current. These have not been confirmed for more than {stale_days} days,",
        "so they are flagged as possibly out of date and rank lower in placement suggestions:",
        "",
    ]
    lines += [f"  - {p.name} (#{p.id}): last confirmed {p.last_confirmed:%d %b %Y}, {(today - p.last_confirmed).days} days ago" for p in listings]
    lines += ["", f"Confirm or update them here: {link}", "(a vacancy file or your system's API token updates them too)", ""]
    return "\n".join(lines)


def write_reminders(folder: Path, today: dt.date, stale_days: int) -> list[tuple[Path, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        link = url_for("providers.listings_page", _external=True)
    except RuntimeError:  # no SERVER_NAME outside a request: give the path
        link = "/provider/listings"
    written = []
    for org, listings in stale_by_organisation(today, stale_days):
        slug = re.sub(r"[^a-z0-9]+", "-", org.name.lower()).strip("-")
        path = folder / f"{org.id:04d}-{slug}.txt"
        path.write_text(message(org, listings, today, stale_days, link), encoding="utf-8")
        written.append((path, len(listings)))
    return written
