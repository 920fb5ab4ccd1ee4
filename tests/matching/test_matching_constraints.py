"""Side constraints solved with CP-SAT: honoured, bounded, and equal to the flow without them."""

from __future__ import annotations

from matching_brute import check_allocation

from matching import allocation_to_dict, parse_problem, solve
from matching.constraints import AreaFairness, NeedsTogether, ProviderShareCap, solve_with_constraints


def _client(cid: str, lat: float, needs: list[str], urgency: int = 1) -> dict:
    return {"id": cid, "location": {"lat": lat, "lon": -1.55}, "age": 17, "needs": needs, "urgency": urgency}


def _prov(pid: str, cat: str, lat: float, places: int) -> dict:
    return {"id": pid, "category": cat, "location": {"lat": lat, "lon": -1.55},
            "intakes": [{"id": f"{pid}-i", "start": "2026-01-10", "places": places}]}


def _problem(clients, provisions) -> dict:
    return {"version": 1, "as_of": "2026-01-05", "clients": clients, "provisions": provisions}


def test_no_constraints_matches_flow_optimum():
    raw = _problem([_client("a", 53.8, ["training", "housing"]), _client("b", 53.81, ["training"], 2)],
                   [_prov("t", "training", 53.8, 1), _prov("h", "housing", 53.8, 1)])
    r = solve_with_constraints(parse_problem(raw), [])
    assert r.status == "OPTIMAL"
    flow = allocation_to_dict(solve(parse_problem(raw)))
    assert abs(r.objective - flow["objective"]) < 0.02
    assert r.best_bound >= r.objective - 0.01


def test_needs_together():
    # a's housing cannot be met (no place), so with NeedsTogether a's training is not placed either.
    raw = _problem([_client("a", 53.8, ["training", "housing"]), _client("b", 53.81, ["training"])],
                   [_prov("t", "training", 53.8, 2), _prov("h", "housing", 53.8, 0)])
    free = solve_with_constraints(parse_problem(raw), [])
    assert {(p.client, p.need) for p in free.allocation.placements} == {("a", "training"), ("b", "training")}
    tied = solve_with_constraints(parse_problem(raw), [NeedsTogether("a")])
    assert tied.status == "OPTIMAL"
    assert {(p.client, p.need) for p in tied.allocation.placements} == {("b", "training")}
    check_allocation(raw, allocation_to_dict(tied.allocation))


def test_provider_share_cap():
    clients = [_client(f"c{k}", 53.8 + k * 0.001, ["training"]) for k in range(4)]
    provs = [_prov("near", "training", 53.8, 4), _prov("far", "training", 53.9, 4)]
    raw = _problem(clients, provs)
    free = solve_with_constraints(parse_problem(raw), [])
    assert all(p.provision == "near" for p in free.allocation.placements)
    capped = solve_with_constraints(parse_problem(raw), [ProviderShareCap(0.5)])
    assert capped.status == "OPTIMAL"
    by = [p.provision for p in capped.allocation.placements]
    assert len(by) == 4 and by.count("near") == 2 and by.count("far") == 2
    # Both provisions belong to one organisation: a 50% cap cannot be met with any placement.
    one_org = solve_with_constraints(parse_problem(raw), [ProviderShareCap(0.5, {"near": "org", "far": "org"})])
    assert one_org.allocation.placements == []


def test_area_fairness():
    # Two places, urgent needs in area A and ordinary ones in area B.
    clients = [_client("a1", 53.8, ["training"], 3), _client("a2", 53.8, ["training"], 3),
               _client("b1", 53.85, ["training"]), _client("b2", 53.85, ["training"])]
    raw = _problem(clients, [_prov("t", "training", 53.82, 2)])
    free = solve_with_constraints(parse_problem(raw), [])
    assert {p.client for p in free.allocation.placements} == {"a1", "a2"}
    areas = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    fair = solve_with_constraints(parse_problem(raw), [AreaFairness(areas, max_shortfall=0.0)], time_limit_s=5)
    assert fair.status == "OPTIMAL"
    assert sorted(p.client[0] for p in fair.allocation.placements) == ["a", "b"]
    assert fair.objective < free.objective <= fair.best_bound + free.objective


def test_pinned_counted_by_constraints():
    raw = _problem([_client("a", 53.8, ["training", "housing"])],
                   [_prov("t", "training", 53.8, 1), _prov("h", "housing", 53.8, 1)])
    r = solve_with_constraints(parse_problem(raw), [NeedsTogether("a")], pinned=[("a", "housing", "h-i")])
    assert {(p.need, p.pinned) for p in r.allocation.placements} == {("housing", True), ("training", False)}
