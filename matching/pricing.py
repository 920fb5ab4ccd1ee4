"""Large regions: the flow on a restricted arc set, grown by LP pricing until proven optimal.

The placement problem is a bipartite b-matching. Its LP (x_ni in [0, 1]) is integral,
and its dual is

    min  sum_n v_n + sum_i places_i * u_i
    s.t. v_n + u_i >= W(n, i)   for every eligible arc worth W(n, i) > 0
         v_n >= 0, u_i >= 0

so any (v, u) satisfying the constraints bounds the optimum from above. The loop:

1. *Seed*: greedy's placements (so the answer is never worse than greedy's) and one
   scan with zero duals keeping each need's best arcs by value and a few random
   eligible ones (so that the first restricted problem can reach spare places
   anywhere, not only the nearest).
2. *Restrict and solve*: the min cost flow on the restricted arcs; its optimal duals
   are the residual graph's shortest-path potentials (flow.py).
3. *Price*: scan every eligible arc (scan.py) for its reduced cost ``W - v_n - u_i``,
   keeping per need its best arcs that price out (> 0), and ``G_n = max_i (W - u_i)``.
   ``sum_n max(0, G_n) + sum_i places_i u_i`` is a proven upper bound (v'_n = max(0,
   G_n) makes (v', u) feasible). No arc pricing out proves the restricted optimum
   optimal: the bound then equals it.
4. Arcs that priced out join; unused arcs whose reduced cost fell below
   ``-Tuning.keep_reduced_cost`` leave; back to 2.

It stops when proven optimal or when the next round would not fit before the
deadline, returning the best allocation found (the restricted set always holds the
last optimum's arcs, so the objective never falls) and the best bound seen.
All arithmetic is in the flow's integer cost units, so "no positive reduced cost" is
exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .config import Tuning
from .flow import compact_flow, duals, potentials
from .greedy import greedy_arcs
from .index import ProblemIndex
from .scan import placement_figures, run_scan


@dataclass
class PricingResult:
    need: np.ndarray  # restricted arcs (global numbers)
    intake: np.ndarray
    w: np.ndarray  # values in cost units
    used: np.ndarray
    eligible: np.ndarray  # per need: some intake passes every rule
    primal: float  # cost units
    bound: float  # cost units, proven upper bound on the optimum
    optimal: bool
    stats: dict


def _merge(need, intake, w, used, more_need, more_intake, more_w, I):
    """Arcs plus those of `more` that are not there yet (first copy of each kept)."""
    if not len(more_need):
        return need, intake, w, used
    key = need * I + intake
    mk = more_need * I + more_intake
    _, first = np.unique(mk, return_index=True)
    first = first[~np.isin(mk[first], key)]
    return (np.concatenate([need, more_need[first]]), np.concatenate([intake, more_intake[first]]),
            np.concatenate([w, more_w[first]]), np.concatenate([used, np.zeros(len(first), dtype=bool)]))


def solve_by_pricing(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, scale: float, *,
                     deadline: float, tuning: Tuning, max_passes: int = 100) -> PricingResult:
    """Column generation for the maximum value allocation (see the module docstring)."""
    t0 = time.perf_counter()
    N, I = index.n_needs, index.n_intakes
    cap = np.maximum(places_left, 0)
    history = []
    timing = {"greedy_seconds": 0.0, "scan_seconds": 0.0, "flow_seconds": 0.0, "duals_seconds": 0.0}

    t = time.perf_counter()
    g_need, g_intake = greedy_arcs(index, open_needs, places_left)
    timing["greedy_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    seed = run_scan(index, open_needs, places_left, scale, best=tuning.seed_best, n_random=tuning.seed_random,
                    seed=1, threads=tuning.threads)
    last_scan = time.perf_counter() - t
    timing["scan_seconds"] += last_scan
    eligible = seed.eligible
    bound = float(np.maximum(seed.G, 0).sum())  # zero duals
    # Greedy's arcs with their values (they are among the eligible arcs worth placing).
    _, _, g_val = placement_figures(index.arrays, g_need, g_intake)
    keep = g_val > 0
    g_need, g_intake = g_need[keep], g_intake[keep]
    g_w = np.floor(g_val[keep] * scale + 0.5).astype(np.int64)
    empty = np.zeros(0, dtype=np.int64)
    need, intake, w, used = _merge(empty, empty, empty, np.zeros(0, dtype=bool),
                                   np.concatenate([g_need, seed.need]), np.concatenate([g_intake, seed.intake]),
                                   np.concatenate([g_w, seed.w]), I)
    # Greedy's own value in these units: the answer never falls below it.
    greedy_units = float(g_w.sum())
    primal = 0.0
    optimal = False
    passes = 1
    last_flow = 0.0
    while True:
        t = time.perf_counter()
        used = compact_flow(need, intake, w, cap)
        last_flow = time.perf_counter() - t
        timing["flow_seconds"] += last_flow
        primal = float(w[used].sum())
        t = time.perf_counter()
        d, _ = potentials(N, I, need, intake, w, used, cap)
        v, u = duals(N, I, d)
        timing["duals_seconds"] += time.perf_counter() - t
        history.append({"t": round(time.perf_counter() - t0, 2), "arcs": int(len(need)), "primal": primal / scale,
                        "bound": bound / scale})
        if passes >= max_passes or time.perf_counter() + last_scan + last_flow > deadline:
            break
        t = time.perf_counter()
        pr = run_scan(index, open_needs, places_left, scale, v=v.astype(np.float64), u=u.astype(np.float64),
                      best=tuning.pass_best, threshold=0.0, threads=tuning.threads)
        last_scan = time.perf_counter() - t
        timing["scan_seconds"] += last_scan
        passes += 1
        bound = min(bound, float(np.maximum(pr.G, 0).sum() + (cap * u).sum()))
        if not len(pr.need):
            optimal = True
            bound = primal
            break
        # Keep used arcs and those close to pricing out; add the new ones.
        rc = w - v[need] - u[intake]
        stay = used | (rc > -tuning.keep_reduced_cost * scale)
        need, intake, w, used = need[stay], intake[stay], w[stay], used[stay]
        need, intake, w, used = _merge(need, intake, w, used, pr.need, pr.intake, pr.w, I)
    if primal < greedy_units:  # only when stopped before the first flow could beat it
        need, intake, w = g_need, g_intake, g_w
        used = np.ones(len(need), dtype=bool)
        primal = greedy_units
    stats = {"pricing_passes": passes, "history": history, **{k: round(x, 3) for k, x in timing.items()}}
    return PricingResult(need, intake, w, used, eligible, primal, max(bound, primal), optimal, stats)
