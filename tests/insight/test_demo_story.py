"""The demo tells a shortage story: demand outruns free places in several need x area cells, with real waits."""
from __future__ import annotations

import datetime as dt

from broker.demo_people import SHORTAGE_STORY, create_shortage_story
from broker.directory.demo import load_demo
from broker.extensions import db
from broker.insight import allocation, shortages, waits
from tests.people import factories as pf


def test_demand_exceeds_supply_in_the_story_cells(app):
    load_demo()
    pa = pf.user("pa")
    added = create_shortage_story([pa])
    db.session.commit()
    assert added == sum(n for *_rest, n, _w in SHORTAGE_STORY)
    allocation.run_allocation(pf.user("manager"))
    rows = shortages.shortage_rows(shortages.parse_query({"by": "category,area,age_band"}))
    housing = next(r for r in rows if (r["category"], r["area"], r["age_band"]) == ("housing", "Wakefield", "16-17"))
    assert housing["demand"] > housing["supply"]
    by_cell = {(r["category"], r["area"]): r for r in shortages.shortage_rows(shortages.parse_query({"by": "category,area"}))}
    story = {(c, a) for c, a, *_rest in SHORTAGE_STORY}
    short = [cell for cell in story if by_cell[cell]["gap"] > 0]
    assert len(short) >= 3, {cell: by_cell[cell]["gap"] for cell in story}
    assert sum(by_cell[cell]["unmet"] for cell in story) > 0
    assert by_cell[("housing", "Leeds")]["unmet_by_reason"].get("age", 0) >= 1  # the 14-15 year olds
    for r in rows:
        assert sum(r["unmet_by_reason"].values()) == r["unmet"]
    # Realistic waits: the story's needs were recorded weeks or months ago.
    longest, _counts = waits.longest_waiting(None, dt.date.today())
    assert longest[0].days >= 60
