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
   need, its `top_m` provisions by reduced cost (best intake of each), a few
   random ones that price out (against herding) and ``g_n = max_i (w(n, i) - u_i)``
   over *all* its eligible arcs. The first pass (zero duals) seeds the restricted
   set: each need's best and random eligible arcs, each provision's closest needs.
2. *Bound*: ``v'_n = max(v_n, g_n)`` makes (v', u) dual feasible, so
   ``sum v'_n + sum places_i u_i`` is an upper bound on the optimum (a proven one:
   no arc is skipped; a small slack covers float error in the distances).
3. *Restrict and solve*: arcs with positive reduced cost join the restricted set;
   the min cost flow solves it and its optimal duals are recovered as shortest-path
   potentials on the residual graph (Bellman-Ford, vectorised, on the integer
   costs the flow used). Between full passes the arcs kept from the last pass
   (the "pool") are re-priced cheaply and the restricted problem re-solved while
   that gains and flows are cheap relative to a pass; then a full pass again.

Categories never share an intake: each is its own flow, its own bound (the best
over passes is kept) and its own convergence test (proven categories are not
priced again). When stopped early the bound is tightened from the last pass's
lists (`_lagrangian_bound`).

It stops when a full pass finds no arc with positive reduced cost (the
allocation is then optimal up to the cost rounding, and the bound equals the
objective) or when the time limit is reached (the bound is then still valid and
`gap_bound` says how far from optimal the allocation can be at most).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .candidates import _blocks
from .geometry import BORDER_TOL, EARTH_RADIUS_KM, chord_for_km
from .index import ProblemIndex
from .problem import MAX_WAIT_DAYS

DEFAULT_TOP_M = 8  # pool: per need, its best provisions by reduced cost in each full pass
SIDE_FACTOR = 3.0  # seed, intake side: each provision's best needs, this many per free place
_DEBUG = bool(os.environ.get("MATCHING_DEBUG"))
SIDE_CLOSE = True
SEED_RANDOM = 16
PASS_RANDOM = 16  # ... and in later passes (only those that price out are added)
LAGR_ROUNDS = 60  # auction rounds tightening the final bound
LAGR_SECONDS = 4.0
LAGR_PATIENCE = 2  # rounds without a better bound before giving up
LAGR_RESERVE = 2.0  # seconds kept for it when deciding whether another pass fits
LAGR_EPS = 1.0  # auction step floor (value units); the best bound seen is kept
INNER_MIN_GAIN = 1e-4  # relative objective gain for another inner round
INNER_MAX_FLOW_SHARE = 0.5  # ... and only while a flow solve costs less than this share of a full pass
DUALS_REVERSE = False
SIDE_PER_BLOCK = 2  # ... chosen from each block of nearby needs' best few for that provision
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
    rest: np.ndarray | None = None  # per need: max of w - u_i over the arcs not in its pool list
    side_need: np.ndarray | None = None  # intake side: per provision and block, its best needs
    side_prov: np.ndarray | None = None
    side_rc: np.ndarray | None = None


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
          *, top_m: int = DEFAULT_TOP_M, threads: int | None = None, per_block_prov: int = 0,
          n_random: int = 0, random_seed: int = 0) -> PricePass:
    """One streaming pass over every eligible arc of the open needs (see the module docstring).

    With `per_block_prov` > 0 it also returns, for each provision and block of needs, the
    block's `per_block_prov` best needs by reduced cost (the intake side of the seed).
    """
    t0 = time.perf_counter()
    w = index.problem.weights
    n_needs = len(index.need_client)
    g = np.full(n_needs, -np.inf)
    rest = np.full(n_needs, -np.inf)
    has_eligible = np.zeros(n_needs, dtype=bool)
    usable = places_left > 0
    first = index.prov_first_intake
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    side: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
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
        if rc.shape[1] > m:  # provisions left out are no better than the worst one kept
            rest[r_need] = sv.min(axis=1).astype(np.float64) + v[r_need]
        r, c = np.nonzero(np.isfinite(sv))
        cols = sel[r, c]
        out.append((r_need[r], arg[dr[r], pl[cols]], np.empty(0)))
        if n_random > 0 and rc.shape[1] > m:
            # A few random eligible provisions per need, so that the first restricted
            # problem can reach spare places anywhere, not only the nearest (and later
            # passes add arcs that price out beyond the few best, against herding).
            rng = np.random.default_rng((int(r_need[0]), random_seed))
            rcol = rng.integers(0, rc.shape[1], size=(rc.shape[0], n_random))
            rv = np.take_along_axis(rc, rcol, axis=1)
            ok = rv > 0 if random_seed else np.isfinite(rv)  # later passes: only arcs that price out
            r, c = np.nonzero(ok)
            out.append((r_need[r], arg[dr[r], pl[rcol[r, c]]], np.empty(0)))
        if per_block_prov > 0:
            # Ranked by closeness (reduced cost less the urgency part): the needs each
            # provision can serve best, whatever their urgency (the need side has those).
            q = min(per_block_prov, rc.shape[0])
            key = rc - (a * wp[0]).astype(np.float32)[:, None] if SIDE_CLOSE else rc
            top = np.argpartition(key, key.shape[0] - q, axis=0)[-q:] if key.shape[0] > q else \
                np.broadcast_to(np.arange(key.shape[0])[:, None], key.shape)
            tv = np.take_along_axis(key, top, axis=0)
            rr, cc = np.nonzero(np.isfinite(tv))
            side.append((r_need[top[rr, cc]], pb[cc], tv[rr, cc]))
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
    res = PricePass(g, has_eligible, need[pos], intake[pos], value[pos], pairs[0], time.perf_counter() - t0, rest)
    if side:
        res.side_need = np.concatenate([o[0] for o in side])
        res.side_prov = np.concatenate([o[1] for o in side])
        res.side_rc = np.concatenate([o[2] for o in side])
    return res


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
               used: np.ndarray, capacity: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
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
    if reverse:
        tail, head = head, tail
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
    if reverse:
        d = -d  # distances *to* each node reversed: the other extreme of the optimal duals
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


