"""Who goes first never depends on the order of the input."""

from __future__ import annotations

import copy
import random

import pytest
from matching_brute import best_objective
from test_matching_properties import problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import allocation_to_dict, parse_problem, solve


def _twins(order: list[str]) -> dict:
    """Two identical young people but for urgency, one course with a January and a September place."""
    people = {
        "urgent": {"id": "urgent", "urgency": 3},
        "calm": {"id": "calm", "urgency": 1},
    }
    clients = [{**people[k], "location": {"lat": 53.8, "lon": -1.55}, "birth_date": "2009-06-01",
                "needs": ["training"]} for k in order]
    return {"version": 2, "as_of": "2026-01-05", "clients": clients,
            "provisions": [{"id": "course", "category": "training", "location": {"lat": 53.81, "lon": -1.55},
                            "intakes": [{"id": "january", "start": "2026-01-12", "places": 1},
                                        {"id": "september", "start": "2026-09-07", "places": 1}]}]}


@pytest.mark.parametrize("order", [["urgent", "calm"], ["calm", "urgent"]])
@pytest.mark.parametrize("mode", ["exact", "pricing"])
def test_the_urgent_one_gets_january_in_either_order(order, mode):
    alloc = allocation_to_dict(solve(parse_problem(_twins(order)), mode=mode))
    placed = {p["client"]: p["intake"] for p in alloc["placements"]}
    assert placed == {"urgent": "january", "calm": "september"}


def _shuffled(raw: dict, seed: int) -> dict:
    rng = random.Random(seed)
    out = copy.deepcopy(raw)
    rng.shuffle(out["clients"])
    rng.shuffle(out["provisions"])
    for p in out["provisions"]:
        rng.shuffle(p["intakes"])
    for c in out["clients"]:
        if isinstance(c.get("needs"), list) and len({(n if isinstance(n, str) else n["category"]) for n in c["needs"]}) == len(c["needs"]):
            rng.shuffle(c["needs"])
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(version=2), st.integers(0, 10**6), st.sampled_from(["exact", "pricing"]))
def test_permuting_the_input_does_not_change_the_objective(raw, seed, mode):
    a = solve(parse_problem(raw), mode=mode)
    b = solve(parse_problem(_shuffled(raw, seed)), mode=mode)
    real_a = sum(p.value for p in a.placements)
    real_b = sum(p.value for p in b.placements)
    assert abs(real_a - real_b) <= 1e-6 * max(1.0, abs(real_a))
    assert abs(real_a - best_objective(raw)) <= 1e-6 * max(1.0, abs(real_a))


def test_permuting_a_region_does_not_change_the_objective():
    from test_matching_pricing import region

    raw = region(400, 80, seed=11)
    base = solve(parse_problem(raw), mode="exact")
    for seed in (1, 2):
        other = solve(parse_problem(_shuffled(raw, seed)), mode="exact")
        assert abs(sum(p.value for p in base.placements) - sum(p.value for p in other.placements)) < 1e-6
