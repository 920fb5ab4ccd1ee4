"""Pricing mode (column generation with duals from the flow): equals exact mode, proves it,
is never worse than greedy, and keeps a valid bound when cut short. Plus the pieces it
rests on: the scan keeps every eligible arc, arcs' values agree everywhere, duals are optimal."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest
from matching_brute import check_allocation

from matching import ProblemIndex, Tuning, allocation_to_dict, greedy, parse_problem, solve
from matching.flow import compact_flow, duals, flow_with_duals, potentials, repaired_flow_with_duals
from matching.scan import arc_units, run_scan
from matching.solver import value_scale

AS_OF = date(2026, 1, 5)
CATS = ["training", "housing", "health"]
AREAS = ["A", "B", "C", "D", "E"]
CRITERIA = ["care_leaver", "young_parent"]


def region(n_clients: int, n_provs: int, seed: int) -> dict:
    """A version 2 region with every feature, many clients and sites sharing points
    (listings serving one to four areas, some requiring one or two criteria; some young
    people without an area)."""
    rng = random.Random(seed)
    points = [{"lat": round(53.8 + rng.uniform(-0.15, 0.15), 6), "lon": round(-1.55 + rng.uniform(-0.25, 0.25), 6)}
              for _ in range(max(10, n_clients // 4))]
    provisions = []
    for p in range(n_provs):
        prov = {"id": f"p{p}", "category": rng.choice(CATS), "intakes": []}
        if rng.random() < 0.2:
            prov["locations"] = rng.sample(points, 2)
        else:
            prov["location"] = rng.choice(points)
        if rng.random() < 0.4:
            prov["min_age"], prov["max_age"] = rng.choice([(16, 19), (14, 18), (18, 25)])
        if rng.random() < 0.3:
            prov["areas"] = rng.sample(AREAS, rng.randint(1, 4))
        if rng.random() < 0.15:
            prov["requires"] = rng.sample(CRITERIA, rng.randint(1, 2))
        if rng.random() < 0.1:
            prov["weight"] = 0.9
        for i in range(rng.randint(1, 3)):
            prov["intakes"].append({"id": f"p{p}-{i}", "start": (AS_OF + timedelta(days=rng.randint(-20, 120))).isoformat(),
                                    "places": rng.randint(0, 4), "rolling": rng.random() < 0.25})
        provisions.append(prov)
    clients = []
    for c in range(n_clients):
        client = {"id": f"c{c}", "location": rng.choice(points),
                  "birth_date": (AS_OF - timedelta(days=rng.randint(14 * 365, 22 * 365))).isoformat(),
                  "available_from": (AS_OF + timedelta(days=rng.randint(0, 40))).isoformat(),
                  "urgency": rng.randint(1, 3), "area": rng.choice(AREAS),
                  "needs": [{"category": k, "since": (AS_OF - timedelta(days=rng.randint(0, 400))).isoformat()}
                            for k in rng.sample(CATS, rng.randint(1, 2))],
                  "max_travel_km": rng.choice([8, 15, 25])}
        if rng.random() < 0.2:
            client["criteria"] = rng.sample(CRITERIA, rng.randint(1, 2))
        if rng.random() < 0.05:
            del client["area"]
        if rng.random() < 0.2:
            client["prefers"] = [f"p{rng.randrange(n_provs)}" for _ in range(2)]
            client["prefers"] = list(dict.fromkeys(client["prefers"]))
        if rng.random() < 0.05:
            client["exclude"] = [f"p{rng.randrange(n_provs)}"]
        clients.append(client)
    return {"version": 2, "as_of": AS_OF.isoformat(), "clients": clients, "provisions": provisions}


SMALL = Tuning(seed_best=1, seed_random=1, pass_best=2, intake_best=1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pricing_equals_exact_and_proves_it(seed):
    raw = region(300, 60, seed)
    raw["report"] = ["marginal_values"]
    problem = parse_problem(raw)
    exact = solve(problem, mode="exact")
    priced = solve(problem, mode="pricing", tuning=SMALL)
    check_allocation(raw, allocation_to_dict(priced))
    assert abs(sum(p.value for p in priced.placements) - sum(p.value for p in exact.placements)) < 1e-4
    assert priced.stats["optimal"] is True and priced.stats["gap_bound"] == 0.0
    assert priced.stats["pricing_passes"] > 2
    for k, x in exact.marginal_values.items():
        assert abs(priced.marginal_values[k] - x) < 1e-4, k


def test_auto_is_exact_for_small_regions():
    problem = parse_problem(region(200, 40, 4))
    assert solve(problem).stats["mode"] == "exact"


def test_never_worse_than_greedy_even_with_no_time():
    raw = region(400, 60, 5)
    problem = parse_problem(raw)
    g = greedy(problem)
    short = solve(problem, mode="pricing", time_limit=0.0)
    check_allocation(raw, allocation_to_dict(short))
    assert sum(p.value for p in short.placements) >= sum(p.value for p in g.placements) - 1e-6
    exact = solve(problem, mode="exact")
    # The bound is valid: the optimum is within it.
    gap = short.stats["gap_bound"]  # None: stopped before every arc was seen, so no bound
    assert gap is None or gap >= (exact.objective - short.objective) / short.objective - 1e-9


def test_pricing_with_pins_matches_exact():
    problem = parse_problem(region(150, 30, 6))
    first = solve(problem, mode="exact")
    pins = [(p.client, p.need, p.intake) for p in first.placements[:10]]
    a = solve(problem, pins, mode="exact")
    b = solve(problem, pins, mode="pricing", tuning=SMALL)
    assert abs(a.objective - b.objective) <= 0.01 * (1 + len(a.placements))
    assert sum(p.pinned for p in b.placements) == len(pins)


def test_flows_solved_side_by_side_in_processes_give_the_same_optimum():
    """Every round's categories on two worker processes (as at 100k) and in this process
    agree, with new arcs put into the last flows here meanwhile or not."""
    problem = parse_problem(region(400, 80, 4))
    exact = solve(problem, mode="exact")
    for parallel_flow_needs, insert_share in ((10**9, 0.0), (0, 0.0), (0, 0.05)):
        priced = solve(problem, mode="pricing", tuning=Tuning(seed_best=1, seed_random=1, pass_best=2, intake_best=1,
                                                              threads=2, parallel_flow_needs=parallel_flow_needs,
                                                              insert_share=insert_share))
        assert priced.stats["optimal"] is True and priced.stats["flow_rounds"] > 1
        assert abs(sum(p.value for p in priced.placements) - sum(p.value for p in exact.placements)) < 1e-4


def test_pricing_that_puts_new_arcs_into_the_last_flows_reaches_the_same_optimum():
    problem = parse_problem(region(400, 80, 5))
    exact = solve(problem, mode="exact")
    small = dict(seed_best=1, seed_random=1, pass_best=2, intake_best=1)
    for insert_share in (0.0, 1.0):
        priced = solve(problem, mode="pricing", tuning=Tuning(**small, insert_share=insert_share))
        assert priced.stats["optimal"] is True
        rounds = [h for h in priced.stats["history"] if "solved" in h]
        assert any(h["by_inserting_arcs"] for h in rounds) is bool(insert_share)
        assert abs(sum(p.value for p in priced.placements) - sum(p.value for p in exact.placements)) < 1e-4


def _setup(seed=7):
    problem = parse_problem(region(250, 50, seed))
    index = ProblemIndex.build(problem)
    return index, value_scale(index)


def test_scan_values_agree_with_the_value_function():
    """Every arc the scan keeps has the value `arc_units` (the rules' one formula) gives it."""
    index, scale = _setup()
    sr = run_scan(index, np.ones(index.n_needs, dtype=bool), index.intake_places, scale)
    assert len(sr.need) > 1000
    assert (arc_units(index, sr.need, sr.intake, scale) == sr.w).all()


def test_pricing_pass_covers_every_arc():
    """With zero duals and room for every arc, a pricing pass keeps exactly the exact arcs
    and G is each need's best value."""
    index, scale = _setup(8)
    N = index.n_needs
    ex = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale)
    pp = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale, best=1000, threshold=-np.inf)
    assert set(zip(pp.need.tolist(), pp.intake.tolist())) == set(zip(ex.need.tolist(), ex.intake.tolist()))
    best = np.full(N, -np.inf)
    np.maximum.at(best, ex.need, ex.w)
    assert (pp.G == best).all() and (pp.eligible == ex.eligible).all()


