"""The optimal allocation: a min cost flow over the candidate arcs.

Network (one unit of flow = one need)::

    need (supply 1) --cost -value, cap 1--> intake --cap free places--> sink
    need --------------------cost 0, cap 1-------------------------> sink   (left unmet)

Every need sends its unit either through one intake or straight to the sink, so
the flow's cost is minus the sum of the values of the placements it makes, and a
minimum cost flow is a maximum value allocation. Arcs with value <= 0 are never
built (see candidates.py), so a placement that would lower the objective is never
made even under custom weights. The constraint matrix is totally unimodular, so
the flow optimum is integral and is the optimum of the contract's problem.

Integer costs: values are real (km are fractional), the solver needs integers.
Costs are ``round(value * 10**k)`` with k = 6 unless that would risk overflow in
OR-Tools' cost scaling (|cost| x nodes must stay far below 2**63), in which case k
is lowered. Rounding moves each arc's cost by at most 0.5e-k, so the allocation
returned is within ``placements x 0.5e-k`` of the real-valued optimum (1e-7 of a
point for a 200k-need region at k = 6), far below the 2 dp the values are reported
at. Allocations whose real values tie may be returned in either form.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from . import candidates as cand_mod
from .index import ProblemIndex
from .problem import Allocation, Placement, Problem, ProblemError, Unmet

NO_ELIGIBLE = "no_eligible_provision"
DEFAULT_TIME_LIMIT = 50.0  # seconds, pricing mode only
CAPACITY = "capacity"


def _pinned_triples(pinned: Iterable[Any]) -> list[tuple[str, str, str]]:
    out = []
    for j, p in enumerate(pinned):
        if isinstance(p, (tuple, list)) and len(p) == 3:
            out.append((str(p[0]), str(p[1]), str(p[2])))
        elif isinstance(p, dict):
            out.append((str(p["client"]), str(p["need"]), str(p["intake"])))
        elif hasattr(p, "client") and hasattr(p, "need") and hasattr(p, "intake"):
            out.append((p.client, p.need, p.intake))
        else:
            raise ProblemError(f"pinned[{j}]", "must be (client_id, need, intake_id)")
    return out


def apply_pins(index: ProblemIndex, pinned: Iterable[Any]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Open-need mask, free places per intake and (need, intake) pairs for accepted placements.

    A pinned placement is a fact (the young person has accepted it), so it is kept
    as given even if the rules no longer hold for it today; it uses one place of
    its intake and its need is no longer open.
    """
    open_needs = np.ones(len(index.need_client), dtype=bool)
    places_left = index.intake_places.copy()
    pins = []
    for j, (client, need, intake) in enumerate(_pinned_triples(pinned)):
        n = index.need_pos.get((client, need))
        if n is None:
            raise ProblemError(f"pinned[{j}]", f"client {client!r} has no need {need!r}")
        i = index.intake_pos.get(intake)
        if i is None:
            raise ProblemError(f"pinned[{j}]", f"no intake {intake!r}")
        if not open_needs[n]:
            raise ProblemError(f"pinned[{j}]", f"need {need!r} of client {client!r} is pinned twice")
        open_needs[n] = False
        places_left[i] -= 1
        if places_left[i] < 0:
            raise ProblemError(f"pinned[{j}]", f"intake {intake!r} has more accepted placements than places")
        pins.append((n, i))
    return open_needs, places_left, pins


def cost_scale_exponent(max_abs_value: float, n_nodes: int) -> int:
    """Largest k <= 6 such that costs round(value * 10**k) stay safe from overflow."""
    if max_abs_value <= 0:
        return 6
    return min(6, math.floor(math.log10(2.0**60 / ((n_nodes + 1) * max_abs_value))))


def flow_optimum(n_needs: int, n_intakes: int, arc_need: np.ndarray, arc_intake: np.ndarray,
                 arc_value: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, int]:
    """Which arcs (0/1 per arc) a maximum value assignment uses, and the cost exponent k.

    Needs are numbered 0..n_needs-1 and intakes 0..n_intakes-1 here (compact numbers).
    """
    n_nodes = n_needs + n_intakes + 1
    sink = n_needs + n_intakes
    max_abs = float(np.max(np.abs(arc_value))) if len(arc_value) else 0.0
    k = cost_scale_exponent(max_abs, n_nodes)
    while True:
        mcf = min_cost_flow.SimpleMinCostFlow()
        tails = np.concatenate([arc_need, n_needs + np.arange(n_intakes), np.arange(n_needs)]).astype(np.int32)
        heads = np.concatenate([n_needs + arc_intake, np.full(n_intakes, sink), np.full(n_needs, sink)]).astype(np.int32)
        caps = np.concatenate([np.ones(len(arc_need)), capacity, np.ones(n_needs)]).astype(np.int64)
        costs = np.concatenate([-np.rint(arc_value * 10.0**k), np.zeros(n_intakes + n_needs)]).astype(np.int64)
        mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        del tails, heads, caps, costs
        supplies = np.concatenate([np.ones(n_needs), np.zeros(n_intakes), [-n_needs]]).astype(np.int64)
        mcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
        status = mcf.solve()
        if status == mcf.OPTIMAL:
            used = mcf.flows(np.arange(len(arc_need), dtype=np.int32)) > 0
            return np.asarray(used), k
        if status == mcf.BAD_COST_RANGE and k > -6:
            k -= 3
            continue
        raise RuntimeError(f"min cost flow failed with status {status}")


