"""Demo accounts and a small demo caseload, created by `broker init` on an empty database."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select

from broker.auth.models import User
from broker.auth.services import create_user
from broker.clients import services as clients
from broker.directory.models import Organisation, Provision
from broker.extensions import db


def create_demo_people() -> list[tuple[str, str, str]]:
    """Create the demo accounts (if there are no users yet); returns (role, email, password)."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return []
    # Provider staff for the organisation with the most training listings: the demo's busiest inbox.
    org_id = db.session.scalar(
        select(Provision.organisation_id)
        .where(Provision.category == "training", Provision.status == "active")
        .group_by(Provision.organisation_id)
        .order_by(func.count().desc(), Provision.organisation_id)
        .limit(1)
    )
    accounts = [
        ("pa", "pa@demo.example", "Priya Adviser", None),
        ("pa", "pa2@demo.example", "Sam Targeted-PA", None),
        ("provider", "provider@demo.example", "Pat Provider", org_id),
        ("manager", "manager@demo.example", "Morgan Manager", None),
        ("admin", "admin@demo.example", "Alex Admin", None),
    ]
    created = []
    for role, email, name, org in accounts:
        if role == "provider" and org is None:
            continue
        password = secrets.token_urlsafe(9)
        create_user(email, name, role, password, org)
        created.append((role, email, password))
    pa = db.session.scalar(select(User).where(User.email == "pa@demo.example"))
    _demo_caseload(pa, org_id)
    pa2 = db.session.scalar(select(User).where(User.email == "pa2@demo.example"))
    _generated_caseload([pa, pa2], org_id)
    create_shortage_story([pa, pa2])
    return created


def _demo_caseload(pa: User, org_id: int | None) -> None:
    today = dt.date.today()
    people = [
        ("Jordan", "Demo", 17, "LS9 7AB", 3, ["training", "housing"], "Left college in October; sofa-surfing with friends."),
        ("Casey", "Example", 16, "BD3 9AA", 2, ["education", "mental-health"], "Anxious in large groups; wants to finish GCSE maths."),
        ("Riley", "Sample", 18, "WF1 2AA", 1, ["employment"], "Keen on warehouse or retail work; has a CSCS card."),
    ]
    for first, last, age, postcode, urgency, needs, summary in people:
        data = dict(
            first_name=first, last_name=last, date_of_birth=today.replace(year=today.year - age) - dt.timedelta(days=40),
            home_postcode=postcode, available_from=today, urgency=urgency, max_travel_km=20.0,
            assessment_date=today - dt.timedelta(days=7), review_date=today + dt.timedelta(days=42),
            summary=summary, risks="",
        )
        client = clients.create_client(pa, data)
        for category in needs:
            clients.add_need(pa, client, category, "")
        if org_id is not None:
            clients.record_consent(pa, client, org_id, "referral", True, "Agreed at the demo set-up")


FIRST = ["Aaliyah", "Ben", "Chloe", "Daniel", "Ellie", "Farhan", "Grace", "Harvey", "Imani", "Jack", "Kayla", "Liam",
         "Maya", "Nathan", "Olivia", "Precious", "Reece", "Sana", "Tyler", "Zara"]
LAST = ["Ahmed", "Brown", "Clarke", "Dawson", "Evans", "Fletcher", "Green", "Hussain", "Iqbal", "Jones", "Khan", "Lee",
        "Mitchell", "Nowak", "Patel", "Robinson", "Shaw", "Taylor", "Walsh", "Young"]
# Where shortages bite (DOMAIN.md): training and education first, then housing and support.
NEED_WEIGHTS = {"training": 30, "education": 20, "employment": 12, "housing": 10, "benefits": 6, "health": 4,
                "mental-health": 8, "drugs-alcohol": 4, "anger-management": 3, "youth-offending": 3}
GENERATED = 80