def _restricted_flow(need: np.ndarray, intake: np.ndarray, value: np.ndarray, places_left: np.ndarray):
    """Solve the flow on the restricted arcs; used per arc, and the needs, intakes and their duals
    (v, u in real units) of the nodes the arcs touch."""
    from .solver import flow_optimum

    needs_u, need_c = np.unique(need, return_inverse=True)
    intakes_u, intake_c = np.unique(intake, return_inverse=True)
    need_c, intake_c = need_c.ravel(), intake_c.ravel()
    cap = places_left[intakes_u]
    used, k = flow_optimum(len(needs_u), len(intakes_u), need_c, intake_c, value, cap)
    cost = -np.rint(value * 10.0**k).astype(np.int64)
    vc, uc = flow_duals(len(needs_u), len(intakes_u), need_c, intake_c, cost, used, cap, reverse=DUALS_REVERSE)
    return used, needs_u, vc / 10.0**k, intakes_u, uc / 10.0**k


def _intake_side(index: ProblemIndex, places_left: np.ndarray, pp: PricePass, factor: float):
    """Seed arcs from the intake side: each provision's best needs by reduced cost (`factor` x its
    free places of them), each joined to every usable date-eligible intake of the provision."""
    empty = np.zeros(0, dtype=np.int64)
    if pp.side_need is None or not len(pp.side_need) or factor <= 0:
        return empty, empty, np.zeros(0)
    first = index.prov_first_intake
    n_provs = len(first) - 1
    free = np.bincount(index.intake_prov, weights=np.maximum(places_left, 0), minlength=n_provs)
    cap = np.ceil(factor * free).astype(np.int64)
    order = np.lexsort((-pp.side_rc, pp.side_prov))
    sp, sn = pp.side_prov[order], pp.side_need[order]
    rank = np.arange(len(sp)) - np.searchsorted(sp, sp, side="left")
    keep = rank < cap[sp]
    sp, sn = sp[keep], sn[keep]
    cnt = first[sp + 1] - first[sp]
    rep = np.repeat(np.arange(len(sp)), cnt)
    J = first[sp][rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    n = sn[rep]
    raw = index.intake_start[J] - index.client_avail[index.need_client[n]]
    ok = (raw <= MAX_WAIT_DAYS) & ((raw >= 0) | index.intake_rolling[J]) & (places_left[J] > 0)
    n, J = n[ok], J[ok]
    value = arc_values(index, n, J)
    pos = value > 0
    return n[pos], J[pos], value[pos]


def _lagrangian_bound(index: ProblemIndex, pp: PricePass, mask: np.ndarray, places_left: np.ndarray,
                      u0: np.ndarray, budget: float) -> np.ndarray:
    """Per category, a proven upper bound from intake prices u >= u0 (the prices of pass `pp`).

    For fixed u the best v is v_n = max(0, max_i w(n, i) - u_i), so
    B(u) = sum_n max(0, max_i (w - u_i)) + sum_i places_i u_i bounds the optimum. The
    pass kept, per need, its best provisions under u0 and `rest`, the most any other
    arc was worth under u0; raising prices only lowers w - u_i, so with u >= u0,
    max_i (w - u_i) <= max(max over every intake of the kept provisions, rest) and B(u)
    is computable without another pass. Prices are raised auction-style (an intake
    wanted by more needs than its places goes up to its (places+1)-th best bid),
    keeping the best u found; -inf where a category has nothing to bound.
    """
    t0 = time.perf_counter()
    first = index.prov_first_intake
    n_cat = len(index.categories)
    N = len(index.need_client)
    # Every usable, date-eligible intake of the kept provisions (rules 1-4 hold for the provision).
    p = index.intake_prov[pp.intake]
    cnt = first[p + 1] - first[p]
    rep = np.repeat(np.arange(len(p)), cnt)
    J = first[p][rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    n = pp.need[rep]
    raw = index.intake_start[J] - index.client_avail[index.need_client[n]]
    ok = (raw <= MAX_WAIT_DAYS) & ((raw >= 0) | index.intake_rolling[J]) & (places_left[J] > 0)
    n, J = n[ok], J[ok]
    w = arc_values(index, n, J)
    order = np.argsort(n, kind="stable")
    n, J, w = n[order], J[order], w[order]
    starts = np.flatnonzero(np.r_[True, n[1:] != n[:-1]]) if len(n) else np.zeros(0, dtype=np.int64)
    nn = n[starts] if len(n) else n
    floor = np.maximum(pp.rest, 0.0)
    slack = _slack(index, np.zeros(N), u0)
    need_cat = index.need_cat
    int_cat = index.prov_cat[index.intake_prov]
    u = u0.copy()
    lone = mask & (need_cat >= 0)
    lone[nn] = False  # needs without kept arcs: their max is `rest` (or nothing)

    def evaluate(u):
        r = w - u[J]
        best = np.maximum.reduceat(r, starts) if len(r) else np.zeros(0)
        gmax = np.maximum(best, floor[nn])
        val = np.bincount(need_cat[nn], weights=gmax + slack[nn], minlength=n_cat)[:n_cat]
        val += np.bincount(need_cat[lone], weights=floor[lone] + slack[lone], minlength=n_cat)[:n_cat]
        val += np.bincount(int_cat, weights=places_left * u, minlength=n_cat)[:n_cat]
        return val, r, best

    best_b = np.full(n_cat, np.inf)
    stall = 0
    for _ in range(LAGR_ROUNDS):
        b, r, best = evaluate(u)
        better = b < best_b
        best_b = np.minimum(best_b, b)
        stall = 0 if better.any() else stall + 1
        if _ > 0 and stall > LAGR_PATIENCE:
            break
        if time.perf_counter() - t0 > budget or not len(r):
            break
        seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(r)]))
        is_top = r >= best[seg]
        top_pos = np.flatnonzero(is_top)
        top_pos = top_pos[np.r_[True, seg[top_pos][1:] != seg[top_pos][:-1]]]  # first argmax per need
        r2 = r.copy()
        r2[top_pos] = -np.inf
        second = np.maximum(np.maximum.reduceat(r2, starts), floor[nn])
        want = best > floor[nn]
        dem_j = J[top_pos][want]
        bid = u[dem_j] + (best - second)[want] + LAGR_EPS
        o = np.lexsort((-bid, dem_j))
        dj, db = dem_j[o], bid[o]
        rank = np.arange(len(dj)) - np.searchsorted(dj, dj, side="left")
        hit = rank == places_left[dj]  # the (places+1)-th best bid of an over-wanted intake
        if not hit.any():
            break
        u[dj[hit]] = np.maximum(u[dj[hit]], db[hit])
    best_b[np.bincount(need_cat[mask & (need_cat >= 0)], minlength=n_cat)[:n_cat] == 0] = -np.inf
    return best_b


