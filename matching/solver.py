"""The optimal allocation: `solve`.

Modes:

* ``exact``: every arc worth placing (scan.py) in one min cost flow (flow.py);
* ``pricing``: column generation for regions too large to hold every arc (pricing.py),
  stopping when proven optimal or at the time limit with a proven gap bound;
* ``auto``: exact unless the arcs (estimated from a sample of blocks) would be more
  than `Tuning.max_exact_arcs`, then pricing.

Every mode returns an allocation at least as good as greedy's: exact and a finished
pricing run are optimal, and pricing seeds its restricted arcs with greedy's placements.

`stats["gap_bound"]` is a proven bound on (optimum - objective) / objective in the
flow's cost units (values rounded to 1/scale, see flow.py): 0 when proven optimal.
With ``marginal_values`` (or ``"marginal_values"`` in the problem's `report`) the
allocation also gives, per intake, how much one more place would add to the optimum.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from .config import TUNING, Tuning
from .flow import compact_flow, cost_scale, potentials, sink_distances
from .index import ProblemIndex
from .placements import apply_pins, read_out
from .pricing import solve_by_pricing
from .problem import MARGINAL_VALUES, MAX_WAIT_DAYS, MAX_WAITED_DAYS, Allocation, Problem
from .scan import run_scan

MODES = ("auto", "exact", "pricing")


def value_scale(index: ProblemIndex, tuning: Tuning = TUNING) -> float:
    """The flow's cost units per value point for this problem (see flow.cost_scale)."""
    w = index.problem.weights
    A = index.arrays
    max_km = float(A.client_max_km.max(initial=0.0))
    biggest = (abs(w.urgency_value) * 3 + abs(w.waited_day_value) * MAX_WAITED_DAYS + abs(w.preference_value)
               + abs(w.wait_day_cost) * 3 * MAX_WAIT_DAYS + abs(w.km_cost) * min(max_km, 20_100.0))
    return cost_scale(biggest, index.n_needs + index.n_intakes + 1, tuning.cost_exponent)


def estimate_arcs(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, scale: float,
                  sample: int = 400) -> float:
    """Exact-mode arc count, extrapolated from the arcs of a fixed random sample of needs."""
    needs = np.flatnonzero(open_needs)
    if len(needs) <= 4 * sample:
        return 0.0  # small: just build them
    pick = np.zeros(index.n_needs, dtype=bool)
    pick[np.random.default_rng(0).choice(needs, size=sample, replace=False)] = True
    return len(run_scan(index, pick, places_left, scale).need) * len(needs) / sample


