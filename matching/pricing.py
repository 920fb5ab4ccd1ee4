"""Large regions: the flow on a restricted arc set, grown by LP pricing until proven optimal.

The placement problem is a bipartite b-matching. Its LP (x_ni in [0, 1]) is
integral, and its dual is

    min  sum_n v_n + sum_i places_i * u_i
    s.t. v_n + u_i >= w(n, i)   for every eligible arc worth w(n, i) > 0
         v_n >= 0, u_i >= 0

so by weak duality any (v, u) satisfying the constraints bounds the optimum from
above. The loop here:

1. *Price*: stream over every eligible (need, intake) pair, a category and a block
   of nearby needs at a time (never more than one dense block in memory per
   thread), computing the reduced cost ``w - v_n - u_i``. Each pass returns, per
   need, its `top_m` provisions by reduced cost (best intake of each) and
   ``g_n = max_i (w(n, i) - u_i)`` over *all* its eligible arcs.
2. *Bound*: ``v'_n = max(v_n, g_n)`` makes (v', u) dual feasible, so
   ``sum v'_n + sum places_i u_i`` is an upper bound on the optimum (a proven one:
   no arc is skipped; a small slack covers float error in the distances).
3. *Restrict and solve*: arcs with positive reduced cost join the restricted set;
   the min cost flow solves it and its optimal duals are recovered as shortest-path
   potentials on the residual graph (Bellman-Ford, vectorised, on the integer
   costs the flow used). Between full passes the arcs kept from the last pass
   (the "pool") are re-priced cheaply and the restricted problem re-solved until
   the pool has no positive arc; then a full pass again.

It stops when a full pass finds no arc with positive reduced cost (the
allocation is then optimal up to the cost rounding, and the bound equals the
objective) or when the time limit is reached (the bound is then still valid and
`gap_bound` says how far from optimal the allocation can be at most).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .candidates import _blocks
from .geometry import BORDER_TOL, EARTH_RADIUS_KM, chord_for_km
from .index import ProblemIndex
from .problem import MAX_WAIT_DAYS

DEFAULT_TOP_M = 16  # pool: per need, its best provisions by reduced cost in each full pass
RC_EPS = 1e-5
KEEP_DELTA = 20.0  # between passes the restricted set keeps used arcs and those with rc > -KEEP_DELTA  # reduced costs above this count as positive (> the flow's cost rounding)


@dataclass
class PricePass:
    g: np.ndarray  # per need: max over eligible usable arcs of w - u_i (-inf when none)
    has_eligible: np.ndarray  # per need: some intake passes rules 1-6 (places or not)
    need: np.ndarray  # pool arcs
    intake: np.ndarray
    value: np.ndarray
    pairs: int  # need-provision pairs priced
    seconds: float


def _date_tables(index: ProblemIndex, k: int, days: np.ndarray, u: np.ndarray, usable: np.ndarray):
    """Per (available day, provision of category k): the best -(wait + u_i) over its usable
    date-eligible intakes (-inf if none), that intake, and whether any intake is date-eligible."""
    provs = index.provs_by_cat[k]
    first = index.prov_first_intake
    cnt = first[provs + 1] - first[provs]
    D, P = len(days), len(provs)
    best = np.full((D, P), -np.inf)
    arg = np.full((D, P), -1, dtype=np.int64)
    any_ok = np.zeros((D, P), dtype=bool)
    for s in range(int(cnt.max(initial=0))):
        cols = np.flatnonzero(cnt > s)
        J = first[provs[cols]] + s
        raw = index.intake_start[J][None, :] - days[:, None]
        ok = (raw <= MAX_WAIT_DAYS) & ((raw >= 0) | index.intake_rolling[J][None, :])
        any_ok[:, cols] |= ok
        t = np.where(ok & usable[J][None, :], -(np.maximum(raw, 0) + u[J][None, :]), -np.inf)
        sub = best[:, cols]
        better = t > sub
        best[:, cols] = np.where(better, t, sub)
        arg[:, cols] = np.where(better, J[None, :], arg[:, cols])
    return best, arg, any_ok


def price(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, v: np.ndarray, u: np.ndarray,
          *, top_m: int = DEFAULT_TOP_M, threads: int | None = None) -> PricePass:
    """One streaming pass over every eligible arc of the open needs (see the module docstring)."""
    t0 = time.perf_counter()
    w = index.problem.weights
    n_needs = len(index.need_client)
    g = np.full(n_needs, -np.inf)
    has_eligible = np.zeros(n_needs, dtype=bool)
    usable = places_left > 0
    first = index.prov_first_intake
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pairs = [0]
    tasks = []
    cxyz32: dict[int, np.ndarray] = {}
    pxyz32 = index.prov_xyz.astype(np.float32)
    for k in range(len(index.categories)):
        needs_k = np.flatnonzero(open_needs & (index.need_cat == k))
        provs_k = index.provs_by_cat[k]
        if len(needs_k) == 0 or len(provs_k) == 0:
            continue
        cl_k = index.need_client[needs_k]
        days, day_of = np.unique(index.client_avail[cl_k], return_inverse=True)
        best, arg, any_ok = _date_tables(index, k, days, u, usable)
        cxyz_k = index.client_xyz[cl_k]
        cmax_k = chord_for_km(index.client_max_km[cl_k]) * (1 + 1e-9) + 1e-12
        ctx = (k, needs_k, provs_k, cl_k, day_of.ravel(), best.astype(np.float32), arg, any_ok, cxyz_k, cmax_k)
        cxyz32[k] = cxyz_k.astype(np.float32)
        for rows in _blocks(cxyz_k, cmax_k):
            tasks.append((ctx, rows))

    def block(task):
        (k, needs_k, provs_k, cl_k, day_of, best, arg, any_ok, cxyz_k, cmax_k), rows = task
        r_need, r_cl = needs_k[rows], cl_k[rows]
        reach = cmax_k[rows].max()
        lo = cxyz_k[rows].min(axis=0) - reach
        hi = cxyz_k[rows].max(axis=0) + reach
        pxyz = index.prov_xyz[provs_k]
        pl = np.flatnonzero(np.all((pxyz >= lo) & (pxyz <= hi), axis=1))
        pb = provs_k[pl]
        keep = first[pb + 1] > first[pb]
        pl, pb = pl[keep], pb[keep]
        if len(pb) == 0:
            return None
        # Float32 distances: chord from coordinate differences, arcsin by its series
        # (exact to float32 for chords under 0.02, i.e. reaches under ~120 km; np.arcsin
        # otherwise). Their error (< 2e-3 km) is covered by the bound's slack, pairs
        # within 2e-3 km of a travel limit are re-decided with geopy's formula, and arcs
        # kept get their value recomputed in float64 exactly as in exact mode.
        cx, px = cxyz32[k][rows], pxyz32[pb]
        sq = np.subtract.outer(cx[:, 0], px[:, 0])
        sq *= sq
        t = np.subtract.outer(cx[:, 1], px[:, 1])
        t *= t
        sq += t
        np.subtract.outer(cx[:, 2], px[:, 2], out=t)
        t *= t
        sq += t
        np.sqrt(sq, out=sq)  # chord
        if reach < 0.02:
            np.multiply(sq, sq, out=t)
            t *= 1.0 / 24.0
            t += 1.0
            sq *= t
            sq *= EARTH_RADIUS_KM
        else:
            sq *= 0.5
            np.minimum(sq, 1.0, out=sq)
            np.arcsin(sq, out=sq)
            sq *= 2.0 * EARTH_RADIUS_KM
        km = sq
        limit = index.client_max_km[r_cl].astype(np.float32)[:, None]
        np.subtract(km, limit, out=t)
        np.abs(t, out=t)
        border = t <= np.float32(2e-3) + 1e-6 * limit
        bad = km > limit
        if border.any():
            for r, c in zip(*np.nonzero(border)):
                bad[r, c] = index.exact_km(int(r_cl[r]), int(pb[c])) > index.client_max_km[r_cl[r]]
        age = index.client_age[r_cl][:, None]
        if np.isfinite(index.prov_min_age[pb]).any():
            bad |= index.prov_min_age[pb][None, :] > age
        if np.isfinite(index.prov_max_age[pb]).any():
            bad |= age > index.prov_max_age[pb][None, :]
        for r, cl in enumerate(r_cl):
            ex = index.client_exclude.get(int(cl))
            if ex is not None:
                bad[r, np.isin(pb, ex)] = True
        dr = day_of[rows]
        anyd = any_ok[dr].take(pl, axis=1)
        anyd &= ~bad
        has_eligible[r_need] = anyd.any(axis=1)
        # Reduced cost w - v_n - u_i of the best intake of each provision.
        rc = best[dr].take(pl, axis=1)
        km *= np.float32(w.km_cost)
        rc -= km
        wp = index.prov_weight[pb]
        a = w.urgency_value * index.client_urgency[r_cl]
        if np.all(wp == 1.0):
            rc += (a - v[r_need]).astype(np.float32)[:, None]
        else:
            rc += a.astype(np.float32)[:, None] * wp.astype(np.float32)[None, :]
            rc -= v[r_need].astype(np.float32)[:, None]
        np.copyto(rc, np.float32(-np.inf), where=bad)
        m = min(top_m, rc.shape[1])
        sel = np.argpartition(rc, rc.shape[1] - m, axis=1)[:, -m:] if rc.shape[1] > m else \
            np.broadcast_to(np.arange(rc.shape[1]), rc.shape)
        sv = np.take_along_axis(rc, sel, axis=1)
        g[r_need] = sv.max(axis=1).astype(np.float64) + v[r_need]
        r, c = np.nonzero(np.isfinite(sv))
        cols = sel[r, c]
        out.append((r_need[r], arg[dr[r], pl[cols]], np.empty(0)))
        pairs[0] += rc.size
        return None

    n_threads = threads or min(2, os.cpu_count() or 1)
    if n_threads > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(n_threads) as ex:
            list(ex.map(block, tasks))
    else:
        for t in tasks:
            block(t)
    if out:
        need = np.concatenate([o[0] for o in out])
        intake = np.concatenate([o[1] for o in out])
    else:
        need = np.zeros(0, dtype=np.int64)
        intake = np.zeros(0, dtype=np.int64)
    value = arc_values(index, need, intake)
    pos = value > 0
    return PricePass(g, has_eligible, need[pos], intake[pos], value[pos], pairs[0], time.perf_counter() - t0)


def arc_values(index: ProblemIndex, need: np.ndarray, intake: np.ndarray) -> np.ndarray:
    """Placement values of given arcs, computed as in exact mode (chord on unit vectors)."""
    w = index.problem.weights
    cl = index.need_client[need]
    p = index.intake_prov[intake]
    d = index.client_xyz[cl] - index.prov_xyz[p]
    chord = np.minimum(np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2]), 2.0)
    km = (2.0 * EARTH_RADIUS_KM) * np.arcsin(chord * 0.5)
    limit = index.client_max_km[cl]
    for j in np.flatnonzero(np.abs(km - limit) <= BORDER_TOL * (1.0 + limit)):
        km[j] = index.exact_km(int(cl[j]), int(p[j]))
    wait = np.maximum(index.intake_start[intake] - index.client_avail[cl], 0)
    return w.urgency_value * index.client_urgency[cl] * index.prov_weight[p] - w.wait_day_cost * wait - w.km_cost * km


def flow_duals(n_needs: int, n_intakes: int, arc_need: np.ndarray, arc_intake: np.ndarray, cost: np.ndarray,
               used: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal duals (v per need, u per intake, in the flow's integer cost units) of an optimal
    flow, as shortest-path potentials on its residual graph.

    Nodes: needs 0..n_needs-1, intakes after them, then the sink. `cost` is the
    integer cost of each need->intake arc (-scaled value) and `used` its flow (0/1).
    Distances d from a virtual source joined to every node at cost 0 satisfy
    d(b) <= d(a) + c for each residual arc; with v_n = max(0, d_n - d_s) and
    u_i = max(0, d_s - d_i) every arc has v_n + u_i >= -cost, with equality on used
    arcs (complementary slackness), so (v, u) is optimal for the restricted LP.
    """
    sink = n_needs + n_intakes
    n_nodes = sink + 1
    inflow = np.bincount(arc_intake[used], minlength=n_intakes)
    met = np.zeros(n_needs, dtype=bool)
    met[arc_need[used]] = True
    need_nodes = np.arange(n_needs)
    int_nodes = n_needs + np.arange(n_intakes)
    # A need's supply of 1 already bounds each of its arcs, so need -> intake arcs are
    # uncapacitated here: a used arc has both residual directions and comes out tight.
    tails = [arc_need, n_needs + arc_intake[used],
             np.where(met, need_nodes, sink),  # need -> sink (unmet arc unused), else sink -> need
             int_nodes[inflow < capacity], np.full(int((inflow > 0).sum()), sink)]
    heads = [n_needs + arc_intake, arc_need[used],
             np.where(met, sink, need_nodes),
             np.full(int((inflow < capacity).sum()), sink), int_nodes[inflow > 0]]
    costs = [cost, -cost[used], np.zeros(n_needs, dtype=np.int64),
             np.zeros(len(tails[3]), dtype=np.int64), np.zeros(len(tails[4]), dtype=np.int64)]
    tail = np.concatenate(tails)
    head = np.concatenate(heads)
    c = np.concatenate(costs).astype(np.int64)
    order = np.argsort(tail, kind="stable")
    tail, head, c = tail[order], head[order], c[order]
    off = np.searchsorted(tail, np.arange(n_nodes + 1))
    d = np.zeros(n_nodes, dtype=np.int64)
    active = np.arange(n_nodes)
    for _ in range(n_nodes + 1):
        if len(active) == 0:
            break
        starts = off[active]
        cnt = off[active + 1] - starts
        tot = int(cnt.sum())
        if tot == 0:
            break
        idx = np.repeat(starts - (np.cumsum(cnt) - cnt), cnt) + np.arange(tot)
        cand = d[tail[idx]] + c[idx]
        h = head[idx]
        better = cand < d[h]
        if not better.any():
            break
        h, cand = h[better], cand[better]
        np.minimum.at(d, h, cand)
        active = np.unique(h)
    else:
        raise RuntimeError("negative cycle in the residual graph: the flow is not optimal")
    v = np.maximum(d[:n_needs] - d[sink], 0)
    u = np.maximum(d[sink] - d[n_needs:sink], 0)
    return v, u


