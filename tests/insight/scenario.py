"""A known scenario with figures worked out by hand (see the test docstrings).

Months: M0 is this month, M1 and M2 the next two. Listings:
- A: training in Leeds (LS1), intake on the 5th of M1, 2 places; one is held by c2's accepted referral.
- B: training in Bradford (BD1), intake on the 10th of M2, 2 places (c5's referral was declined: no places).
- C: housing in Leeds (LS1), intake on the 1st of M1, 1 place.
Young people (all 17, available today), on one PA's caseload:
- c1 LS9 training, urgency 3; c2 LS9 training, urgency 2 (accepted on A); c3 LS9 training, urgency 1;
  c4 LS9 housing + training, urgency 2; c5 BD1 training, urgency 2 (declined on B for capacity).
Searches that found nothing: housing near HX1 within 5 km (page); anger management anywhere (API).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from broker.extensions import db
from broker.insight.allocation import month_of
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.people import factories as pf

SUMMARY = "Background for the provider: wants to start as soon as possible."


def first_of_next(day: dt.date, n: int = 1) -> dt.date:
    m = day.month - 1 + n
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


@dataclass
class Scenario:
    today: dt.date
    months: tuple[str, str, str]
    a_start: dt.date
    b_start: dt.date
    c_start: dt.date
    pa: object
    manager: object
    clients: dict
    provisions: dict


def build(http=None) -> Scenario:
    today = dt.date.today()
    a_start = first_of_next(today, 1) + dt.timedelta(days=4)
    b_start = first_of_next(today, 2) + dt.timedelta(days=9)
    c_start = first_of_next(today, 1)
    org_a, org_b, org_c = f.organisation("Aire Training"), f.organisation("Bradford Skills"), f.organisation("Leeds Housing")
    a = f.provision("Leeds Construction", org=org_a, category="training", at=f.LS1,
                    intakes=[dict(start_in=(a_start - today).days, places=2)])
    b = f.provision("Bradford Joinery", org=org_b, category="training", at=f.BD1,
                    intakes=[dict(start_in=(b_start - today).days, places=2)])
    b.locations[0].postcode = "BD1 1JX"
    c = f.provision("Leeds Foyer", org=org_c, category="housing", at=f.LS1,
                    intakes=[dict(start_in=(c_start - today).days, places=1)])
    db.session.commit()
    pa = pf.user("pa", "pa@scenario.example")
    manager = pf.user("manager", "manager@scenario.example")
    clients = {
        "c1": pf.client(pa, ("training",), "LS9 7AB", urgency=3, first_name="Ada", last_name="Quillfeather"),
        "c2": pf.client(pa, ("training",), "LS9 7AB", urgency=2, consent_to=(org_a,), first_name="Bo", last_name="Quillfeather"),
        "c3": pf.client(pa, ("training",), "LS9 7AB", urgency=1, first_name="Cy", last_name="Quillfeather"),
        "c4": pf.client(pa, ("housing", "training"), "LS9 7AB", urgency=2, first_name="Di", last_name="Quillfeather"),
        "c5": pf.client(pa, ("training",), "BD1 1JX", urgency=2, consent_to=(org_b,), first_name="Ed", last_name="Quillfeather"),
    }
    provider_a, provider_b = pf.user("provider", organisation=org_a), pf.user("provider", organisation=org_b)
    c2, c5 = clients["c2"], clients["c5"]
    r2 = referrals.send_referral(pa, c2, c2.needs[0].id, a.intakes[0].id, SUMMARY)
    referrals.answer(provider_a, r2, "accept")
    r5 = referrals.send_referral(pa, c5, c5.needs[0].id, b.intakes[0].id, SUMMARY)
    referrals.answer(provider_b, r5, "decline", "capacity")
    db.session.commit()  # services only flush; a request or command commits at its end
    if http is not None:
        assert http.get("/?category=housing&near=HX1&radius_km=5").status_code == 200
        assert http.get("/api/v1/provisions?category=anger-management").get_json()["total"] == 0
    months = (month_of(today), month_of(first_of_next(today, 1)), month_of(first_of_next(today, 2)))
    return Scenario(today, months, a_start, b_start, c_start, pa, manager, clients, dict(A=a, B=b, C=c))