# Without the eligibility check (as pricing's passes run) the scan filters each need's
# provisions on their bounds before looking at them: the same arcs must come out.
@pytest.mark.parametrize("check_eligible", [True, False])
def test_pass_with_duals_finds_every_arc_that_prices_out(check_eligible):
    index, scale = _setup(9)
    N, I = index.n_needs, index.n_intakes
    ex = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale)
    rng = np.random.default_rng(0)
    v = rng.integers(0, 1500, N) * scale
    u = rng.integers(0, 1500, I) * scale
    rc = ex.w - v[ex.need] - u[ex.intake]
    want = set(zip(ex.need[rc > 0].tolist(), ex.intake[rc > 0].tolist()))
    got = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale, v=v, u=u, best=1000, threshold=0.0,
                   check_eligible=check_eligible)
    assert want and set(zip(got.need.tolist(), got.intake.tolist())) == want


def _optimum_with_duals(seed):
    """A region's exact arcs, the optimal flow on them and its optimal duals (as floats)."""
    index, scale = _setup(seed)
    N, I = index.n_needs, index.n_intakes
    ex = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale)
    used = compact_flow(ex.need, ex.intake, ex.w, index.intake_places)
    d, _ = potentials(N, I, ex.need, ex.intake, ex.w, used, index.intake_places)
    v, u = (x.astype(np.float64) for x in duals(N, I, d, ex.intake))
    return index, scale, ex, used, v, u


