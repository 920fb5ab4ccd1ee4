"""Figures counted in SQL mean what the Python beside them means: a young person's area and age band."""
from __future__ import annotations

import datetime as dt

from broker.extensions import db
from broker.insight import allocation, oversight, shortages, waits
from broker.insight.allocation import band_on, home_area
from broker.insight.models import AllocationUnmet
from tests.insight.scenario import build
from tests.people import factories as pf

BRADFORD = "E08000032"


def test_a_young_person_placed_elsewhere_counts_in_their_recorded_area_everywhere(app):
    """c1-c3 live in Leeds (LS9) but their PA recorded Bradford (placed there): allocation runs, shortages,
    placement waits, who waits longest and the run's unmet needs all count them in Bradford."""
    s = build()
    for key in ("c1", "c2", "c3"):
        s.clients[key].area = BRADFORD
    db.session.commit()
    assert home_area(s.clients["c1"]) == "Bradford"
    run = allocation.run_allocation(s.manager)
    m0, m1, m2 = s.months
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category,area,month", "from": m0, "to": m2}))
    cell = {(r["category"], r["area"], r["month"]): r for r in rows}
    assert cell[("training", "Bradford", m0)]["open_needs"] == 4  # c1, c2, c3 and c5 (who lives there)
    assert cell[("training", "Leeds", m0)]["open_needs"] == 1  # c4
    assert cell[("training", "Bradford", m1)]["placements"] == 1  # c2, accepted on A (a Leeds listing)
    # The run's unmet need (c3, least urgent) is in Bradford too, in the run and in the figures.
    assert db.session.scalars(db.select(AllocationUnmet.area).where(AllocationUnmet.run_id == run.id)).all() == ["Bradford"]
    assert cell[("training", "Bradford", m0)]["unmet"] == 1
    assert [(p.area, p.category) for p in waits.placement_waits()] == [("Bradford", "training")]
    longest, _counts = waits.longest_waiting(None, s.today)
    assert [w.area for w in longest if w.urgency == 3] == ["Bradford"]  # c1


def test_sql_age_bands_and_areas_match_the_python(app):
    """Birthdays on the day they can start, the day after, 29 February, and postcodes typed loosely."""
    pa = pf.user("pa")
    today = dt.date.today()
    later = today + dt.timedelta(days=40)
    people = []
    for born, available_from, postcode in [
        (today.replace(year=today.year - 16), today, "LS9 7AB"),  # 16 today
        (today.replace(year=today.year - 16) + dt.timedelta(days=1), today, "ls29 8aa"),  # 16 tomorrow; Ilkley: Bradford
        (later.replace(year=later.year - 18), later, "HD61AA"),  # 18 on the day they can start; Brighouse: Calderdale
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), "WF1 2EB"),  # a leap-day birthday: 17 until 1 March
        (dt.date(2008, 2, 29), dt.date(2027, 3, 1), "YO1 7HH"),  # 19 on 1 March; outside West Yorkshire
        (today.replace(year=today.year - 21), today, "BD1 1JX"),  # too old for any band
    ]:
        c = pf.client(pa, ("training",), "LS9 7AB")
        c.date_of_birth, c.available_from, c.home_postcode = born, available_from, postcode
        people.append(c)
    db.session.commit()
    expected: dict[tuple, int] = {}
    for c in people:
        start = max(c.available_from, today)
        key = (home_area(c), allocation.month_of(start), band_on(c.date_of_birth, start))
        expected[key] = expected.get(key, 0) + 1
    got = {(f.area, f.month, f.age_band): f.value for f in shortages.facts(today, bands=True) if f.measure == "open_needs"}
    assert got == expected
    assert {a for a, _m, _b in got} == {"Leeds", "Bradford", "Calderdale", "Wakefield", "Outside West Yorkshire"}


def test_stale_providers_and_specialist_reach(app):
    from tests.directory import factories as f

    old_org, fresh_org = f.organisation("Old Org"), f.organisation("Fresh Org")
    f.provision("Old 1", org=old_org, confirmed_days_ago=200)
    f.provision("Old 2", org=old_org, confirmed_days_ago=5)
    f.provision("Fresh", org=fresh_org, confirmed_days_ago=1)
    [row] = oversight.stale_providers()
    assert (row["organisation"], row["listings"], row["stale"], row["days_since"]) == ("Old Org", 2, 1, 200)

    pa = pf.user("pa")
    pf.client(pa, ("mental-health", "training"))  # complex (two needs), specialist need
    pf.client(pa, ("mental-health",), urgency=3)  # complex (most urgent), specialist need
    pf.client(pa, ("mental-health",), urgency=1)  # not complex
    pf.client(pa, ("training", "housing"))  # complex, no specialist need
    small = {r["band"]: r for r in oversight.specialist_reach()}["Caseload up to 20"]
    assert (small["complex_with_specialist_need"], small["referred"], small["placed"]) == (2, 0, 0)