def marginal_values_from(index: ProblemIndex, need: np.ndarray, intake: np.ndarray, w: np.ndarray,
                         used: np.ndarray, places_left: np.ndarray, open_needs: np.ndarray, scale: float,
                         complete: bool) -> dict[str, float]:
    """Per intake id: the optimum's gain from one more place (see flow.py).

    The residual graph is that of the given arcs; with `complete` False (pricing) arcs
    outside it that could shorten a path from the sink are found by scans and added
    until none is left.
    """
    N, I = index.n_needs, index.n_intakes
    cap = np.maximum(places_left, 0)
    every = np.ones(I, dtype=np.int64)  # with one more place any intake may be used
    while True:
        d, graph = potentials(N, I, need, intake, w, used, cap)
        dist = sink_distances(*graph, d, N + I)
        if complete:
            break
        reach = dist < np.iinfo(np.int64).max // 8
        v_ = np.where(reach[:N], dist[:N] + d[:N], np.inf).astype(np.float64)
        u_ = np.where(reach[N:N + I], -(d[N:N + I] + dist[N:N + I]).astype(np.float64), -np.inf)
        more = run_scan(index, open_needs & reach[:N], every, scale, v=v_, u=u_, best=TUNING.pass_best,
                        threshold=0.0)
        key = need * I + intake
        new_key = more.need * I + more.intake
        fresh = ~np.isin(new_key, key)
        if not fresh.any():
            break
        _, first = np.unique(new_key[fresh], return_index=True)
        sel = np.flatnonzero(fresh)[first]
        need = np.concatenate([need, more.need[sel]])
        intake = np.concatenate([intake, more.intake[sel]])
        w = np.concatenate([w, more.w[sel]])
        used = np.concatenate([used, np.zeros(len(sel), dtype=bool)])
    sink = N + I
    u_raw = d[sink] - d[N:sink]
    gain = np.maximum(u_raw - dist[N:sink], 0)
    gain[dist[N:sink] >= np.iinfo(np.int64).max // 8] = 0
    return {iid: float(g) / scale for iid, g in zip(index.intake_ids, gain.tolist())}


def solve(
    problem: Problem,
    pinned: Iterable[Any] = (),
    *,
    mode: str = "auto",
    index: ProblemIndex | None = None,
    time_limit: float | None = None,
    marginal_values: bool | None = None,
    tuning: Tuning = TUNING,
    started: float | None = None,
) -> Allocation:
    """The allocation of maximum total value, keeping `pinned` placements fixed.

    `pinned` holds accepted placements as ``(client_id, need, intake_id)`` (or dicts /
    objects with those fields); only the other needs move. `mode` is ``"auto"``,
    ``"exact"`` or ``"pricing"`` (module docstring). `time_limit` (seconds, counted from
    `started`, a `time.perf_counter()` reading, default now) bounds pricing mode
    (default `Tuning.time_limit`); exact mode ignores it. `marginal_values` None follows
    the problem's `report`.
    """
    t0 = time.perf_counter() if started is None else started
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    index = index or ProblemIndex.build(problem)
    open_needs, places_left, pins = apply_pins(index, pinned)
    want_mv = (MARGINAL_VALUES in problem.report) if marginal_values is None else marginal_values
    scale = value_scale(index, tuning)
    limit = tuning.time_limit if time_limit is None else time_limit
    deadline = t0 + limit
    if mode == "auto":
        est = estimate_arcs(index, open_needs, places_left, scale)
        mode = "exact" if est <= tuning.max_exact_arcs else "pricing"
    t_build = time.perf_counter()
    if mode == "pricing":
        res = solve_by_pricing(index, open_needs, places_left, scale, deadline=deadline, tuning=tuning)
        need, intake, w, used, eligible = res.need, res.intake, res.w, res.used, res.eligible
        stats = dict(res.stats)
        optimal = res.optimal
        gap = max(res.bound - res.primal, 0.0) if np.isfinite(res.bound) else None
    else:
        usable = places_left if not want_mv else np.maximum(places_left, 1)
        sr = run_scan(index, open_needs, usable, scale, threads=tuning.threads)
        need, intake, w, eligible = sr.need, sr.intake, sr.w, sr.eligible
        t_arcs = time.perf_counter()
        flow_arcs = places_left[intake] > 0
        used = np.zeros(len(need), dtype=bool)
        used[flow_arcs] = compact_flow(need[flow_arcs], intake[flow_arcs], w[flow_arcs], places_left)
        stats = {"arcs_seconds": round(t_arcs - t_build, 3), "flow_seconds": round(time.perf_counter() - t_arcs, 3)}
        optimal, gap = True, 0.0
        res = None
    t_solved = time.perf_counter()
    mv = None
    if want_mv:
        mv = marginal_values_from(index, need, intake, w, used, places_left, open_needs, scale,
                                  complete=(mode == "exact") or not optimal)
        stats["marginal_values_seconds"] = round(time.perf_counter() - t_solved, 3)
    alloc = read_out(index, pins, need[used], intake[used], open_needs, eligible)
    alloc.marginal_values = mv
    primal_units = float(w[used].sum())
    alloc.stats.update(
        candidate_arcs=int(len(need)),
        seconds=round(time.perf_counter() - t0, 3),
        solver=f"ortools min_cost_flow ({'every arc' if mode == 'exact' else 'pricing: restricted arcs grown by LP duals'})",
        mode=mode,
        optimal=bool(optimal),
        gap_bound=None if gap is None else (0.0 if gap <= 0 else gap / max(primal_units, 1e-9)),
        cost_scale=scale,
        build_seconds=round(t_build - t0, 3),
        solve_seconds=round(t_solved - t_build, 3),
        **stats,
    )
    return alloc