def solve(
    problem: Problem,
    pinned: Iterable[Any] = (),
    *,
    mode: str = "auto",
    per_need: int = cand_mod.DEFAULT_PER_NEED,
    max_arcs: int = cand_mod.DEFAULT_MAX_ARCS,
    index: ProblemIndex | None = None,
    repair_rounds: int = 3,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    top_m: int | None = None,
) -> Allocation:
    """The allocation of maximum total value, keeping `pinned` placements fixed.

    `pinned` holds accepted placements as ``(client_id, need, intake_id)`` (or dicts /
    objects with those fields); only the other needs move. `mode` is ``"auto"``
    (exact unless more than `max_arcs` candidate arcs, then pricing; a sampled estimate
    well above `max_arcs` skips building them), ``"exact"``,
    ``"pricing"`` (column generation with LP duals, see pricing.py; stops when proven
    optimal or after `time_limit` seconds, reporting ``stats["gap_bound"]``) or
    ``"pruned"`` (fixed heuristic arc set, no bound; see candidates.py).
    """
    t0 = time.perf_counter()
    index = index or ProblemIndex.build(problem)
    open_needs, places_left, pins = apply_pins(index, pinned)
    if mode not in ("auto", "exact", "pruned", "pricing"):
        raise ValueError(f"mode must be auto, exact, pruned or pricing, not {mode!r}")
    cands = None
    if mode == "auto" and max_arcs is not None and estimate_arcs(index, open_needs, places_left) > 1.5 * max_arcs:
        mode = "pricing"  # clearly too many arcs to hold: do not build them only to give up
    if mode != "pricing":
        try:
            if mode == "pruned":
                cands = cand_mod.generate(index, open_needs, places_left, mode="pruned", per_need=per_need)
            else:
                cands = cand_mod.generate_exact(index, open_needs, places_left,
                                                max_arcs if mode == "auto" else None)
        except cand_mod.TooManyArcs:
            cands = None  # auto: too many arcs to hold, so price them instead
    if cands is None:
        return _solve_pricing(index, open_needs, places_left, pins, t0, time_limit=time_limit, top_m=top_m)
    t_build = time.perf_counter() - t0

    chosen: list[tuple[int, int, bool]] = [(n, i, True) for n, i in pins]
    k = None
    rounds = 0
    arc_need, arc_intake, arc_value = cands.need, cands.intake, cands.value
    if len(arc_need):
        used, k = _solve_arcs(arc_need, arc_intake, arc_value, places_left)
        while cands.mode == "pruned" and rounds < repair_rounds:
            # Repair: the pruned arcs may leave places free that needs placed elsewhere
            # (or not at all) could have used. Rescan against intakes with a free place
            # only, add each need's best such arcs, and re-solve; stop when nothing gains.
            free = places_left - np.bincount(arc_intake[used], minlength=len(places_left))
            spare = np.where(free > 0, places_left, 0)
            if not spare.any():
                break
            more = cand_mod.generate(index, open_needs, spare, mode="pruned", per_need=per_need, repair=True)
            before = float(arc_value[used].sum())
            key = arc_need * len(places_left) + arc_intake
            new = ~np.isin(more.need * len(places_left) + more.intake, key)
            if not new.any():
                break
            arc_need = np.concatenate([arc_need, more.need[new]])
            arc_intake = np.concatenate([arc_intake, more.intake[new]])
            arc_value = np.concatenate([arc_value, more.value[new]])
            used, k = _solve_arcs(arc_need, arc_intake, arc_value, places_left)
            rounds += 1
            if float(arc_value[used].sum()) <= before * (1 + 1e-6):
                break
        chosen += [(int(n), int(i), False) for n, i in zip(arc_need[used], arc_intake[used])]
    t_solve = time.perf_counter() - t0 - t_build

    placements, unmet = _read_out(index, chosen, cands.has_eligible)
    stats = {
        "needs": int(len(index.need_client)),
        "met": len(placements),
        "candidate_arcs": int(len(arc_need)),
        "seconds": round(time.perf_counter() - t0, 3),
        "solver": f"ortools min_cost_flow ({cands.mode} arcs)",
        "mode": cands.mode,
        "build_seconds": round(t_build, 3),
        "solve_seconds": round(t_solve, 3),
        "pinned": len(pins),
        "repair_rounds": rounds,
        "cost_scale": None if k is None else f"1e{k}",
    }
    alloc = Allocation(placements, unmet, stats)
    if cands.mode == "exact":
        # The flow is optimal for costs rounded to 10**-k: at most 0.5e-k per placement off.
        slack = 0.0 if k is None else len(chosen) * 0.5 * 10.0**-k
        stats["gap_bound"] = _relative(slack, alloc.objective)
        stats["optimal"] = True
    else:
        stats["gap_bound"] = None  # pruned arcs: no bound
        stats["optimal"] = None
    return alloc


