"""Property tests: on small random problems the allocation is feasible under rules 1-6
and capacities, and its objective equals an independent brute-force optimum."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_brute import best_objective, check_allocation

from matching import allocation_to_dict, parse_problem, solve

AS_OF = date(2026, 1, 5)
CATEGORIES = ["training", "housing", "health"]


def _day(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


@st.composite
def problems(draw) -> dict:
    n_prov = draw(st.integers(0, 4))
    provisions = []
    for p in range(n_prov):
        prov = {
            "id": f"p{p}",
            "category": draw(st.sampled_from(CATEGORIES)),
            "location": {"lat": 53.8 + draw(st.floats(-0.25, 0.25)), "lon": -1.55 + draw(st.floats(-0.4, 0.4))},
            "intakes": [],
        }
        if draw(st.booleans()):
            prov["min_age"] = draw(st.integers(14, 18))
        if draw(st.booleans()):
            prov["max_age"] = draw(st.integers(16, 25))
        if draw(st.integers(0, 4)) == 0:
            prov["weight"] = draw(st.sampled_from([0.0, 0.5, 1.0]))
        for i in range(draw(st.integers(0, 2))):
            intake = {"id": f"p{p}-{i}", "start": _day(draw(st.integers(-60, 420))), "places": draw(st.integers(0, 2))}
            if draw(st.booleans()):
                intake["rolling"] = draw(st.booleans())
            prov["intakes"].append(intake)
        provisions.append(prov)
    clients = []
    for c in range(draw(st.integers(1, 5))):
        client = {
            "id": f"c{c}",
            "location": {"lat": 53.8 + draw(st.floats(-0.25, 0.25)), "lon": -1.55 + draw(st.floats(-0.4, 0.4))},
            "age": draw(st.integers(13, 26)),
            "needs": draw(st.lists(st.sampled_from(CATEGORIES + ["unknown-category"]), min_size=1, max_size=2,
                                   unique=True)),
        }
        if draw(st.booleans()):
            client["available_from"] = _day(draw(st.integers(0, 60)))
        if draw(st.booleans()):
            client["urgency"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            client["max_travel_km"] = draw(st.sampled_from([5, 15, 30, 60]))
        if n_prov and draw(st.booleans()):
            client["exclude"] = [f"p{draw(st.integers(0, n_prov - 1))}"]
        clients.append(client)
    problem = {"version": 1, "as_of": AS_OF.isoformat(), "clients": clients, "provisions": provisions}
    if draw(st.booleans()):
        # Custom weights under which some eligible placements are worth less than nothing.
        problem["weights"] = {"urgency_value": draw(st.sampled_from([1000, 60, 20])),
                              "wait_day_cost": draw(st.sampled_from([0, 1, 3])),
                              "km_cost": draw(st.sampled_from([0, 2, 5]))}
    return problem


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["exact", "pruned", "pricing"]))
def test_allocation_is_feasible_and_optimal(problem, mode):
    alloc = allocation_to_dict(solve(parse_problem(problem), mode=mode, per_need=2, top_m=2))
    ours = check_allocation(problem, alloc)
    best = best_objective(problem)
    assert abs(ours - best) <= 1e-6 * max(1.0, abs(best)), (ours, best)
    assert all(p["value"] > 0 for p in alloc["placements"])


@settings(max_examples=100, deadline=None)
@given(problems())
def test_pinned_placements_stay_and_rest_is_optimal(problem):
    """Pin whatever the first solve chose for client c0; the re-solve keeps it and stays optimal."""
    first = allocation_to_dict(solve(parse_problem(problem)))
    pins = [(p["client"], p["need"], p["intake"]) for p in first["placements"] if p["client"] == "c0"]
    again = allocation_to_dict(solve(parse_problem(problem), pinned=pins))
    kept = {(p["client"], p["need"], p["intake"]) for p in again["placements"] if p.get("pinned")}
    assert kept == set(pins)
    # Pinning part of an optimal allocation leaves an optimal allocation reachable.
    assert abs(again["objective"] - first["objective"]) <= 0.01 * (1 + len(first["placements"]))
