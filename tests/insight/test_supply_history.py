"""Free places in past months come from the listing change history."""
from __future__ import annotations

import datetime as dt
import json

from broker.extensions import db
from broker.inputs import add_months, format_month
from broker.insight import shortages
from broker.providers.models import ProvisionChange
from broker.providers.services import snapshot
from tests.directory import factories as f


def _change(p, at: dt.datetime, **intake):
    snap = snapshot(p)
    snap["intakes"] = [dict({"id": 1, "places_taken": 0, "rolling": False}, **intake)]
    db.session.add(ProvisionChange(provision_id=p.id, at=at, source="form", summary="", before="{}", after=json.dumps(snap)))


def test_past_months_supply_from_the_change_history(app):
    today = dt.date.today()
    this_month = today.replace(day=1)
    m3, m2, m1 = (add_months(this_month, -n) for n in (3, 2, 1))
    p = f.provision("Leeds Bricklaying", category="training", at=f.LS1, intakes=[dict(start_in=3, places=4)])
    at = lambda day: dt.datetime.combine(day, dt.time(9), tzinfo=dt.timezone.utc)  # noqa: E731
    # Recorded three months ago: an intake starting two months ago, 5 places, 2 taken.
    _change(p, at(m3 + dt.timedelta(days=2)), start=(m2 + dt.timedelta(days=9)).isoformat(), places=5, places_taken=2)
    # Last month's 1st: a rolling intake from two months ago with 1 free place (as the 1st of last month left it).
    _change(p, at(m2 + dt.timedelta(days=20)), start=(m2 + dt.timedelta(days=9)).isoformat(), places=5, places_taken=4, rolling=True)
    db.session.commit()
    q = shortages.ShortageQuery(("month",), m3, this_month, None, "training")
    rows = {r["month"]: r["supply"] for r in shortages.shortage_rows(q, today)}
    assert rows.get(format_month(m3), 0) == 0  # nothing recorded before that month
    assert rows[format_month(m2)] == 3  # as recorded before m2 began: 5 - 2 on an intake starting in m2
    assert rows[format_month(m1)] == 1  # the later change: rolling, 1 free
    assert rows[format_month(this_month)] == 4  # today's intake, from the listing itself
