"""Shortage figures on the known scenario (tests/insight/scenario.py), worked out by hand."""
from __future__ import annotations

import csv
import io

import pytest

from broker.errors import BadParameter

from broker.extensions import db
from broker.insight import allocation, shortages
from broker.insight.models import AllocationUnmet, EmptySearch
from tests.insight.scenario import build


@pytest.fixture
def scenario(app, client):
    return build(http=client)


def _row(rows, **key):
    found = [r for r in rows if all(r[k] == v for k, v in key.items())]
    assert len(found) == 1, (key, rows)
    return found[0]


def test_empty_searches_are_recorded_with_category_area_and_month(scenario):
    rows = db.session.execute(db.select(EmptySearch.source, EmptySearch.category, EmptySearch.area, EmptySearch.month)).all()
    m0 = scenario.months[0]
    assert sorted(rows) == sorted([("page", "housing", "Calderdale", m0), ("api", "anger-management", None, m0)])


def test_allocation_run_figures(scenario):
    """6 needs (c4 has two); training has 4 places (A's 2 including c2's pinned one, B's 2) for
    5 needs, so the least urgent (c3) is unmet for capacity; housing's one place goes to c4."""
    run = allocation.run_allocation(scenario.manager)
    f = run.figures
    assert (f["young_people"], f["needs"], f["met"], f["pinned"], f["unmet"], f["unmet_capacity"]) == (5, 6, 5, 1, 1, 1)
    assert (f["urgency_needs"], f["urgency_met"]) == (12, 11)
    d = lambda day: (day - scenario.today).days  # noqa: E731
    # A takes 2 (c2 pinned + one more), B takes 2, C takes 1: whoever goes where, the waits are these.
    assert f["mean_wait_days"] == round((2 * d(scenario.a_start) + 2 * d(scenario.b_start) + d(scenario.c_start)) / 5, 2)
    # A's intake offers places_left (1) + 1 for the pinned referral: 2, not 3 (no double counting).
    assert f["places"] == 2 + 2 + 1
    unmet = db.session.execute(db.select(AllocationUnmet.need_id, AllocationUnmet.category, AllocationUnmet.area,
                                         AllocationUnmet.month, AllocationUnmet.reason)).all()
    assert unmet == [(scenario.clients["c3"].needs[0].id, "training", "Leeds", scenario.months[0], "capacity")]
    assert "Quillfeather" not in run.figures_json


def test_shortage_rows_by_category_area_month(scenario):
    allocation.run_allocation(scenario.manager)
    m0, m1, m2 = scenario.months
    q = shortages.parse_query({"from": m0, "to": m2})
    rows = shortages.shortage_rows(q)
    wait_a = (scenario.a_start - scenario.today).days
    expected = [
        # category, area, month: open, declined, searches, demand, supply, gap, unmet, placements, mean wait
        ("training", "Bradford", m0, 1, 0, 0, 1, 0, 1, 0, 0, None),
        # c5's "no places" decline came while B showed a free place: flagged, not a shortage.
        ("training", "Bradford", m2, 0, 0, 0, 0, 2, -2, 0, 0, None),
        ("training", "Leeds", m0, 4, 0, 0, 4, 0, 4, 1, 0, None),
        ("training", "Leeds", m1, 0, 0, 0, 0, 1, -1, 0, 1, float(wait_a)),
        ("housing", "Leeds", m0, 1, 0, 0, 1, 0, 1, 0, 0, None),
        ("housing", "Leeds", m1, 0, 0, 0, 0, 1, -1, 0, 0, None),
        ("housing", "Calderdale", m0, 0, 0, 1, 1, 0, 1, 0, 0, None),
        ("anger-management", "Not given", m0, 0, 0, 1, 1, 0, 1, 0, 0, None),
    ]
    got = [(r["category"], r["area"], r["month"], r["open_needs"], r["declined_capacity"], r["empty_searches"],
            r["demand"], r["supply"], r["gap"], r["unmet"], r["placements"], r["mean_wait_days"]) for r in rows]
    assert sorted(got, key=str) == sorted(expected, key=str)
    t = shortages.totals(rows)
    assert (t["demand"], t["supply"], t["unmet"], t["mean_wait_days"]) == (8, 4, 1, float(wait_a))


def test_shortage_rows_by_category_only_and_filters(scenario):
    allocation.run_allocation(scenario.manager)
    m0, _m1, m2 = scenario.months
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category", "from": m0, "to": m2}))
    training = _row(rows, category="training")
    assert (training["demand"], training["supply"], training["unmet"]) == (5, 3, 1)
    leeds = shortages.shortage_rows(shortages.parse_query({"by": "month", "from": m0, "to": m2, "area": "Leeds"}))
    assert [(r["month"], r["demand"], r["supply"]) for r in leeds] == [(m0, 5, 0), (scenario.months[1], 0, 2)]
    # Only this month: B's supply (M2) and the declined referral drop out.
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category", "from": m0, "to": m0}))
    assert (_row(rows, category="training")["demand"], _row(rows, category="training")["supply"]) == (5, 0)


def test_parse_query_names_bad_fields():
    for args, field in [({"by": "category,colour"}, "by"), ({"by": "area,area"}, "by"), ({"from": "2026-13"}, "from"),
                        ({"from": "2026-05", "to": "2026-04"}, "to"), ({"to": "soon"}, "to"), ({"area": "York"}, "area"),
                        ({"category": "yoga"}, "category"), ({"from": "2026-01", "to": "2030-01"}, "to")]:
        with pytest.raises(BadParameter) as exc:
            shortages.parse_query(args)
        assert exc.value.field == field, args


def test_csv_export_is_formula_safe(app, client, scenario):
    allocation.run_allocation(scenario.manager)
    m0, _m1, m2 = scenario.months
    db.session.add(EmptySearch(at=scenario.pa.created_at, source="api", category="=HYPERLINK(\"http://x\")",
                               area="@SUM(A1)", month=m0))
    db.session.commit()
    client.post("/login", data={"email": "manager@scenario.example", "password": "correct horse battery"})
    res = client.get(f"/insight/shortages.csv?by=category,area,month&from={m0}&to={m2}")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(res.get_data(as_text=True))))
    assert table[0][:3] == ["category", "area", "month"] and "demand" in table[0]
    evil = [r for r in table if r[0].startswith("'=")]
    assert evil and evil[0][1] == "'@SUM(A1)"
    # Our own numbers stay numbers: a negative gap is not quoted.
    gap = table[0].index("gap")
    assert "-1" in [r[gap] for r in table[1:]]
    assert all(not cell.startswith(("=", "+", "@")) for r in table for cell in r)
    assert "Quillfeather" not in res.get_data(as_text=True)


@pytest.mark.parametrize("value,cell", [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("Leeds", "Leeds"),
                                        (-3, "-3"), (2.5, "2.5"), (None, "")])
def test_safe_cell(value, cell):
    assert shortages.safe_cell(value) == cell