@pytest.mark.parametrize("check_eligible", [True, False])
def test_pass_skipping_needs_on_an_earlier_pass_keeps_every_arc_that_prices_out(check_eligible):
    """A pass given the last pass's G and u skips needs it proves unchanged, yet keeps
    exactly the arcs that price out, and its G bounds every need's best gain."""
    index, scale, ex, used, v, u = _optimum_with_duals(11)
    N, I = index.n_needs, index.n_intakes
    everyone = np.ones(N, dtype=bool)
    first = run_scan(index, everyone, index.intake_places, scale, v=v, u=u, best=1000, threshold=0.0)
    assert len(first.need) == 0  # optimal duals: nothing prices out
    rng = np.random.default_rng(1)
    u2 = np.where(rng.random(I) < 0.05, u * 0.5, u)  # a few intakes get cheaper
    rc = ex.w - v[ex.need] - u2[ex.intake]
    want = set(zip(ex.need[rc > 0].tolist(), ex.intake[rc > 0].tolist()))
    got = run_scan(index, everyone, index.intake_places, scale, v=v, u=u2, best=1000, threshold=0.0,
                   g_last=first.G, u_last=u, check_eligible=check_eligible)
    assert want and set(zip(got.need.tolist(), got.intake.tolist())) == want
    usable = index.intake_places[ex.intake] > 0
    best_usable = np.full(N, -np.inf)
    np.maximum.at(best_usable, ex.need[usable], (ex.w - u2[ex.intake])[usable])
    assert (got.G >= best_usable).all()