@dataclass
class PricingResult:
    need: np.ndarray  # restricted arcs
    intake: np.ndarray
    value: np.ndarray
    used: np.ndarray  # per restricted arc: in the allocation
    has_eligible: np.ndarray
    primal: float  # sum of values of the used arcs
    bound: float  # proven upper bound on the optimum over the open needs
    optimal: bool  # a full pass found no arc with positive reduced cost
    stats: dict
    v: np.ndarray  # duals of the last restricted problem
    u: np.ndarray


def _restricted_flow(N: int, I: int, need: np.ndarray, intake: np.ndarray, value: np.ndarray,
                     places_left: np.ndarray):
    """Solve the flow on the restricted arcs; (used per arc, v per need, u per intake) in real units."""
    from .solver import flow_optimum

    needs_u, need_c = np.unique(need, return_inverse=True)
    intakes_u, intake_c = np.unique(intake, return_inverse=True)
    need_c, intake_c = need_c.ravel(), intake_c.ravel()
    cap = places_left[intakes_u]
    used, k = flow_optimum(len(needs_u), len(intakes_u), need_c, intake_c, value, cap)
    cost = -np.rint(value * 10.0**k).astype(np.int64)
    vc, uc = flow_duals(len(needs_u), len(intakes_u), need_c, intake_c, cost, used, cap)
    v = np.zeros(N)
    u = np.zeros(I)
    v[needs_u] = vc / 10.0**k
    u[intakes_u] = uc / 10.0**k
    return used, v, u, k


