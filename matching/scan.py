"""Scans over every (need, intake) pair within reach, compiled with numba.

One kernel, `scan_blocks`, walks blocks of locations (index.py): for each location,
each category its needs have, each candidate site within reach (distance measured
once per location and site), each provision of that category there (at its nearest
site only) and each need of the location in that category, it checks the rules and
computes the value through rules.py. What it keeps depends on `best`:

* ``best == 0`` (exact arcs): every arc worth more than nothing to an intake with a
  place left, as (need, intake, value in cost units);
* ``best > 0`` (pricing): per need its `best` arcs by reduced cost
  ``W - v[n] - u[i]`` above `threshold`, plus `n_random` random eligible ones, and
  ``G[n] = max_i (W - u[i])`` over every usable arc (for the dual bound).

Either way it marks each need that some intake passes all the rules for (places or
not: the contract's test for `capacity`). The kernel releases the GIL; `run_scan`
splits the blocks across threads (each need belongs to one block, so the per-need
outputs never collide).

The rest: `blocked_by_rules` (the first rule after which nothing is left, for needs
with no eligible intake), `client_options` (every intake of a category seen from one
client, for `suggest`), `placement_figures` (what is written out for a placement:
geopy km, wait, value) and `value_breakdown` (its terms).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from .config import TUNING
from .geometry import BORDER_TOL, fast_km
from .index import ProblemIndex
from .problem import MAX_WAIT_DAYS
from .rules import (
    age_limited,
    age_ok,
    age_years,
    area_code_ok,
    area_ok,
    cost_units,
    criteria_ok,
    distance_ok,
    exact_provision_km,
    excluded,
    fast_provision_km,
    first_failed_rule,
    placement_value,
    preference_bonus,
    start_ok,
    value_of_terms,
    value_parts,
    wait_days,
    wait_ok,
)


# The kernels are compiled without reference counting (`_nrt=False`): they allocate
# nothing (the callers pass every output array), and passing the problem's `Arrays`
# tuple to the inlined rule functions then costs nothing (with it, each call counted
# references to all its arrays: ~1 us a call, measured).
_kernel = numba.njit(cache=True, nogil=True, _nrt=False)


# Scratch rows: per need of the (location, category) group being scanned, gathered once
# so that the inner loops run over contiguous arrays without branches (the compiler
# vectorises them); the rare hits are then handled one by one.
(F_MAX_KM, F_URGENCY, F_WAITED_PART, F_WAIT_RATE, F_V, F_THRESHOLD, F_G, F_AGE, F_PREF, F_GAIN) = range(10)
(I_NEED, I_CLIENT, I_OK, I_AREA, I_FLAGS, I_AVAIL, I_KIND, I_BIRTH_Y, I_BIRTH_MD, I_AVAIL_Y, I_AVAIL_MD,
 I_ELIGIBLE, I_HIT, I_W, I_LEVEL) = range(15)
N_F, N_I = 10, 15


@_kernel
def scan_blocks(A, b0, b1, open_need, places_left, v, u, scale, threshold, best, n_random, seed, check_eligible,
                prune, top_i, top_w, top_rc, rnd_i, rnd_w, seen, G, eligible, out_n, out_i, out_w, sf, si, levels,
                side_n, side_w, side_rc):
    """Scan blocks b0..b1-1 (see the module docstring), writing kept arcs to out_*.

    Returns (arcs written, next block): the next block is b1 when all were done, else
    the first block whose arcs did not fit (its partial output is not counted).
    With `check_eligible` 0, full intakes are skipped (eligibility already known).

    With `prune`, an intake is skipped for a (location, category) group when an upper
    bound on the reduced cost of its arcs from every need of the group is at most
    `threshold`: per urgency level u of the group, over its needs that pass the
    provision's rules, the best scale x (waited + preference) - v_n, the latest available
    day and the wait rate give ``scale x (weight x urgency_value x u - wait_rate x wait -
    km_cost x km) + best - u_i`` (+2 units for rounding). G then holds an upper bound on
    the gain, at least v_n + threshold (exact for the arcs evaluated), which keeps the
    dual bound valid.

    The value is `rules.value_of_terms` with its terms computed in the same order from
    per-need and per-provision parts (tests check the two agree bit for bit).
    """
    K = A.n_cat
    w = A.weights
    v2_wait = w[5] != 0.0
    cap = out_n.shape[0]
    n_out = 0
    state = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 1000003 + b0 + 1)
    max_km, urg, waited_part, wait_rate = sf[F_MAX_KM], sf[F_URGENCY], sf[F_WAITED_PART], sf[F_WAIT_RATE]
    vv, thr, gg, age_fixed, pref, gain_row = sf[F_V], sf[F_THRESHOLD], sf[F_G], sf[F_AGE], sf[F_PREF], sf[F_GAIN]
    need_row, client_row, ok_row, area_row, flags_row = si[I_NEED], si[I_CLIENT], si[I_OK], si[I_AREA], si[I_FLAGS]
    avail, kind_row, by_row, bmd_row, ay_row, amd_row = (si[I_AVAIL], si[I_KIND], si[I_BIRTH_Y], si[I_BIRTH_MD],
                                                         si[I_AVAIL_Y], si[I_AVAIL_MD])
    elig_row, hit_row, w_row, level_row = si[I_ELIGIBLE], si[I_HIT], si[I_W], si[I_LEVEL]
    for b in range(b0, b1):
        block_start = n_out
        for li in range(A.block_loc_ptr[b], A.block_loc_ptr[b + 1]):
            l = A.block_locs[li]
            lx, ly, lz = A.loc_xyz[l, 0], A.loc_xyz[l, 1], A.loc_xyz[l, 2]
            for k in range(K):
                g0, g1 = A.loc_need_ptr[l * K + k], A.loc_need_ptr[l * K + k + 1]
                m = 0
                any_pref = False
                for gi in range(g0, g1):
                    n = A.loc_needs[gi]
                    if not open_need[n]:
                        continue
                    c = A.need_client[n]
                    u_c = A.client_urgency[c]
                    max_km[m] = A.client_max_km[c]
                    urg[m] = u_c
                    waited_part[m] = w[3] * A.need_waited[n]
                    wait_rate[m] = (u_c if v2_wait else 1.0) * w[1]
                    vv[m] = v[n]
                    thr[m] = threshold
                    gg[m] = G[n]
                    age_fixed[m] = A.client_age[c]
                    pref[m] = 0.0
                    need_row[m] = n
                    client_row[m] = c
                    area_row[m] = A.client_area[c]
                    flags = 0
                    if A.client_exclude_ptr[c + 1] > A.client_exclude_ptr[c]:
                        flags |= 1
                    if A.client_pref_ptr[c + 1] > A.client_pref_ptr[c]:
                        flags |= 2
                        any_pref = True
                    flags_row[m] = flags
                    avail[m] = A.client_avail[c]
                    kind_row[m] = A.client_age_kind[c]
                    by_row[m] = A.client_birth_y[c]
                    bmd_row[m] = A.client_birth_md[c]
                    ay_row[m] = A.client_avail_y[c]
                    amd_row[m] = A.client_avail_md[c]
                    elig_row[m] = 0
                    seen[n] = 0
                    for j in range(best):
                        top_i[n, j] = -1
                        top_rc[n, j] = -np.inf
                    for j in range(n_random):
                        rnd_i[n, j] = -1
                    m += 1
                if m == 0:
                    continue
                # Urgency levels of the group, for the pruning bound: levels[0, q] the urgency,
                # levels[1, q] its wait rate (the smallest), and per provision (rows 2-4) the
                # best scale x (waited + preference) - v, the latest and the earliest available day
                # over the level's needs that pass the provision's rules.
                n_lv = 0
                group_prune = prune != 0
                if group_prune:
                    for j in range(m):
                        q = 0
                        while q < n_lv and levels[0, q] != urg[j]:
                            q += 1
                        if q == n_lv:
                            if n_lv == levels.shape[1]:
                                group_prune = False
                                break
                            levels[0, q] = urg[j]
                            levels[1, q] = wait_rate[j]
                            n_lv += 1
                        levels[1, q] = min(levels[1, q], wait_rate[j])
                        level_row[j] = q
                    for j in range(m):
                        gg[j] = max(gg[j], vv[j] + threshold)
                reach = A.loc_cat_max_km[l * K + k]
                limit = reach + BORDER_TOL * (1.0 + reach)
                for bs in range(A.block_site_ptr[b * K + k], A.block_site_ptr[b * K + k + 1]):
                    s = A.block_sites[bs]
                    km = fast_km(lx, ly, lz, A.site_xyz[s, 0], A.site_xyz[s, 1], A.site_xyz[s, 2])
                    if km > limit:
                        continue
                    for pi in range(A.site_prov_ptr[s * K + k], A.site_prov_ptr[s * K + k + 1]):
                        p = A.site_provs[pi]
                        f0, f1 = A.prov_first_intake[p], A.prov_first_intake[p + 1]
                        if f0 == f1:
                            continue
                        kmp = km
                        if A.prov_site_ptr[p + 1] - A.prov_site_ptr[p] > 1:
                            kmp, nearest = fast_provision_km(A, l, p)
                            if nearest != s:
                                continue  # measured at its nearest site
                        # The rules that hold for the provision as a whole: distance, area, criteria, exclude.
                        border = False
                        for j in range(m):
                            ok_row[j] = kmp <= max_km[j]
                            border |= abs(kmp - max_km[j]) <= BORDER_TOL * (1.0 + max_km[j])
                        if border:  # decide the distance rule at the limit on geopy's float
                            exact = exact_provision_km(A, l, p)
                            for j in range(m):
                                if abs(kmp - max_km[j]) <= BORDER_TOL * (1.0 + max_km[j]):
                                    ok_row[j] = exact <= max_km[j]
                        if A.prov_any_area[p] == 0:
                            for j in range(m):
                                if ok_row[j] != 0:
                                    ok_row[j] = area_code_ok(A, area_row[j], p)
                        has_req = False
                        for x in range(A.prov_requires.shape[1]):
                            has_req |= A.prov_requires[p, x] != 0
                        if has_req:
                            for j in range(m):
                                if ok_row[j] != 0:
                                    ok_row[j] = criteria_ok(A, client_row[j], p)
                        any_ok = False
                        for j in range(m):
                            if (flags_row[j] & 1) != 0 and ok_row[j] != 0:
                                ok_row[j] = not excluded(A, client_row[j], p)
                            any_ok |= ok_row[j] != 0
                        if not any_ok:
                            continue
                        if any_pref:
                            for j in range(m):
                                if (flags_row[j] & 2) != 0:
                                    pref[j] = preference_bonus(A, client_row[j], p)
                        if group_prune:
                            for q in range(n_lv):
                                levels[2, q] = -np.inf
                                levels[3, q] = -np.inf
                                levels[4, q] = np.inf
                            for j in range(m):
                                if ok_row[j] != 0:
                                    q = level_row[j]
                                    levels[2, q] = max(levels[2, q], scale * (waited_part[j] + pref[j]) - vv[j])
                                    levels[3, q] = max(levels[3, q], float(avail[j]))
                                    levels[4, q] = min(levels[4, q], float(avail[j]))
                            rate = A.prov_weight[p] * w[0]
                        limited = age_limited(A, p)
                        lo, hi = A.prov_min_age[p], A.prov_max_age[p]
                        urgency_rate = A.prov_weight[p] * w[0]
                        km_cost = w[2] * kmp
                        for i in range(f0, f1):
                            usable = places_left[i] > 0
                            if not usable and check_eligible == 0:
                                continue
                            start = A.intake_start[i]
                            rolling = A.intake_rolling[i] != 0
                            sy, smd = A.intake_start_y[i], A.intake_start_md[i]
                            ui = u[i]
                            if group_prune:
                                # Upper bound on the reduced cost of (any need of the group, i).
                                ub = -np.inf
                                st = float(start)
                                for q in range(n_lv):
                                    if levels[2, q] == -np.inf:
                                        continue
                                    if (not rolling and st < levels[4, q]) or st - levels[3, q] > MAX_WAIT_DAYS:
                                        continue  # start or wait rule fails for the whole level
                                    x = (scale * (rate * levels[0, q] - levels[1, q] * max(st - levels[3, q], 0.0)
                                                  - w[2] * kmp) + levels[2, q])
                                    ub = max(ub, x)
                                if ub - ui + 2.0 <= threshold:
                                    continue  # no arc to this intake can price out
                            n_side = side_n.shape[1]
                            side_thr = max(threshold, side_rc[i, n_side - 1]) if n_side > 0 else np.inf
                            any_hit = False
                            # Branch-free over the needs: rules start, wait, age; value; gain; hits.
                            for j in range(m):
                                d = start - avail[j]
                                okj = (ok_row[j] != 0) & (d <= MAX_WAIT_DAYS) & ((d >= 0) | rolling)
                                if limited:
                                    late = d >= 0
                                    y = sy if late else ay_row[j]
                                    md = smd if late else amd_row[j]
                                    a = float(y - by_row[j] - (md < bmd_row[j]))
                                    a = age_fixed[j] if kind_row[j] == 1 else a
                                    okj &= (kind_row[j] == 0) | ((lo <= a) & (a <= hi))
                                elig_row[j] |= okj
                                wait = max(d, 0)
                                val = urgency_rate * urg[j] + waited_part[j] + pref[j] - wait_rate[j] * wait - km_cost
                                W = cost_units(val, scale)
                                gain = W - ui
                                good = okj & usable & (val > 0.0)
                                gain_row[j] = gain
                                w_row[j] = W
                                gg[j] = max(gg[j], gain) if good else gg[j]
                                hit = good & ((best == 0) | (gain - vv[j] > min(thr[j], side_thr)) | (n_random > 0))
                                hit_row[j] = hit
                                any_hit |= hit
                            if not any_hit:
                                continue
                            for j in range(m):
                                if hit_row[j] == 0:
                                    continue
                                n = need_row[j]
                                W = w_row[j]
                                if best == 0:
                                    if n_out == cap:
                                        return block_start, b
                                    out_n[n_out], out_i[n_out], out_w[n_out] = n, i, W
                                    n_out += 1
                                    continue
                                rc = gain_row[j] - vv[j]
                                if rc > side_thr:
                                    # The intake's own list of its best needs (per thread; merged after).
                                    q = n_side - 1
                                    while q > 0 and side_rc[i, q - 1] < rc:
                                        side_rc[i, q] = side_rc[i, q - 1]
                                        side_n[i, q] = side_n[i, q - 1]
                                        side_w[i, q] = side_w[i, q - 1]
                                        q -= 1
                                    side_rc[i, q], side_n[i, q], side_w[i, q] = rc, n, W
                                    side_thr = max(threshold, side_rc[i, n_side - 1])
                                if rc > thr[j]:
                                    # Insert keeping top_rc[n] sorted, best first.
                                    q = best - 1
                                    while q > 0 and top_rc[n, q - 1] < rc:
                                        top_rc[n, q] = top_rc[n, q - 1]
                                        top_i[n, q] = top_i[n, q - 1]
                                        top_w[n, q] = top_w[n, q - 1]
                                        q -= 1
                                    top_rc[n, q], top_i[n, q], top_w[n, q] = rc, i, W
                                    thr[j] = max(threshold, top_rc[n, best - 1])
                                if n_random > 0:
                                    seen[n] += 1
                                    if seen[n] <= n_random:
                                        rnd_i[n, seen[n] - 1], rnd_w[n, seen[n] - 1] = i, W
                                    else:
                                        state ^= state << np.uint64(13)
                                        state ^= state >> np.uint64(7)
                                        state ^= state << np.uint64(17)
                                        q = np.int64(state % np.uint64(seen[n]))
                                        if q < n_random:
                                            rnd_i[n, q], rnd_w[n, q] = i, W
                        if any_pref:
                            for j in range(m):
                                pref[j] = 0.0
                for j in range(m):
                    n = need_row[j]
                    if gg[j] > G[n]:
                        G[n] = gg[j]
                    if elig_row[j] != 0:
                        eligible[n] = 1
                if best > 0:
                    if n_out + m * (best + n_random) > cap:
                        return block_start, b
                    for j in range(m):
                        n = need_row[j]
                        for q in range(best):
                            if top_i[n, q] >= 0:
                                out_n[n_out], out_i[n_out], out_w[n_out] = n, top_i[n, q], top_w[n, q]
                                n_out += 1
                        for q in range(n_random):
                            if rnd_i[n, q] >= 0:
                                out_n[n_out], out_i[n_out], out_w[n_out] = n, rnd_i[n, q], rnd_w[n, q]
                                n_out += 1
    return n_out, b1


@_kernel
def _arc_units(A, needs, intakes, scale, out):
    for j in range(len(needs)):
        n, i = needs[j], intakes[j]
        c = A.need_client[n]
        km, _ = fast_provision_km(A, A.client_loc[c], A.intake_prov[i])
        out[j] = cost_units(placement_value(A, n, i, km), scale)


def arc_units(index: ProblemIndex, needs: np.ndarray, intakes: np.ndarray, scale: float) -> np.ndarray:
    """Values in cost units of given arcs, exactly as the scans compute them."""
    needs = np.ascontiguousarray(needs, dtype=np.int64)
    intakes = np.ascontiguousarray(intakes, dtype=np.int64)
    out = np.empty(len(needs), dtype=np.int64)
    _arc_units(index.arrays, needs, intakes, float(scale), out)
    return out


@dataclass
class ScanResult:
    need: np.ndarray  # kept arcs
    intake: np.ndarray
    w: np.ndarray  # value in cost units (int64)
    G: np.ndarray  # per need: max over usable arcs of W - u[i] (-inf when none)
    eligible: np.ndarray  # per need: some intake passes every rule (places or not)
    top_rc: np.ndarray | None = None  # (N, best) reduced costs of the best arcs, best first
    complete: bool = True  # False when it did not price every arc (only the rules were checked)


def _chunks(index: ProblemIndex, parts: int) -> list[tuple[int, int]]:
    """Block ranges of about equal work."""
    B = index.n_blocks
    if B == 0:
        return []
    work = index.block_work()
    edges = np.searchsorted(np.cumsum(work), np.linspace(0, work.sum(), parts + 1)[1:-1])
    bounds = sorted({0, B, *(int(e) + 1 for e in edges)})
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if a < b]


def run_scan(index: ProblemIndex, open_need: np.ndarray, places_left: np.ndarray, scale: float, *,
             v: np.ndarray | None = None, u: np.ndarray | None = None, best: int = 0, threshold: float = -np.inf,
             n_random: int = 0, seed: int = 0, threads: int | None = None,
             check_eligible: bool = True, prune: bool = False, intake_best: int = 0,
             deadline: float | None = None) -> ScanResult:
    """Run `scan_blocks` over every block, split across threads; see the module docstring.

    With a `deadline` (a `time.perf_counter()` reading) each thread scans one block at a
    time and starts none that would end past it (judged by its longest block so far); the
    blocks left are skipped and the result says ``complete=False`` (its G and eligibility
    then cover only the blocks scanned).
    """
    A = index.arrays
    N, I = index.n_needs, index.n_intakes
    v = np.zeros(N) if v is None else np.ascontiguousarray(v, dtype=np.float64)
    u = np.zeros(I) if u is None else np.ascontiguousarray(u, dtype=np.float64)
    m = max(best, 1)
    r = max(n_random, 1)
    top_i = np.empty((N, m), dtype=np.int64)
    top_w = np.empty((N, m), dtype=np.int64)
    top_rc = np.full((N, m), -np.inf)
    rnd_i = np.empty((N, r), dtype=np.int64)
    rnd_w = np.empty((N, r), dtype=np.int64)
    seen = np.zeros(N, dtype=np.int64)
    G = np.full(N, -np.inf)
    eligible = np.zeros(N, dtype=np.uint8)
    open_u8 = open_need.astype(np.uint8)
    places = np.ascontiguousarray(places_left, dtype=np.int64)
    threads = threads or TUNING.threads
    chunks = _chunks(index, 4 * threads if threads > 1 else 1)
    skipped = []
    per_need = best + n_random if best > 0 else 8

    group = int(np.diff(A.loc_need_ptr).max(initial=1))
    local = threading.local()
    sides = []

    def side_lists():
        if not hasattr(local, "side"):
            local.side = (np.full((I, intake_best), -1, dtype=np.int64), np.zeros((I, intake_best), dtype=np.int64),
                          np.full((I, intake_best), -np.inf))
            sides.append(local.side)
        return local.side

    def one(chunk):
        b0, b1 = chunk
        parts = []
        sf = np.empty((N_F, group))
        si = np.empty((N_I, group), dtype=np.int64)
        levels = np.empty((5, 8))
        cap = max(1024, per_need * N // max(len(chunks), 1))
        longest = 0.0  # the longest block so far: with a deadline, one block a call, none started that would overrun
        while b0 < b1:
            if deadline is not None and time.perf_counter() + longest > deadline:
                skipped.append((b0, b1))
                break
            out_n = np.empty(cap, dtype=np.int64)
            out_i = np.empty(cap, dtype=np.int64)
            out_w = np.empty(cap, dtype=np.int64)
            t = time.perf_counter()
            end = b1 if deadline is None else b0 + 1
            n_out, b_next = scan_blocks(A, b0, end, open_u8, places, v, u, float(scale), float(threshold), best,
                                        n_random, seed, int(check_eligible), int(prune), top_i, top_w, top_rc, rnd_i,
                                        rnd_w, seen, G, eligible, out_n, out_i, out_w, sf, si, levels, *side_lists())
            parts.append((out_n[:n_out], out_i[:n_out], out_w[:n_out]))
            if b_next < end and n_out == 0:
                cap *= 4  # one block alone did not fit
            elif b_next < end:
                cap *= 2
            else:
                longest = max(longest, time.perf_counter() - t)
            b0 = b_next
        return parts
        sf = np.empty((N_F, group))
        si = np.empty((N_I, group), dtype=np.int64)
        levels = np.empty((5, 8))
        cap = max(1024, per_need * N // max(len(chunks), 1))
        while b0 < b1:
            out_n = np.empty(cap, dtype=np.int64)
            out_i = np.empty(cap, dtype=np.int64)
            out_w = np.empty(cap, dtype=np.int64)
            n_out, b0 = scan_blocks(A, b0, b1, open_u8, places, v, u, float(scale), float(threshold), best, n_random,
                                    seed, int(check_eligible), int(prune), top_i, top_w, top_rc, rnd_i, rnd_w, seen,
                                    G, eligible, out_n, out_i, out_w, sf, si, levels, *side_lists())
            parts.append((out_n[:n_out], out_i[:n_out], out_w[:n_out]))
            if b0 < b1 and n_out == 0:
                cap *= 4  # one block alone did not fit
            elif b0 < b1:
                cap *= 2
        return parts

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(threads) as ex:
            parts = [p for ps in ex.map(one, chunks) for p in ps]
    else:
        parts = [p for c in chunks for p in one(c)]
    for side_n, side_w, side_rc in sides:
        # Each intake's best needs, from every thread's lists (those in none of them are worse).
        ok = side_n >= 0
        parts.append((side_n[ok], np.nonzero(ok)[0], side_w[ok]))
    if parts:
        need = np.concatenate([p[0] for p in parts])
        intake = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
    else:
        need = intake = w = np.zeros(0, dtype=np.int64)
    return ScanResult(need, intake, w, G, eligible.astype(bool), top_rc if best > 0 else None,
                      complete=not skipped)


# --------------------------------------------------------------------------- one need / one client


@_kernel
def _blocked_by(A, needs, provs_of_cat_ptr, provs_of_cat, out):
    for j in range(len(needs)):
        n = needs[j]
        k = A.need_cat[n]
        out[j] = 1
        if k < 0:
            continue
        l = A.client_loc[A.need_client[n]]
        worst = 1
        for q in range(provs_of_cat_ptr[k], provs_of_cat_ptr[k + 1]):
            p = provs_of_cat[q]
            f0, f1 = A.prov_first_intake[p], A.prov_first_intake[p + 1]
            if f0 == f1:
                continue
            km = exact_provision_km(A, l, p)
            for i in range(f0, f1):
                r = first_failed_rule(A, n, i, km)
                if r == 0:
                    r = 9  # eligible (the caller only asks about needs with none)
                if r > worst:
                    worst = r
        out[j] = worst


@_kernel
def _any_eligible(A, needs, provs_of_cat_ptr, provs_of_cat, out):
    for j in range(len(needs)):
        n = needs[j]
        k = A.need_cat[n]
        out[j] = 0
        if k < 0:
            continue
        c = A.need_client[n]
        l = A.client_loc[c]
        for q in range(provs_of_cat_ptr[k], provs_of_cat_ptr[k + 1]):
            p = provs_of_cat[q]
            f0, f1 = A.prov_first_intake[p], A.prov_first_intake[p + 1]
            if f0 == f1 or not area_ok(A, c, p) or not criteria_ok(A, c, p) or excluded(A, c, p):
                continue
            km, _ = fast_provision_km(A, l, p)
            if not distance_ok(A, c, l, p, km):
                continue
            for i in range(f0, f1):
                if start_ok(A, c, i) and wait_ok(A, c, i) and age_ok(A, c, p, i):
                    out[j] = 1
                    break
            if out[j]:
                break


def any_eligible(index: ProblemIndex, needs: np.ndarray) -> np.ndarray:
    """Per need of `needs` (numbers): some intake passes every rule, places or not.

    Stops at a need's first eligible intake, so it costs a fraction of a scan: only
    needs with no eligible intake at all look at every provision of their category.
    """
    ptr, provs = provisions_by_category(index)
    needs = np.ascontiguousarray(needs, dtype=np.int64)
    out = np.empty(len(needs), dtype=np.uint8)
    _any_eligible(index.arrays, needs, ptr, provs, out)
    return out.astype(bool)


def blocked_by_rules(index: ProblemIndex, needs: np.ndarray) -> np.ndarray:
    """Per need: the largest first-failed rule number over every intake of its category
    (1 when it has none), i.e. the rule after which no intake is left."""
    ptr, provs = provisions_by_category(index)
    needs = np.ascontiguousarray(needs, dtype=np.int64)
    out = np.empty(len(needs), dtype=np.int64)
    _blocked_by(index.arrays, needs, ptr, provs, out)
    return out


@_kernel
def _client_options(A, n, provs, intake, rule, km_out, wait, value):
    c = A.need_client[n]
    l = A.client_loc[c]
    t = 0
    for p in provs:
        km = exact_provision_km(A, l, p)
        for i in range(A.prov_first_intake[p], A.prov_first_intake[p + 1]):
            intake[t] = i
            rule[t] = first_failed_rule(A, n, i, km)
            km_out[t] = km
            wait[t] = wait_days(A, c, i)
            value[t] = placement_value(A, n, i, km)
            t += 1


def client_options(index: ProblemIndex, n: int, provs: np.ndarray):
    """Every intake of the provisions `provs` seen from need n: intake, first failed rule,
    geopy km, wait_days and value (value only meaningful where the rule is 0)."""
    A = index.arrays
    provs = np.ascontiguousarray(provs, dtype=np.int64)
    total = int((A.prov_first_intake[provs + 1] - A.prov_first_intake[provs]).sum())
    intake = np.empty(total, dtype=np.int64)
    rule = np.empty(total, dtype=np.int64)
    km = np.empty(total)
    wait = np.empty(total, dtype=np.int64)
    value = np.empty(total)
    _client_options(A, n, provs, intake, rule, km, wait, value)
    return intake, rule, km, wait, value


@_kernel
def _placement_figures(A, needs, intakes, km, wait, value):
    for j in range(len(needs)):
        n, i = needs[j], intakes[j]
        c = A.need_client[n]
        km[j] = exact_provision_km(A, A.client_loc[c], A.intake_prov[i])
        wait[j] = wait_days(A, c, i)
        value[j] = placement_value(A, n, i, km[j])


def placement_figures(index: ProblemIndex, needs: np.ndarray, intakes: np.ndarray):
    """geopy km, wait_days and value of each (need, intake), as written out."""
    needs = np.ascontiguousarray(needs, dtype=np.int64)
    intakes = np.ascontiguousarray(intakes, dtype=np.int64)
    km = np.empty(len(needs))
    wait = np.empty(len(needs), dtype=np.int64)
    value = np.empty(len(needs))
    _placement_figures(index.arrays, needs, intakes, km, wait, value)
    return km, wait, value


@_kernel
def _value_breakdown(A, needs, intakes, km, out):
    for j in range(len(needs)):
        a, b, c, d, e = value_parts(A, needs[j], intakes[j], km[j])
        out[j, 0], out[j, 1], out[j, 2], out[j, 3], out[j, 4] = a, b, c, d, e


def value_breakdown(index: ProblemIndex, needs: np.ndarray, intakes: np.ndarray, km: np.ndarray) -> np.ndarray:
    """The terms of each (need, intake)'s value at `km` (rules.value_parts), as (m, 5)."""
    out = np.empty((len(needs), 5))
    _value_breakdown(index.arrays, np.ascontiguousarray(needs, dtype=np.int64),
                     np.ascontiguousarray(intakes, dtype=np.int64), np.ascontiguousarray(km, dtype=np.float64), out)
    return out


def provisions_by_category(index: ProblemIndex) -> tuple[np.ndarray, np.ndarray]:
    """CSR: provisions of category k are provs[ptr[k]:ptr[k+1]]."""
    cat = index.arrays.prov_cat
    order = np.argsort(cat, kind="stable").astype(np.int64)
    ptr = np.zeros(index.arrays.n_cat + 1, dtype=np.int64)
    np.add.at(ptr, cat + 1, 1)
    return np.cumsum(ptr), order