def test_pass_after_one_where_no_intake_got_cheaper_skips_every_need_and_keeps_the_bound():
    """The last pass of a proof: with u as at the pass before, no need can have a new arc,
    so each is skipped whole without walking its reach, and the bound still meets the
    optimum."""
    index, scale, ex, used, v, u = _optimum_with_duals(11)
    N = index.n_needs
    everyone = np.ones(N, dtype=bool)
    first = run_scan(index, everyone, index.intake_places, scale, v=v, u=u, best=16, threshold=0.0,
                     check_eligible=False)
    again = run_scan(index, everyone, index.intake_places, scale, v=v, u=u, best=16, threshold=0.0,
                     check_eligible=False, g_last=first.G, u_last=u)
    assert first.pairs[3] == 0 and first.pairs[0] > 5 * N
    assert again.pairs[3] == N and again.pairs[0] == 0 and len(again.need) == 0
    optimum = float(ex.w[used].sum())

    def bound(G):
        return float(np.maximum(G, 0).sum() + (index.intake_places * u).sum())

    assert bound(first.G) == optimum and bound(again.G) == optimum


def test_residual_duals_are_optimal():
    index, scale = _setup(10)
    N, I = index.n_needs, index.n_intakes
    ex = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale)
    used = compact_flow(ex.need, ex.intake, ex.w, index.intake_places)
    d, _ = potentials(N, I, ex.need, ex.intake, ex.w, used, index.intake_places)
    v, u = duals(N, I, d, ex.intake)
    assert (v >= 0).all() and (u >= 0).all()
    assert (v[ex.need] + u[ex.intake] >= ex.w).all()
    assert v.sum() + (index.intake_places * u).sum() == ex.w[used].sum()


@pytest.mark.parametrize("seed", range(12))
def test_arcs_put_into_an_optimal_flow_give_the_optimum_and_its_duals(seed):
    """New arcs put one at a time into the last flow (as the tail of a pricing run does)
    reach the optimum of every arc, by OR-Tools, with optimal duals."""
    rng = np.random.default_rng(seed)
    n_needs, n_intakes = int(rng.integers(5, 60)), int(rng.integers(2, 15))
    pairs = rng.choice(n_needs * n_intakes, size=int(rng.integers(10, n_needs * n_intakes)), replace=False)
    need, intake = np.sort(pairs) // n_intakes, np.sort(pairs) % n_intakes
    w = rng.integers(1, 50 if seed % 2 else 10**7, len(need))  # small values: many ties
    places = rng.integers(0, 4, n_intakes)
    fresh = rng.random(len(need)) < (0.05 if seed < 6 else 0.5)
    old = ~fresh
    used_old, needs_o, v_o, intakes_o, u_o = flow_with_duals(need[old], intake[old], w[old], places,
                                                             np.zeros(n_needs, dtype=np.int64),
                                                             np.zeros(n_intakes, dtype=np.int64))
    v = np.zeros(n_needs, dtype=np.int64)
    u = np.zeros(n_intakes, dtype=np.int64)
    v[needs_o], u[intakes_o] = v_o, u_o
    used = np.zeros(len(need), dtype=bool)
    used[old] = used_old
    got = repaired_flow_with_duals(need, intake, w, places, used, fresh, v, u)
    assert got is not None
    x, needs_u, v_n, intakes_u, u_n = got
    assert w[x].sum() == w[compact_flow(need, intake, w, places)].sum()
    assert np.bincount(need[x], minlength=n_needs).max(initial=0) <= 1
    assert (np.bincount(intake[x], minlength=n_intakes) <= places).all()
    vv = np.zeros(n_needs, dtype=np.int64)
    uu = np.zeros(n_intakes, dtype=np.int64)
    vv[needs_u], uu[intakes_u] = v_n, u_n
    assert (vv >= 0).all() and (uu >= 0).all() and (vv[need] + uu[intake] >= w).all()
    assert vv.sum() + (places * uu).sum() == w[x].sum()  # dual objective = primal: both optimal


def test_putting_arcs_in_refuses_duals_that_do_not_fit_the_flow():
    need, intake, w = np.array([0, 1]), np.array([0, 0]), np.array([10, 5])
    places = np.array([1])
    used = np.array([True, False])
    fresh = np.array([False, True])
    wrong_v = np.array([0, 0])  # need 0 is placed at 10 with u = 0: v must be 10
    assert repaired_flow_with_duals(need, intake, w, places, used, fresh, wrong_v, np.array([0])) is None
    x, *_ = repaired_flow_with_duals(need, intake, w, places, used, fresh, np.array([10, 0]), np.array([0]))
    assert x.tolist() == [True, False]


