"""Load the shipped demo directory (directory_data/demo_directory.json).

Dates in the file are relative (days from the load day) so the demo always shows
intakes in the coming months and a realistic share of stale listings.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from broker.config import PROJECT_ROOT
from broker.directory import index_sync
from broker.directory.models import Intake, Location, Organisation, Provision
from broker.extensions import db
from broker.weblinks import clean_url

DEMO_FILE = PROJECT_ROOT / "directory_data" / "demo_directory.json"


def load_demo(path: Path = DEMO_FILE, today: dt.date | None = None, progress=None) -> int:
    """Add the demo organisations and provision to the unit of work (the caller commits, then
    rebuilds the index); returns provisions added."""
    today = today or dt.date.today()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    with index_sync.paused(db.session):
        added = _add_organisations(data, today, progress)
        db.session.flush()
    return added


def _add_organisations(data: dict, today: dt.date, progress) -> int:
    added = 0
    for org in data["organisations"]:
        o = Organisation(
            key=org["key"],
            name=org["name"],
            description=org.get("description", ""),
            email=org.get("email"),
            phone=org.get("phone"),
            website=clean_url(org.get("website"), f"{org['key']}.website"),
        )
        for item in org["provisions"]:
            p = Provision(
                key=item["key"],
                name=item["name"],
                description=item.get("description", ""),
                category=item["category"],
                kind=item.get("kind"),
                min_age=item.get("min_age"),
                max_age=item.get("max_age"),
                areas=item.get("areas"),  # absent: anywhere
                requires=item.get("requires", []),
                cost=item.get("cost") or "Free",
                eligibility=item.get("eligibility", ""),
                referral_route=item.get("referral_route", "form"),
                referral_contact=item.get("referral_contact"),
                referral_form_url=clean_url(item.get("referral_form_url"), f"{item['key']}.referral_form_url"),
                status=item.get("status", "active"),
                last_confirmed=today - dt.timedelta(days=item.get("confirmed_days_ago", 0)),
            )
            p.locations = [
                Location(name=l.get("name", ""), address=l.get("address", ""), postcode=l["postcode"], lat=l["lat"], lon=l["lon"])
                for l in item.get("locations", [])
            ]
            p.intakes = [
                Intake(
                    start=today + dt.timedelta(days=i["start_in_days"]),
                    places=i["places"],
                    places_taken=i.get("taken", 0),
                    # The demo's taken places went to people referred some other way, not by a referral here.
                    places_taken_outside=i.get("taken", 0),
                    rolling=bool(i.get("rolling", False)),
                )
                for i in item.get("intakes", [])
            ]
            o.provisions.append(p)
            added += 1
            if progress:
                progress(1)
        db.session.add(o)
    return added


def demo_size(path: Path = DEMO_FILE) -> int:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return sum(len(o["provisions"]) for o in data["organisations"])