def _contains(sorted_keys: np.ndarray, q: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(q), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, q), len(sorted_keys) - 1)
    return sorted_keys[pos] == q


def _unique_arcs(need, intake, value, I):
    _, first_seen = np.unique(need * I + intake, return_index=True)
    return need[first_seen], intake[first_seen], value[first_seen]


def solve_by_pricing(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, *,
                     top_m: int = DEFAULT_TOP_M, time_limit: float | None = None,
                     threads: int | None = None, max_passes: int = 50, seed_top_m: int | None = None,
                     side_factor: float = SIDE_FACTOR, side_per_block: int = SIDE_PER_BLOCK) -> PricingResult:
    """Column generation for the maximum value allocation (see the module docstring).

    Categories never share an intake, so each is its own flow problem: solved, priced
    and bounded on its own; a category whose full pass finds no positive arc is
    proven optimal and is not priced again.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    N, I = len(index.need_client), len(index.intake_ids)
    n_cat = len(index.categories)
    need_cat = index.need_cat
    int_cat = index.prov_cat[index.intake_prov] if I else np.zeros(0, dtype=np.int64)
    v, u = np.zeros(N), np.zeros(I)
    pp = price(index, open_needs, places_left, v, u, top_m=seed_top_m or top_m, threads=threads,
               per_block_prov=side_per_block if side_factor > 0 else 0, n_random=SEED_RANDOM)
    has_eligible = pp.has_eligible
    if _DEBUG:
        print(f"  {time.perf_counter() - t0:.2f}s pass0 {pp.seconds:.2f}s", file=sys.stderr, flush=True)
    sn, si, sv = _intake_side(index, places_left, pp, side_factor)
    need, intake, value = _unique_arcs(np.concatenate([pp.need, sn]), np.concatenate([pp.intake, si]),
                                       np.concatenate([pp.value, sv]), I)
    key = np.sort(need * I + intake)
    pool_need, pool_intake, pool_value = pp.need, pp.intake, pp.value
    known = open_needs & (need_cat >= 0)
    last_pp, last_u, last_mask = pp, u.copy(), known
    # Proven bound per category: the best over passes (zero duals to start: each need's best value).
    bound_k = np.bincount(need_cat[known], weights=np.maximum(pp.g[known], 0.0) + _slack(index, v, u)[known],
                          minlength=n_cat)[:n_cat]
    active = np.bincount(need_cat[pp.need], minlength=n_cat)[:n_cat] > 0  # categories with arcs to place
    bound_k[~active] = 0.0  # nothing to place: the optimum there is 0
    dirty = active.copy()
    used = np.zeros(len(need), dtype=bool)
    optimal = False
    passes, solves, price_s, flow_s = 1, 0, pp.seconds, 0.0
    last_pass_s, last_flow_s = pp.seconds, 0.0
    history = []

    def out_of_time(extra=0.0):
        return deadline is not None and time.perf_counter() + extra > deadline

    while True:
        # Inner rounds: solve the changed categories, re-price the pool, add its positive arcs
        # (while they still raise the objective noticeably; a full pass is then worth more).
        inner_last = -np.inf
        while True:
            t1 = time.perf_counter()
            arc_cat = need_cat[need]
            for k in np.flatnonzero(dirty):
                m = np.flatnonzero(arc_cat == k)
                v[open_needs & (need_cat == k)] = 0.0
                u[int_cat == k] = 0.0
                if len(m):
                    used_k, nu, vk, iu, uk = _restricted_flow(need[m], intake[m], value[m], places_left)
                    used[m] = used_k
                    v[nu], u[iu] = vk, uk
                solves += 1
            dirty[:] = False
            last_flow_s = time.perf_counter() - t1
            flow_s += last_flow_s
            if _DEBUG:
                print(f"  {time.perf_counter() - t0:.2f}s flows {last_flow_s:.2f}s arcs {len(need)} "
                      f"primal {float(value[used].sum()):.0f} met {int(used.sum())}", file=sys.stderr, flush=True)
            rc = pool_value - v[pool_need] - u[pool_intake]
            cand = rc > RC_EPS
            if cand.any():
                cand[cand] = ~_contains(key, pool_need[cand] * I + pool_intake[cand])
            now = float(value[used].sum())
            if (not cand.any() or out_of_time() or now - inner_last <= INNER_MIN_GAIN * abs(now)
                    or last_flow_s > INNER_MAX_FLOW_SHARE * last_pass_s):
                break
            inner_last = now
            need = np.concatenate([need, pool_need[cand]])
            intake = np.concatenate([intake, pool_intake[cand]])
            value = np.concatenate([value, pool_value[cand]])
            used = np.concatenate([used, np.zeros(int(cand.sum()), dtype=bool)])
            key = np.sort(need * I + intake)
            dirty[need_cat[pool_need[cand]]] = True
        primal = float(value[used].sum())
        if not active.any():
            optimal = True
            break
        share = known[active[np.maximum(need_cat, 0)] & (need_cat >= 0)].sum() / max(int(known.sum()), 1)
        if passes >= max_passes or out_of_time(last_pass_s * share + last_flow_s + LAGR_RESERVE):
            break
        # Full pass over the categories not yet proven: a bound for each, and the arcs that price out.
        mask = known & active[np.maximum(need_cat, 0)]
        pp = price(index, mask, places_left, v, u, top_m=top_m, threads=threads, n_random=PASS_RANDOM,
                   random_seed=passes)
        passes += 1
        price_s += pp.seconds
        if _DEBUG:
            print(f"  {time.perf_counter() - t0:.2f}s pass {pp.seconds:.2f}s", file=sys.stderr, flush=True)
        last_pass_s = pp.seconds / max(share, 1e-9)
        vfix = np.maximum(np.maximum(v, pp.g + _slack(index, v, u)), 0.0)
        bk = (np.bincount(need_cat[mask], weights=vfix[mask], minlength=n_cat)[:n_cat]
              + np.bincount(int_cat, weights=places_left * u, minlength=n_cat)[:n_cat])
        bound_k[active] = np.minimum(bound_k[active], bk[active])
        pool_need, pool_intake, pool_value = pp.need, pp.intake, pp.value
        last_pp, last_u, last_mask = pp, u.copy(), mask
        rc = pool_value - v[pool_need] - u[pool_intake]
        cand = rc > RC_EPS
        if cand.any():
            cand[cand] = ~_contains(key, pool_need[cand] * I + pool_intake[cand])
        active &= np.bincount(need_cat[pool_need[cand]], minlength=n_cat)[:n_cat] > 0
        history.append((round(time.perf_counter() - t0, 2), round(primal, 2), round(float(bound_k.sum()), 2),
                        int(cand.sum()), len(need), int(active.sum())))
        if not active.any():
            optimal = True
            break
        # Keep the restricted set small: used arcs and those close to pricing out.
        keep = used | (value - v[need] - u[intake] > -KEEP_DELTA)
        need, intake, value, used = need[keep], intake[keep], value[keep], used[keep]
        need = np.concatenate([need, pool_need[cand]])
        intake = np.concatenate([intake, pool_intake[cand]])
        value = np.concatenate([value, pool_value[cand]])
        used = np.concatenate([used, np.zeros(int(cand.sum()), dtype=bool)])
        key = np.sort(need * I + intake)
        dirty[need_cat[pool_need[cand]]] = True
    lagr_s = 0.0
    if not optimal and bound_k.sum() > primal * (1 + 1e-4):
        # Tighten the bound: raise intake prices from the last pass's (see `_lagrangian_bound`).
        t1 = time.perf_counter()
        budget = LAGR_SECONDS if deadline is None else max(min(LAGR_SECONDS, deadline - t1), 1.0)
        lb = _lagrangian_bound(index, last_pp, last_mask, places_left, last_u, budget)
        upd = np.isfinite(lb)  # categories the last pass priced (-inf: nothing there to bound)
        bound_k[upd] = np.minimum(bound_k[upd], lb[upd])
        lagr_s = time.perf_counter() - t1
    stats = {"pricing_passes": passes, "bound_seconds": round(lagr_s, 3), "flow_solves": solves, "pricing_seconds": round(price_s, 3),
             "flow_seconds": round(flow_s, 3), "categories_open": int(active.sum()), "history": history}
    return PricingResult(need, intake, value, used, has_eligible, primal, float(bound_k.sum()), optimal, stats, v, u)


def _slack(index: ProblemIndex, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per need, more than the float error of `price`'s reduced costs (distances by dot product)."""
    w = index.problem.weights
    a = w.urgency_value * index.client_urgency[index.need_client]
    umax = float(u.max(initial=0.0))
    return 1e-9 * (a + v + umax + abs(w.wait_day_cost) * MAX_WAIT_DAYS) + abs(w.km_cost) * 1e-3 + 1e-9
