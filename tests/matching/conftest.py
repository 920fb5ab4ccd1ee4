"""Fixtures for the matcher's tests: the contract's example problem and a solver helper."""

from __future__ import annotations

import copy

import pytest

from matching import allocation_to_dict, parse_problem, solve

EXAMPLE = {
    "version": 1,
    "as_of": "2026-01-05",
    "weights": {"urgency_value": 1000, "wait_day_cost": 1, "km_cost": 2},
    "clients": [
        {"id": "c1", "location": {"lat": 53.80, "lon": -1.55}, "age": 17,
         "available_from": "2026-01-05", "urgency": 3,
         "needs": ["housing", "training"], "max_travel_km": 20, "exclude": ["p9"]}
    ],
    "provisions": [
        {"id": "p1", "category": "training", "location": {"lat": 53.79, "lon": -1.54},
         "min_age": 16, "max_age": 19,
         "intakes": [{"id": "p1-jan", "start": "2026-01-12", "places": 12},
                     {"id": "p1-roll", "start": "2026-01-05", "places": 2, "rolling": True}]}
    ],
}


@pytest.fixture
def example() -> dict:
    return copy.deepcopy(EXAMPLE)


def run(raw: dict, **kwargs) -> dict:
    """Solve a contract dict and return the allocation dict."""
    return allocation_to_dict(solve(parse_problem(raw), **kwargs))


@pytest.fixture
def run_problem():
    """`run_problem(raw, **solve_kwargs) -> allocation dict`."""
    return run
