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
2. *Restrict and solve*: the min cost flow on the restricted arcs, per category; its
   optimal duals are the residual graph's shortest-path potentials (flow.py). Late
   rounds add few arcs to a category: those are put into its last flow one at a time
   (a cheapest-cycle search each) instead of solving it again.
3. *Price*: scan every eligible arc (scan.py) for its reduced cost ``W - v_n - u_i``,
   keeping per need its best arcs that price out (> 0), and ``G_n = max_i (W - u_i)``.
   ``sum_n max(0, G_n) + sum_i places_i u_i`` is a proven upper bound (v'_n = max(0,
   G_n) makes (v', u) feasible). No arc pricing out proves the restricted optimum
   optimal: the bound then equals it.
4. Arcs that priced out join; unused arcs whose reduced cost fell below
   ``-Tuning.keep_reduced_cost`` leave; back to 2.

It stops when proven optimal or when the next pass would not fit before the
deadline (each category's flow is started only while its estimate fits), returning the best allocation found (the restricted set always holds the
last optimum's arcs, so the objective never falls) and the best bound seen.
All arithmetic is in the flow's integer cost units, so "no positive reduced cost" is
exact.
"""

from __future__ import annotations

import ctypes
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from .config import Tuning
from .flow import FlowPool, flow_with_duals, repaired_flow_with_duals
from .greedy import greedy_arcs
from .index import ProblemIndex
from .scan import arc_units, run_scan


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


class _Restricted:
    """The restricted arc set, kept sorted by (need, intake) key so that membership and
    merging cost a binary search, not a sort; each category's flow is solved alone."""

    def __init__(self, index: ProblemIndex, cap: np.ndarray):
        self.index, self.cap = index, cap
        self.I = index.n_intakes
        self.intake_cat = index.arrays.prov_cat[index.arrays.intake_prov]
        e = np.zeros(0, dtype=np.int64)
        self.key, self.need, self.intake, self.w, self.used = e, e, e, e, np.zeros(0, dtype=bool)
        # Added since its category's last flow (a category never solved has every arc fresh,
        # and its v and u are 0: putting them all in would solve it from an empty flow).
        self.fresh = np.zeros(0, dtype=bool)
        self.last_inserted = 0  # categories whose new arcs the last `solve` put into their flows

    def add(self, need, intake, w, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Add arcs not there yet (the first copy of each), and drop the arcs there that
        `keep` (per arc, when given) leaves out, in one merge; the arcs added, (need, intake)."""
        mk, first = np.unique(need * self.I + intake, return_index=True)
        need, intake, w = need[first], intake[first], w[first]
        keep = np.ones(len(self.key), dtype=bool) if keep is None else keep
        (self.key, self.need, self.intake, self.w, self.used, self.fresh,
         added) = _merged(self.key, self.need, self.intake, self.w, self.used, self.fresh, keep, mk, need, intake, w)
        return need[added], intake[added]

    def solve(self, categories, deadline: float, seconds_per_arc: float, v: np.ndarray, u: np.ndarray,
              pool: FlowPool | None = None, insert_share: float = 0.0) -> tuple[np.ndarray, float]:
        """Re-solve each category's flow and its duals; the categories left unsolved keep
        their last flow (still feasible). Updates `used`, and `v` and `u` for the categories
        solved.

        A category whose arcs added since its last flow are at most `insert_share` of its
        arcs gets them put into that flow (`repaired_flow_with_duals`, in this process,
        while the others are solved). The others are solved again, largest first, side by
        side on `pool` when given, while their estimated time (arcs x `seconds_per_arc` of
        one process) fits before `deadline`. Returns the categories left and the seconds
        per arc measured."""
        A = self.index.arrays
        cat = A.need_cat[self.need]
        groups = sorted(((k, np.flatnonzero(cat == k)) for k in categories), key=lambda g: -len(g[1]))
        few = [(k, m) for k, m in groups if self.fresh[m].sum() <= insert_share * len(m)]
        inserting = {k for k, _ in few}
        groups = [g for g in groups if g[0] not in inserting]
        workers = pool.workers if pool is not None else 1
        t0 = time.perf_counter()
        jobs, left, queued = [], [], 0
        for j, (k, m) in enumerate(groups):
            # Estimated end: the queue shared by the workers, and at least the largest flow.
            queued += len(m)
            if t0 + 1.25 * seconds_per_arc * max(len(groups[0][1]), queued / workers) > deadline:
                left = [g[0] for g in groups[j:]]
                break
            jobs.append((k, m, (self.need[m], self.intake[m], self.w[m], self.cap, v, u)))

        def insert() -> list:
            out = []
            for k, m in few:
                args = (self.need[m], self.intake[m], self.w[m], self.cap)
                got = repaired_flow_with_duals(*args, self.used[m], self.fresh[m], v, u)
                out.append((k, m, got if got is not None else flow_with_duals(*args, v, u)))
            return out

        if pool is not None and len(jobs) > 1:
            results, inserted = pool.map(flow_with_duals, [args for _, _, args in jobs], meanwhile=insert)
        else:
            results, inserted = [flow_with_duals(*args) for _, _, args in jobs], insert()
        arcs = sum(len(m) for _, m, _ in jobs)
        rate = (time.perf_counter() - t0) * min(workers, len(jobs)) / arcs if arcs else seconds_per_arc
        self.last_inserted = len(inserted)
        for k, m, (used, needs, v_k, intakes, u_k) in inserted + [(k, m, r) for (k, m, _), r in zip(jobs, results)]:
            self.used[m] = used
            self.fresh[m] = False
            v[A.need_cat == k] = 0  # needs and intakes left without arcs: 0
            u[self.intake_cat == k] = 0
            v[needs], u[intakes] = v_k, u_k
        return np.asarray(left, dtype=np.int64), rate


@numba.njit(cache=True)
def _merged(key, need, intake, w, used, fresh, keep, new_key, new_need, new_intake, new_w):
    """The restricted set's arrays (sorted by `key`) without the arcs `keep` leaves out and
    with the arcs of `new_key` (sorted, unique) that were not in it merged in, unused and
    fresh; and which of those were added. One linear pass instead of a search and an
    insertion per array."""
    n, m = len(key), len(new_key)
    added = np.zeros(m, dtype=np.bool_)
    a = 0
    total = 0
    for x in range(n):
        total += keep[x]
    for b in range(m):
        while a < n and key[a] < new_key[b]:
            a += 1
        if a == n or key[a] != new_key[b] or not keep[a]:  # (an arc left out comes back new)
            added[b] = True
            total += 1
    o_key = np.empty(total, dtype=key.dtype)
    o_need = np.empty(total, dtype=need.dtype)
    o_intake = np.empty(total, dtype=intake.dtype)
    o_w = np.empty(total, dtype=w.dtype)
    o_used = np.empty(total, dtype=used.dtype)
    o_fresh = np.empty(total, dtype=fresh.dtype)
    a, o = 0, 0
    for b in range(m + 1):
        end = new_key[b] if b < m else np.iinfo(np.int64).max
        while a < n and key[a] < end:
            if keep[a]:
                o_key[o], o_need[o], o_intake[o], o_w[o], o_used[o], o_fresh[o] = (key[a], need[a], intake[a], w[a],
                                                                                  used[a], fresh[a])
                o += 1
            a += 1
        if b < m and added[b]:
            o_key[o], o_need[o], o_intake[o], o_w[o] = new_key[b], new_need[b], new_intake[b], new_w[b]
            o_used[o], o_fresh[o] = False, True
            o += 1
    return o_key, o_need, o_intake, o_w, o_used, o_fresh, added


def _share_of_a_pass(looking: int, mask: np.ndarray, known: np.ndarray) -> float:
    """A pass's time as a share of a full pass's (every known need looked at): the needs it
    looks at, and at least a twentieth of those it walks past (its blocks and candidates
    cost that much however many needs it skips: measured at 100k, 0.09-0.18 s for the pass
    that proves the optimum, which looked at 1,006 of 130,272)."""
    return max(looking, 0.05 * int(mask.sum())) / max(int(known.sum()), 1)


def _large_blocks_straight_back() -> None:
    """Makes glibc's malloc hand every block of 1 MiB or more straight back to the system
    when freed (process-wide, from now on). By default, freeing a large block raises
    the threshold to its size (up to 32 MiB), so later arrays come from the heap, which
    keeps what is freed: the passes' scratch arrays then pile up (measured at 100k: peak
    1.17 GB, and 1.51-1.66 GB with the flow workers, against 1.01 and 1.27 GB). Does
    nothing where malloc is not glibc's."""
    try:
        ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (AttributeError, OSError):
        pass


def solve_by_pricing(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray, scale: float, *,
                     deadline: float, tuning: Tuning, max_passes: int = 100) -> PricingResult:
    """Column generation for the maximum value allocation (see the module docstring)."""
    _large_blocks_straight_back()
    pool = FlowPool(tuning.threads) if tuning.threads > 1 and index.n_needs >= tuning.parallel_flow_needs else None
    try:
        return _price(index, open_needs, places_left, scale, deadline, tuning, max_passes, pool)
    finally:
        if pool is not None:
            pool.close()


def _price(index, open_needs, places_left, scale, deadline, tuning, max_passes, pool) -> PricingResult:
    t0 = time.perf_counter()
    A = index.arrays
    N, I = index.n_needs, index.n_intakes
    K = A.n_cat
    cap = np.maximum(places_left, 0)
    need_cat = A.need_cat
    intake_cat = A.prov_cat[A.intake_prov] if I else np.zeros(0, dtype=np.int64)
    known = open_needs & (need_cat >= 0)
    history = []
    timing = {"greedy_seconds": 0.0, "scan_seconds": 0.0, "flow_seconds": 0.0,  # flows with their duals
              "bookkeeping_seconds": 0.0}  # the restricted set between passes

    def clock(key, t):
        timing[key] += time.perf_counter() - t

    def greedy_placements():
        t = time.perf_counter()
        g_need, g_intake = greedy_arcs(index, open_needs, places_left)
        g_w = arc_units(index, g_need, g_intake, scale)
        keep = g_w > 0
        clock("greedy_seconds", t)
        return g_need[keep], g_intake[keep], g_w[keep]

    # Time kept for reading the answer out (placements, unmet reasons), per need.
    reserve = tuning.read_out_seconds_per_need * N
    # Greedy (one thread, compiled without the GIL) runs beside the seed scan. The seed
    # scan stops between blocks early enough to leave `Tuning.seed_share_of_time`'s rest
    # for the first flows (then no bound: it did not see every arc, and eligibility is
    # checked at read-out for the needs it missed).
    with ThreadPoolExecutor(1) as beside:
        greedy_done = beside.submit(greedy_placements)
        t = time.perf_counter()
        seed_deadline = t + tuning.seed_share_of_time * (deadline - reserve - t)
        seed = run_scan(index, open_needs, places_left, scale, best=tuning.seed_best, n_random=tuning.seed_random,
                        seed=1, threads=tuning.threads, intake_best=tuning.intake_best, deadline=seed_deadline)
        last_scan = seed_scan = time.perf_counter() - t
        g_need, g_intake, g_w = greedy_done.result()
    greedy_units = float(g_w.sum())
    timing["scan_seconds"] += last_scan
    eligible = seed.eligible if seed.complete else None
    # Each pass starts from the last complete scan's G and u (scan_blocks skips needs it proves have nothing new).
    g_last, u_last = (seed.G, np.zeros(I)) if seed.complete else (None, None)

    def bounds(G, u):
        """Per category: sum_n max(0, G_n) + sum_i places_i u_i (a proven upper bound)."""
        return (np.bincount(need_cat[known], weights=np.maximum(G[known], 0), minlength=K)[:K]
                + np.bincount(intake_cat, weights=cap * u, minlength=K)[:K])

    bound_k = bounds(seed.G, np.zeros(I))
    R = _Restricted(index, cap)
    R.add(np.concatenate([g_need, seed.need]), np.concatenate([g_intake, seed.intake]), np.concatenate([g_w, seed.w]))
    # Greedy's placements stand in each category until its first flow: a category the time
    # limit leaves unsolved is still as good as greedy's.
    R.used[np.searchsorted(R.key, g_need * I + g_intake)] = True  # (every one of them is in R.key, sorted)
    proven = np.zeros(K, dtype=bool)
    proven[np.bincount(need_cat[R.need], minlength=K)[:K] == 0] = True  # nothing to place there
    dirty = np.flatnonzero(~proven)
    passes, flows = 1, 0
    last_primal = -np.inf
    optimal = False
    v = np.zeros(N, dtype=np.int64)
    u = np.zeros(I, dtype=np.int64)
    per_arc = tuning.flow_seconds_per_arc
    while True:
        # Re-solve the categories whose arcs changed.
        if len(dirty):
            t = time.perf_counter()
            left, per_arc = R.solve(dirty, deadline - reserve, per_arc, v, u, pool, tuning.insert_share)
            took = time.perf_counter() - t
            timing["flow_seconds"] += took
            if len(left) == len(dirty):
                break  # no flow fits: the last allocation (or greedy's) stands
            flows += 1
            if len(left):
                break  # out of time mid-round: the categories solved have their new optimum
            history.append({"t": round(time.perf_counter() - t0, 2), "arcs": int(len(R.need)),
                            "primal": float(R.w[R.used].sum()) / scale, "bound": float(bound_k.sum()) / scale,
                            "solved": len(dirty), "by_inserting_arcs": R.last_inserted, "seconds": round(took, 2)})
            dirty = np.zeros(0, dtype=np.int64)
        open_k = ~proven
        if not open_k.any():
            optimal = True
            break
        mask = known & open_k[np.maximum(need_cat, 0)]
        # The needs the pass will look at: at most those whose best at the last pass plus the
        # most u fell anywhere could price out (the scan skips the others whole; it judges
        # each need by its own block's fall, so it skips at least these).
        looking = int(mask.sum())
        if g_last is not None:
            fall = float(np.max(u_last[cap > 0] - u[cap > 0], initial=0.0))
            looking = int(np.count_nonzero(mask & (g_last - v + fall > 0)))
        share = _share_of_a_pass(looking, mask, known)
        # The next pass must fit, with a margin for a busy machine; its flows are then solved
        # (or its new arcs put into the last flows) each while its estimate fits (R.solve),
        # and a pass whose flows do not fit still tightens the bound. (Late rounds' flows
        # take a fraction of a full solve: gating on the last flow's time stopped runs with
        # time enough for them; the pass that proves the optimum looks at a few needs, so
        # gating on a full pass's time stopped runs with time enough for it.)
        if not flows or passes >= max_passes or time.perf_counter() + 1.25 * last_scan * share + reserve > deadline:
            break
        # A full pass over the categories not yet proven: a bound for each, and the arcs that price out.
        t = time.perf_counter()
        pr = run_scan(index, mask, places_left, scale, v=v.astype(np.float64), u=u.astype(np.float64),
                      best=tuning.pass_best, threshold=0.0, threads=tuning.threads, check_eligible=False,
                      intake_best=tuning.intake_best, g_last=g_last, u_last=u_last, deadline=deadline - reserve)
        if not pr.complete:
            break  # out of time mid-pass: its G covers only part of the needs, so no bound from it
        g_last, u_last = pr.G, u.astype(np.float64)  # the next pass looks again only where u fell
        this_scan = time.perf_counter() - t
        last_scan = this_scan / max(_share_of_a_pass(int(mask.sum()) - pr.pairs[3], mask, known), 1e-9)
        timing["scan_seconds"] += this_scan
        passes += 1
        t = time.perf_counter()
        bk = bounds(pr.G, u.astype(np.float64))
        bound_k[open_k] = np.minimum(bound_k[open_k], bk[open_k])
        positive = pr.w - v[pr.need] - u[pr.intake] > 0
        primal_k = np.bincount(need_cat[R.need[R.used]], weights=R.w[R.used], minlength=K)[:K]
        # The arcs that price out join the restricted set (unused: the primal stays), and the
        # set keeps its used arcs and those close to pricing out (only while the objective
        # rises, so that dropped arcs cannot come back for ever); the categories that got new
        # arcs are solved again.
        primal_now = float(primal_k.sum())
        keep = None
        if primal_now > last_primal:
            keep = R.used | (R.w - v[R.need] - u[R.intake] > -tuning.keep_reduced_cost * scale)
        last_primal = primal_now
        new_need, new_intake = R.add(pr.need[positive], pr.intake[positive], pr.w[positive], keep)
        got = np.bincount(need_cat[new_need], minlength=K)[:K] > 0
        dirty = np.flatnonzero(got)
        # Proven: nothing prices out and the bound (exact integers) meets the restricted optimum.
        newly = open_k & ~got & (bk <= primal_k)
        proven |= newly
        clock("bookkeeping_seconds", t)
        history.append({"t": round(time.perf_counter() - t0, 2), "priced_out": int(len(new_need)),
                        "needs_skipped_whole": pr.pairs[3], "pairs_within_reach": pr.pairs[0],
                        "pairs_looked_at": pr.pairs[2],
                        "needs_priced_out": int(np.count_nonzero(np.bincount(new_need, minlength=N))),
                        "intakes_priced_out": int(np.count_nonzero(np.bincount(new_intake, minlength=I))),
                        "open_categories": int((~proven).sum()), "scan_seconds": round(this_scan, 2)})
        if not (open_k & ~proven).any():
            optimal = True
            break
        if not got.any():
            break  # cannot happen with optimal duals (the bound would meet the optimum); stop, unproven
    primal = float(R.w[R.used].sum())
    need, intake, w, used = R.need, R.intake, R.w, R.used
    if primal < greedy_units:  # only when stopped before any flow could beat it
        need, intake, w = g_need, g_intake, g_w
        used = np.ones(len(need), dtype=bool)
        primal = greedy_units
    bound = float(bound_k.sum()) if not optimal else primal
    if not seed.complete and not optimal:
        bound = float("inf")  # the seed scan did not see every arc: no bound
    stats = {"pricing_passes": passes, "flow_rounds": flows, "seed_scan_seconds": round(seed_scan, 3),
             "categories_proven": int(proven.sum()), "history": history, **{k: round(x, 3) for k, x in timing.items()}}
    return PricingResult(need, intake, w, used, eligible, primal, max(bound, primal), optimal, stats)
