"""Demo accounts and a small demo caseload, created by `broker init` on an empty database."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select

from broker.auth.models import User
from broker.auth.services import create_user
from broker.clients import services as clients
from broker.directory.models import Provision
from broker.eligibility import broken_rules, client_area
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
    created += create_demo_lead([pa, pa2])
    create_shortage_story([pa, pa2])
    return created


def create_demo_lead(pas: list[User]) -> list[tuple[str, str, str]]:
    """A team lead supervising the demo PAs; returns (role, email, password) to print."""
    from broker.casework.services import supervise

    password = secrets.token_urlsafe(9)
    lead = create_user("lead@demo.example", "Lee Team-Lead", "lead", password)
    for pa in pas:
        supervise(lead, pa)
    return [("lead", "lead@demo.example", password)]


def _demo_caseload(pa: User, org_id: int | None) -> None:
    """The named demo young people: each shows a rule suggestions and referrals respect."""
    today = dt.date.today()

    def born(age: int, birthday_in_days: int) -> dt.date:
        """Aged `age` today, with the next birthday in `birthday_in_days` days."""
        next_birthday = today + dt.timedelta(days=birthday_in_days)
        if (next_birthday.month, next_birthday.day) == (2, 29):
            next_birthday += dt.timedelta(days=1)  # a birthday every year
        return next_birthday.replace(year=next_birthday.year - age - 1)

    people = [
        # first, last, born, postcode, urgency, needs, summary, extra
        ("Jordan", "Demo", born(17, 325), "LS9 7AB", 3, ["training", "housing"],
         "Left college in October; sofa-surfing with friends.", {}),
        ("Casey", "Example", born(16, 325), "BD3 9AA", 2, ["education", "mental-health"],
         "Anxious in large groups; wants to finish GCSE maths.", {}),
        ("Riley", "Sample", born(18, 325), "WF1 2AA", 1, ["employment"],
         "Keen on warehouse or retail work; has a CSCS card.", {}),
        # 15 today, 16 in three weeks: 16+ courses starting after then are open to him.
        ("Farhan", "Boundary", born(15, 21), "BD3 9AA", 2, ["training"],
         "Finishing Year 11 early; wants a construction course.", {}),
        # 19 today, 20 in five weeks: only what starts before then.
        ("Kieran", "Lastchance", born(19, 35), "HD1 1AA", 2, ["training", "employment"],
         "Left sixth form; wants to start something before he turns 20.", {}),
        ("Jade", "Careleaver", born(18, 200), "LS9 7AB", 3, ["housing", "benefits"],
         "Leaving her foster placement at 18; needs somewhere to live.", {"criteria": ["care_leaver"]}),
        ("Ella", "Parent", born(17, 120), "WF1 2AA", 3, ["housing", "health"],
         "Expecting her first baby in the spring.", {"criteria": ["young_parent"]}),
        # Home is Bradford, but he lives in a Leeds children's home, so Leeds services are his.
        ("Marcus", "Placed", born(16, 90), "BD3 9AA", 2, ["education"],
         "Placed in a Leeds children's home last month.", {"area": "E08000035", "criteria": ["looked_after"]}),
    ]
    for first, last, dob, postcode, urgency, needs, summary, extra in people:
        data = dict(
            first_name=first, last_name=last, date_of_birth=dob,
            home_postcode=postcode, available_from=today, urgency=urgency, max_travel_km=20.0,
            assessment_date=today - dt.timedelta(days=7), review_date=today + dt.timedelta(days=42),
            summary=summary, risks="", **extra,
        )
        client = clients.create_client(pa, data)
        for category in needs:
            clients.add_need(pa, client, category, "")
        # Their own choices: two listings they could use for their first need, best first.
        if first in ("Jordan", "Jade", "Ella"):
            clients.update_client(pa, client, {"preferences": _usable(client, needs[0])[:2]})
        if org_id is not None:
            clients.record_consent(pa, client, org_id, "referral", True, "Agreed at the demo set-up")


def _usable(client, category: str) -> list[int]:
    """Ids of active listings in `category` this young person's area and criteria let them use."""
    area = client_area(client)
    listings = db.session.scalars(
        select(Provision).where(Provision.category == category, Provision.status == "active").order_by(Provision.id)
    )
    return [p.id for p in listings
            if (p.areas is None or area in p.areas) and set(p.requires or ()) <= set(client.criteria or ())]


FIRST = ["Aaliyah", "Ben", "Chloe", "Daniel", "Ellie", "Farhan", "Grace", "Harvey", "Imani", "Jack", "Kayla", "Liam",
         "Maya", "Nathan", "Olivia", "Precious", "Reece", "Sana", "Tyler", "Zara"]
LAST = ["Ahmed", "Brown", "Clarke", "Dawson", "Evans", "Fletcher", "Green", "Hussain", "Iqbal", "Jones", "Khan", "Lee",
        "Mitchell", "Nowak", "Patel", "Robinson", "Shaw", "Taylor", "Walsh", "Young"]
# Where shortages bite (DOMAIN.md): training and education first, then housing and support.
NEED_WEIGHTS = {"training": 30, "education": 20, "employment": 12, "housing": 10, "benefits": 6, "health": 4,
                "mental-health": 8, "drugs-alcohol": 4, "anger-management": 3, "youth-offending": 3}
GENERATED = 80
# How often a generated young person meets each criterion services may require.
GENERATED_CRITERIA = {"care_leaver": 0.1, "looked_after": 0.08, "young_parent": 0.06, "send": 0.1, "youth_justice": 0.06}


def _generated_caseload(pas: list[User], org_id: int | None) -> None:
    """A realistic spread of young people so the shortage dashboard has something to show."""
    import csv
    import random

    from broker.config import PROJECT_ROOT
    from broker.errors import DomainError
    from broker.referrals.services import send_referral

    rng = random.Random(2026)
    # Criteria and preferences come from their own sequence, so the people above stay as they were.
    extra = random.Random(2027)
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
            criteria=[c for c, share in GENERATED_CRITERIA.items() if extra.random() < share],
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
        if extra.random() < 0.2:
            usable = _usable(client, categories[0])
            if usable:
                clients.update_client(pas[n % len(pas)], client, {"preferences": extra.sample(usable, min(2, len(usable)))})
        # A few referrals waiting in the demo provider's inbox.
        # (one whose rules let them in: referrals are screened, docs/api.md)
        matching_listing = next((p for p in org_listings if p.category in categories
                                 and not broken_rules(p, client, today + dt.timedelta(days=30))), None)
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
