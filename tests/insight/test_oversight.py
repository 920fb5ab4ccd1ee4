"""Caseloads and waits of placements, counted in SQL, on the known scenario."""
from __future__ import annotations

import pytest

from broker.insight import oversight, waits
from tests.insight.scenario import build
from tests.people import factories as pf


@pytest.fixture
def scenario(app):
    return build()


def test_caseloads(scenario):
    """One PA: 5 young people, 6 open needs (c4 has two; c2's is open until started), complex: c1 (urgency 3), c4 (two needs)."""
    idle = pf.user("pa", "idle@scenario.example")
    rows = oversight.caseloads()
    assert rows[0] == {"pa": scenario.pa.name, "young_people": 5, "open_needs": 6, "complex": 2}
    assert {"pa": idle.name, "young_people": 0, "open_needs": 0, "complex": 0} in rows


def test_waits_of_placements(scenario):
    """c2's accepted referral on A: from the need recorded today to A's start."""
    days = (scenario.a_start - scenario.today).days
    assert [(p.category, p.area, p.days) for p in waits.placement_waits()] == [("training", "Leeds", days)]
    [row] = waits.distribution("category")
    assert (row["category"], row["placements"], row["median"], row["longest"]) == ("training", 1, days, days)