def solve_by_pricing(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, *,
                     top_m: int = DEFAULT_TOP_M, time_limit: float | None = None,
                     threads: int | None = None, max_passes: int = 50) -> PricingResult:
    """Column generation for the maximum value allocation (see the module docstring)."""
    t0 = time.perf_counter()
    N, I = len(index.need_client), len(index.intake_ids)
    v, u = np.zeros(N), np.zeros(I)
    pp = price(index, open_needs, places_left, v, u, top_m=top_m, threads=threads)
    has_eligible = pp.has_eligible
    need, intake, value = pp.need, pp.intake, pp.value
    key = np.sort(need * I + intake)
    pool_need, pool_intake, pool_value = pp.need, pp.intake, pp.value
    best_bound = np.inf
    optimal = False
    passes, solves, price_s, flow_s = 1, 0, pp.seconds, 0.0
    used = np.zeros(0, dtype=bool)
    primal = 0.0
    history = []
    while True:
        # Inner rounds: solve the restricted problem, re-price the pool, add its positive arcs.
        while True:
            t1 = time.perf_counter()
            if len(need):
                used, v, u, k = _restricted_flow(N, I, need, intake, value, places_left)
            solves += 1
            flow_s += time.perf_counter() - t1
            primal = float(value[used].sum())
            rc = pool_value - v[pool_need] - u[pool_intake]
            cand = rc > RC_EPS
            if cand.any():
                cand[cand] = ~np.isin(pool_need[cand] * I + pool_intake[cand], key, assume_unique=False)
            if not cand.any() or (time_limit is not None and time.perf_counter() - t0 > time_limit):
                break
            need = np.concatenate([need, pool_need[cand]])
            intake = np.concatenate([intake, pool_intake[cand]])
            value = np.concatenate([value, pool_value[cand]])
            key = np.sort(need * I + intake)
        if time_limit is not None and time.perf_counter() - t0 > time_limit and passes > 1:
            break
        # Full pass: a proven bound, and the arcs that price out.
        pp = price(index, open_needs, places_left, v, u, top_m=top_m, threads=threads)
        passes += 1
        price_s += pp.seconds
        slack = _slack(index, v, u)
        vfix = np.maximum(np.maximum(v, pp.g + slack), 0.0)
        bound = float(vfix[open_needs].sum() + (places_left * u).sum())
        best_bound = min(best_bound, bound)
        pool_need, pool_intake, pool_value = pp.need, pp.intake, pp.value
        rc = pool_value - v[pool_need] - u[pool_intake]
        cand = rc > RC_EPS
        if cand.any():
            cand[cand] = ~np.isin(pool_need[cand] * I + pool_intake[cand], key)
        history.append((round(time.perf_counter() - t0, 2), round(primal, 2), round(bound, 2), int(cand.sum()), len(need)))
        if not cand.any():
            optimal = True
            break
        if passes >= max_passes or (time_limit is not None and time.perf_counter() - t0 > time_limit):
            break
        # Keep the restricted set small: used arcs and those close to pricing out.
        if len(need):
            keep = used | (value - v[need] - u[intake] > -KEEP_DELTA)
            need, intake, value = need[keep], intake[keep], value[keep]
        need = np.concatenate([need, pool_need[cand]])
        intake = np.concatenate([intake, pool_intake[cand]])
        value = np.concatenate([value, pool_value[cand]])
        key = np.sort(need * I + intake)
    stats = {"pricing_passes": passes, "flow_solves": solves, "pricing_seconds": round(price_s, 3),
             "flow_seconds": round(flow_s, 3), "history": history}
    return PricingResult(need, intake, value, used, has_eligible, primal, best_bound, optimal, stats, v, u)



def _slack(index: ProblemIndex, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per need, more than the float error of `price`'s reduced costs (distances by dot product)."""
    w = index.problem.weights
    a = w.urgency_value * index.client_urgency[index.need_client]
    umax = float(u.max(initial=0.0))
    return 1e-9 * (a + v + umax + abs(w.wait_day_cost) * MAX_WAIT_DAYS) + abs(w.km_cost) * 1e-3 + 1e-9