def _generated_caseload(pas: list[User], org_id: int | None) -> None:
    """A realistic spread of young people so the shortage dashboard has something to show."""
    import csv
    import random

    from broker.config import PROJECT_ROOT
    from broker.errors import DomainError
    from broker.referrals.services import send_referral

    rng = random.Random(2026)
    with open(PROJECT_ROOT / "directory_data" / "geography" / "west_yorkshire_postcodes.csv", encoding="utf-8") as f:
        postcodes = [row["postcode"] for row in csv.DictReader(f)]
    today = dt.date.today()
    org_listings = []
    if org_id is not None:
        org_listings = list(db.session.scalars(select(Provision).where(Provision.organisation_id == org_id, Provision.status == "active")))
    for n in range(GENERATED):
        postcode = rng.choice(postcodes)
        age = rng.choice([15, 16, 16, 17, 17, 17, 18, 19])
        data = dict(
            first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
            date_of_birth=today - dt.timedelta(days=int(age * 365.25) + rng.randint(10, 300)),
            home_postcode=postcode, available_from=today + dt.timedelta(days=rng.randint(-60, 45)),
            urgency=rng.choice([1, 1, 2, 2, 3]), max_travel_km=float(rng.choice([10, 15, 20, 25])),
            assessment_date=today - dt.timedelta(days=rng.randint(5, 90)), review_date=today + dt.timedelta(days=rng.randint(-10, 60)),
            summary="Generated demo record.", risks="",
        )
        client = clients.create_client(pas[n % len(pas)], data)
        categories: list[str] = []
        wanted = rng.choice([1, 1, 2, 2, 3])
        while len(categories) < wanted:
            pick = rng.choices(list(NEED_WEIGHTS), weights=list(NEED_WEIGHTS.values()))[0]
            if pick not in categories:
                categories.append(pick)
        for category in categories:
            clients.add_need(pas[n % len(pas)], client, category, "")
        # A few referrals waiting in the demo provider's inbox.
        matching_listing = next((p for p in org_listings if p.category in categories), None)
        if matching_listing is not None and n % 4 == 0:
            intake = next((i for i in matching_listing.upcoming_intakes(today) if i.places_left > 0), None)
            need = next(x for x in client.needs if x.category == matching_listing.category)
            if intake is not None:
                clients.record_consent(pas[n % len(pas)], client, org_id, "referral", True, "Agreed at the demo set-up")
                try:
                    send_referral(pas[n % len(pas)], client, need.id, intake.id, "Generated demo referral: keen to start soon.")
                except DomainError:
                    pass  # the place has gone: this demo young person just waits


# Where demand exceeds supply in the demo (need, council, ages, how many, days waited so far), set
# against the demo directory's scarcest cells, so the shortage dashboard, unmet reasons and "where
# one more place helps" have a story to tell.
SHORTAGE_STORY = (
    ("housing", "Wakefield", (16, 17), 12, (20, 120)),        # supported housing for 16-17 year olds
    ("housing", "Calderdale", (16, 17), 14, (20, 120)),
    ("housing", "Leeds", (14, 15), 4, (10, 60)),              # too young for any housing
    ("anger-management", "Kirklees", (15, 18), 20, (30, 150)),
    ("benefits", "Kirklees", (16, 19), 10, (14, 60)),
    ("mental-health", "Leeds", (16, 19), 32, (40, 200)),
)


def create_shortage_story(pas: list[User]) -> int:
    """Young people whose needs outrun the places in a few need x area cells, waiting realistic
    lengths of time (their needs recorded weeks or months ago); returns how many were added."""
    import csv
    import random

    from broker.config import PROJECT_ROOT
    from broker.councils import area_for_postcode

    rng = random.Random(1613)
    with open(PROJECT_ROOT / "directory_data" / "geography" / "west_yorkshire_postcodes.csv", encoding="utf-8") as f:
        postcodes = [row["postcode"] for row in csv.DictReader(f)]
    today = dt.date.today()
    added = 0
    for category, council, (lo, hi), count, (least, most) in SHORTAGE_STORY:
        near = [p for p in postcodes if area_for_postcode(p) == council]
        for n in range(count):
            pa = pas[added % len(pas)]
            age = rng.randint(lo, hi)
            waited = rng.randint(least, most)
            data = dict(
                first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
                date_of_birth=today - dt.timedelta(days=int(age * 365.25) + rng.randint(10, 300)),
                home_postcode=rng.choice(near), available_from=today - dt.timedelta(days=waited),
                urgency=rng.choice([1, 2, 2, 3]), max_travel_km=float(rng.choice([8, 10, 15])),
                assessment_date=today - dt.timedelta(days=waited), review_date=today + dt.timedelta(days=rng.randint(7, 42)),
                summary="Demo record: waiting for a place.", risks="",
            )
            client = clients.create_client(pa, data)
            need = clients.add_need(pa, client, category, "")
            need.recorded_on = today - dt.timedelta(days=waited)
            added += 1
    db.session.flush()
    return added