def test_scan_with_a_deadline_stops_between_blocks():
    """A scan whose deadline has passed skips its blocks and says so; one with time left
    keeps exactly the arcs of a scan without a deadline."""
    import time

    index, scale = _setup(11)
    N = index.n_needs
    full = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale)
    late = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale, deadline=time.perf_counter() - 1)
    assert full.complete and not late.complete and len(late.need) < len(full.need)
    timed = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale, deadline=time.perf_counter() + 600)
    assert timed.complete
    assert sorted(zip(timed.need.tolist(), timed.intake.tolist())) == sorted(zip(full.need.tolist(), full.intake.tolist()))
    assert (timed.eligible == full.eligible).all()


def test_eligibility_check_agrees_with_the_scan():
    """The early-stopping eligibility check (unmet reasons) agrees with a full scan's."""
    from matching.scan import any_eligible

    index, scale = _setup(12)
    N = index.n_needs
    no_places = np.zeros(index.n_intakes, dtype=np.int64)
    full = run_scan(index, np.ones(N, dtype=bool), no_places, scale)
    quick = any_eligible(index, np.arange(N))
    assert 0 < quick.sum() < N
    assert (quick == full.eligible).all()


def test_restricted_set_takes_each_new_arc_once_and_keeps_the_old_ones_as_they_were():
    """One merge drops the old arcs left out, keeps the others as they were and takes each
    new arc once (one that was left out comes back new)."""
    from matching.pricing import _merged

    rng = np.random.default_rng(3)
    I = 50
    for _ in range(50):
        key = np.unique(rng.integers(0, 3000, rng.integers(0, 300)))
        w, used, fresh = rng.integers(1, 100, len(key)), rng.random(len(key)) < 0.5, rng.random(len(key)) < 0.5
        keep = rng.random(len(key)) < 0.7
        need = rng.integers(0, 60, rng.integers(0, 200))
        intake = rng.integers(0, I, len(need))
        new_key, first = np.unique(need * I + intake, return_index=True)
        o_key, o_need, o_intake, o_w, o_used, o_fresh, added = _merged(
            key, key // I, key % I, w, used, fresh, keep, new_key, need[first], intake[first],
            rng.integers(1, 100, len(first)))
        kept = key[keep]
        assert (o_key == np.union1d(kept, new_key)).all() and (o_need * I + o_intake == o_key).all()
        old = np.isin(o_key, kept)
        assert (o_w[old] == w[keep]).all() and (o_used[old] == used[keep]).all()
        assert (o_fresh[old] == fresh[keep]).all()
        assert not o_used[~old].any() and o_fresh[~old].all()
        assert (added == ~np.isin(new_key, kept)).all()


@pytest.mark.parametrize("deadline", [None, 1e12])
def test_a_scan_keeps_the_same_arcs_however_its_blocks_fall_to_threads(deadline, monkeypatch):
    """Each intake's best needs are the best over the whole scan, not over whichever
    blocks one thread happened to take: one thread and two give the same arcs."""
    import dataclasses

    import matching.index

    monkeypatch.setattr(matching.index, "TUNING", dataclasses.replace(matching.index.TUNING, block_locations=8))
    index, scale = _setup(12)
    assert index.n_blocks >= 4
    N, I = index.n_needs, index.n_intakes
    rng = np.random.default_rng(2)
    u = rng.integers(0, 300, I) * scale
    kept = []
    for threads in (1, 2, 2):
        sr = run_scan(index, np.ones(N, dtype=bool), index.intake_places, scale, u=u, best=2, n_random=2, seed=1,
                      intake_best=3, threads=threads, deadline=deadline)
        kept.append(sorted(zip(sr.need.tolist(), sr.intake.tolist(), sr.w.tolist())))
    assert kept[0] and kept[0] == kept[1] == kept[2]