def estimate_arcs(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, sample: int = 48) -> float:
    """Exact-mode arc count estimated from a fixed sample of needs per category (cheap)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for k, name in enumerate(index.categories):
        needs_k = np.flatnonzero(open_needs & (index.need_cat == k))
        if not len(needs_k):
            continue
        pick = rng.choice(needs_k, size=min(sample, len(needs_k)), replace=False)
        arcs = 0
        for n in pick:
            opt = index.options(int(index.need_client[n]), name)
            arcs += int(((opt.failed_rule == 0) & (opt.value > 0) & (places_left[opt.intakes] > 0)).sum())
        total += arcs / len(pick) * len(needs_k)
    return total


def _relative(gap: float, objective: float) -> float:
    gap = max(gap, 0.0)
    return 0.0 if gap == 0.0 else gap / max(abs(objective), 1e-9)


def _read_out(index, chosen, has_eligible) -> tuple[list[Placement], list[Unmet]]:
    """Placements for the chosen (need, intake, pinned) arcs; every other need is unmet,
    for `capacity` if some intake passed rules 1-6 for it, else `no_eligible_provision`."""
    placed = np.zeros(len(index.need_client), dtype=bool)
    placements = []
    for n, i, is_pin in sorted(chosen):
        placed[n] = True
        placements.append(_placement(index, n, i, is_pin))
    unmet = [
        Unmet(index.client_ids[index.need_client[n]], index.need_name[n], CAPACITY if has_eligible[n] else NO_ELIGIBLE)
        for n in np.flatnonzero(~placed)
    ]
    return placements, unmet


def _solve_pricing(index, open_needs, places_left, pins, t0, *, time_limit, top_m) -> Allocation:
    from .pricing import DEFAULT_TOP_M, solve_by_pricing

    res = solve_by_pricing(index, open_needs, places_left, time_limit=time_limit, top_m=top_m or DEFAULT_TOP_M)
    chosen = [(n, i, True) for n, i in pins]
    chosen += [(int(n), int(i), False) for n, i in zip(res.need[res.used], res.intake[res.used])]
    placements, unmet = _read_out(index, chosen, res.has_eligible)
    seconds = time.perf_counter() - t0
    pinned_value = sum(p.value for p in placements if p.pinned)
    stats = {
        "needs": int(len(index.need_client)),
        "met": len(placements),
        "candidate_arcs": int(len(res.need)),
        "seconds": round(seconds, 3),
        "solver": "ortools min_cost_flow (pricing: restricted arcs grown by LP duals)",
        "mode": "pricing",
        "build_seconds": round(res.stats["pricing_seconds"], 3),
        "solve_seconds": round(seconds - res.stats["pricing_seconds"], 3),
        "pinned": len(pins),
        "optimal": bool(res.optimal),
        "dual_bound": round(res.bound + pinned_value, 4),
        **{k: v for k, v in res.stats.items() if k != "history"},
        "pricing_history": res.stats["history"],
    }
    alloc = Allocation(placements, unmet, stats)
    stats["gap_bound"] = _relative(res.bound - res.primal, alloc.objective)
    return alloc


def _solve_arcs(arc_need, arc_intake, arc_value, places_left):
    """Min cost flow on the given arcs (global need/intake numbers); the used arcs and cost exponent."""
    needs_u, need_c = np.unique(arc_need, return_inverse=True)
    intakes_u, intake_c = np.unique(arc_intake, return_inverse=True)
    return flow_optimum(len(needs_u), len(intakes_u), need_c.ravel(), intake_c.ravel(), arc_value,
                        places_left[intakes_u])


def _placement(index: ProblemIndex, n: int, i: int, pinned: bool) -> Placement:
    c = int(index.need_client[n])
    p = int(index.intake_prov[i])
    km = index.exact_km(c, p)
    value, wait = index.value_of(c, i, km)
    prov = index.problem.provisions[p]
    intake = next(x for x in prov.intakes if x.id == index.intake_ids[i])
    return Placement(
        client=index.client_ids[c], need=index.need_name[n], provision=prov.id, intake=intake.id,
        start=intake.start, wait_days=wait, distance_km=km, value=value, pinned=pinned,
    )
