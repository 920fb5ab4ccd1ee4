"""Pricing mode (column generation with LP duals): equals exact mode, and its gap bound is valid."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest
from matching_brute import check_allocation

from matching import ProblemIndex, allocation_to_dict, parse_problem, solve
from matching.pricing import flow_duals, price
from matching.solver import flow_optimum

AS_OF = date(2026, 1, 5)
CATS = ["training", "housing", "health"]


def _instance(n_clients: int, n_provs: int, seed: int) -> dict:
    rng = random.Random(seed)

    def loc():
        return {"lat": round(53.8 + rng.uniform(-0.15, 0.15), 6), "lon": round(-1.55 + rng.uniform(-0.25, 0.25), 6)}

    provisions = []
    for p in range(n_provs):
        prov = {"id": f"p{p}", "category": rng.choice(CATS), "location": loc(), "intakes": []}
        if rng.random() < 0.4:
            prov["min_age"] = rng.choice([14, 16, 18])
        if rng.random() < 0.4:
            prov["max_age"] = rng.choice([18, 21, 24])
        if rng.random() < 0.1:
            prov["weight"] = 0.5
        for i in range(rng.randint(1, 3)):
            prov["intakes"].append({"id": f"p{p}-{i}", "start": (AS_OF + timedelta(days=rng.randint(-20, 120))).isoformat(),
                                    "places": rng.randint(0, 4), "rolling": rng.random() < 0.25})
        provisions.append(prov)
    clients = []
    for c in range(n_clients):
        client = {"id": f"c{c}", "location": loc(), "age": rng.randint(14, 24),
                  "available_from": (AS_OF + timedelta(days=rng.randint(0, 40))).isoformat(),
                  "urgency": rng.randint(1, 3), "needs": rng.sample(CATS, rng.randint(1, 2)),
                  "max_travel_km": rng.choice([8, 15, 25])}
        if rng.random() < 0.05:
            client["exclude"] = [f"p{rng.randrange(n_provs)}"]
        clients.append(client)
    return {"version": 1, "as_of": AS_OF.isoformat(), "clients": clients, "provisions": provisions}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pricing_equals_exact_and_proves_it(seed):
    raw = _instance(300, 60, seed)
    problem = parse_problem(raw)
    exact = solve(problem, mode="exact")
    priced = solve(problem, mode="pricing", top_m=4)
    d = allocation_to_dict(priced)
    check_allocation(raw, d)  # feasible under rules 1-6 and capacities, reasons right
    assert abs(priced.objective - exact.objective) <= 0.01 * (1 + len(exact.placements))
    assert priced.stats["optimal"] is True
    assert priced.stats["gap_bound"] <= 1e-5
    assert priced.stats["dual_bound"] >= exact.objective - 0.01 * len(exact.placements)


def test_auto_uses_pricing_when_arcs_do_not_fit():
    raw = _instance(200, 40, 4)
    problem = parse_problem(raw)
    exact = solve(problem, mode="exact")
    auto = solve(problem, mode="auto", max_arcs=100)
    assert auto.stats["mode"] == "pricing"
    assert abs(auto.objective - exact.objective) <= 0.01 * (1 + len(exact.placements))


def test_gap_bound_is_valid_when_cut_short():
    """With no time to converge the allocation is feasible and the bound still covers the optimum."""
    raw = _instance(300, 60, 5)
    problem = parse_problem(raw)
    exact = solve(problem, mode="exact")
    short = solve(problem, mode="pricing", top_m=1, time_limit=0.0)
    check_allocation(raw, allocation_to_dict(short))
    assert short.stats["dual_bound"] >= exact.objective - 1e-6 * abs(exact.objective)
    true_gap = (exact.objective - short.objective) / short.objective
    assert short.stats["gap_bound"] >= true_gap - 1e-9
    assert short.stats["gap_bound"] > 0


def test_pricing_with_pins_matches_exact():
    raw = _instance(150, 30, 6)
    problem = parse_problem(raw)
    first = solve(problem, mode="exact")
    pins = [(p.client, p.need, p.intake) for p in first.placements[:10]]
    a = solve(problem, pins, mode="exact")
    b = solve(problem, pins, mode="pricing", top_m=3)
    assert abs(a.objective - b.objective) <= 0.01 * (1 + len(a.placements))
    assert sum(p.pinned for p in b.placements) == len(pins)


def test_residual_duals_are_optimal():
    """The potentials recovered from the flow are dual feasible and close the duality gap."""
    problem = parse_problem(_instance(120, 25, 7))
    index = ProblemIndex.build(problem)
    N, I = len(index.need_client), len(index.intake_ids)
    pp = price(index, np.ones(N, dtype=bool), index.intake_places.copy(), np.zeros(N), np.zeros(I), top_m=10**6)
    used, k = flow_optimum(N, I, pp.need, pp.intake, pp.value, index.intake_places)
    cost = -np.rint(pp.value * 10.0**k).astype(np.int64)
    v, u = flow_duals(N, I, pp.need, pp.intake, cost, used, index.intake_places)
    assert (v >= 0).all() and (u >= 0).all()
    assert (v[pp.need] + u[pp.intake] + cost >= 0).all()
    assert v.sum() + (index.intake_places * u).sum() == -cost[used].sum()


def test_price_pass_covers_every_eligible_arc():
    """With zero duals and a pool as wide as the region, price() keeps exactly the exact-mode arcs
    (best intake of each provision), and g is each need's best value."""
    raw = _instance(100, 20, 8)
    problem = parse_problem(raw)
    index = ProblemIndex.build(problem)
    N, I = len(index.need_client), len(index.intake_ids)
    from matching.candidates import generate_exact

    ex = generate_exact(index, np.ones(N, dtype=bool), index.intake_places.copy(), None)
    pp = price(index, np.ones(N, dtype=bool), index.intake_places.copy(), np.zeros(N), np.zeros(I), top_m=10**6)
    best = np.full(N, -np.inf)
    np.maximum.at(best, ex.need, ex.value)
    has = best > -np.inf
    assert np.allclose(pp.g[has], best[has], atol=0.01)
    assert (pp.g[~has] <= 0.01).all()
    assert (pp.has_eligible == ex.has_eligible).all()
    exact_pairs = set(zip(ex.need.tolist(), ex.intake.tolist()))
    assert set(zip(pp.need.tolist(), pp.intake.tolist())) <= exact_pairs


@pytest.mark.parametrize("seed", [9, 10])
def test_bound_after_few_passes_covers_the_optimum(seed):
    """Stopped after 1-2 passes (the final bound is then tightened by raising intake prices),
    the proven bound still covers the exact optimum and the allocation is feasible."""
    from matching.pricing import solve_by_pricing

    problem = parse_problem(_instance(300, 60, seed))
    index = ProblemIndex.build(problem)
    exact = solve(problem, mode="exact", index=index)
    N = len(index.need_client)
    for passes in (1, 2, 3, 4):
        res = solve_by_pricing(index, np.ones(N, dtype=bool), index.intake_places.copy(), top_m=2,
                               max_passes=passes)
        assert res.bound >= exact.objective - 1e-6 * abs(exact.objective)
        assert res.primal <= exact.objective + 0.01 * len(exact.placements)
        load = np.bincount(res.intake[res.used], minlength=len(index.intake_ids))
        assert (load <= index.intake_places).all()
        assert len(np.unique(res.need[res.used])) == int(res.used.sum())
