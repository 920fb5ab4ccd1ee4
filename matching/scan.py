"""Scans over every (need, intake) pair within reach, compiled with numba.

One kernel, `scan_blocks`, walks blocks of locations (index.py): per block and
category its candidate provisions (each once); per location the distance to each
one's nearest site (measured once per location and site), keeping those within the
reach of the location's needs; per need of the location in that category, each such
provision's rules and each of its intakes, with the value through rules.py. What it
keeps depends on `best`:

* ``best == 0`` (exact arcs): every arc worth more than nothing to an intake with a
  place left, as (need, intake, value in cost units);
* ``best > 0`` (pricing): per need its `best` arcs by reduced cost
  ``W - v[n] - u[i]`` above `threshold`, plus `n_random` random eligible ones, and
  ``G[n] = max_i (W - u[i])`` over every usable arc (for the dual bound).

Pricing skips work that cannot change what it keeps: a provision whose arcs are
bounded below the need's threshold (random samples come from the provisions looked at,
about twice as many as asked for drawn whatever their bound), on its least u and wait, on how
far its u fell since the need's G at the last pass, then per intake with its u and
wait. G is then an upper bound, which keeps the dual bound valid. A need whose best at
the last pass plus the most u fell on any of its block's candidates cannot price out is
skipped whole, before its reach is measured (in the pass that proves the optimum, nearly
every need). Otherwise a pass walks all the need's pairs within reach (271M at 100k x
20k) however few arcs it keeps, so that walk is kept lean: per (block, category) the
candidates' bound parts are gathered once; per
location squared chords come first, so sites out of reach skip the square root and
arcsine; in pricing passes each need's reach list is first filtered branch-free on both
provision-level bounds and on the rules that do not depend on the day (distance, area,
criteria).

With `check_eligible` it marks each need that some intake passes all the rules for
(places or not: the contract's test for `capacity`; skipping never hides that). The kernel releases the GIL; `run_scan`
splits the blocks across threads (each need belongs to one block, so the per-need
outputs never collide).

The rest: `blocked_by_rules` (the first rule after which nothing is left, for needs
with no eligible intake), `client_options` (every intake of a category seen from one
client, for `suggest`), `placement_figures` (what is written out for a placement:
geopy km, wait, value) and `value_breakdown` (its terms).
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from .config import TUNING
from .geometry import BORDER_TOL, chord2_beyond, km_of_chord
from .index import ProblemIndex
from .problem import MAX_WAIT_DAYS
from .rules import (
    age_limited,
    age_ok,
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
    value_parts,
    wait_days,
    wait_ok,
)


# The kernels are compiled without reference counting (`_nrt=False`): they allocate
# nothing (the callers pass every output array), and passing the problem's `Arrays`
# tuple to the inlined rule functions then costs nothing (with it, each call counted
# references to all its arrays: ~1 us a call, measured).
_kernel = numba.njit(cache=True, nogil=True, _nrt=False)


# Scratch rows, gathered once per (location, category) group. Per need of the group:
(F_MAX_KM, F_URGENCY, F_WAITED_PART, F_WAIT_RATE, F_V, F_AGE, F_BOUND) = range(7)
(I_NEED, I_CLIENT, I_AREA, I_FLAGS, I_AVAIL, I_KIND, I_BIRTH_Y, I_BIRTH_MD, I_AVAIL_Y, I_AVAIL_MD) = range(10)
N_F, N_I = 7, 10
# Per provision within the location's reach: km, the parts of the pruning bound, how far
# its u fell, and its areas for the pricing passes' prefilter (PF_ANY 1: any area, or
# more than three to check in full; unused codes -5, which no young person has).
(PF_KM, PF_RATE, PF_REST, PF_FIRST, PF_FALL, PF_ANY, PF_A0, PF_A1, PF_A2) = range(9)
N_PF = 9
# Per candidate provision of a (block, category): its site's unit vector (single-site
# provisions), its parts of the pruning bound, per location the squared chord to it, and
# its areas as above.
(C_X, C_Y, C_Z, C_CHORD2, C_RATE, C_U_MIN, C_FIRST, C_FALL, C_ANY, C_A0, C_A1, C_A2) = range(12)
N_C = 12


@numba.njit(cache=True, nogil=True, inline="always")
def _insert_ranked(rcs, ids, ws, row, rc, id_, w):
    """`_insert_sorted` with ties in rc to the lower id (-1, an empty slot, ranks last)."""
    q = rcs.shape[1] - 1
    while q > 0 and (rcs[row, q - 1] < rc or (rcs[row, q - 1] == rc and ids[row, q - 1] > id_)):
        rcs[row, q], ids[row, q], ws[row, q] = rcs[row, q - 1], ids[row, q - 1], ws[row, q - 1]
        q -= 1
    rcs[row, q], ids[row, q], ws[row, q] = rc, id_, w


@numba.njit(cache=True, nogil=True, inline="always")
def _insert_sorted(rcs, ids, ws, row, rc, id_, w):
    """Put (rc, id_, w) into row `row` of the lists, kept sorted best first (the last one falls off)."""
    q = rcs.shape[1] - 1
    while q > 0 and rcs[row, q - 1] < rc:
        rcs[row, q], ids[row, q], ws[row, q] = rcs[row, q - 1], ids[row, q - 1], ws[row, q - 1]
        q -= 1
    rcs[row, q], ids[row, q], ws[row, q] = rc, id_, w


@_kernel
def scan_blocks(A, b0, b1, open_need, places_left, v, u, u_min, first_start, g_last, u_last, u_fall, scale, threshold, best, n_random,
                seed, check_eligible, top_i, top_w, top_rc, rnd_i, rnd_w, seen, G, eligible, out_n, out_i, out_w, sf, si,
                mark, cand, cf, pf, c_req, p_req, reach_prov, look, counts, side_n, side_w, side_rc, side_min):
    """Scan blocks b0..b1-1 (see the module docstring), writing kept arcs to out_*.

    Returns (arcs written, next block): the next block is b1 when all were done, else
    the first block whose arcs did not fit (its partial output is not counted).
    With `check_eligible` 0, full intakes are skipped (eligibility already known).
    `u_min` is per provision the least u over its intakes with a place (inf if none),
    `first_start` the earliest start among them;
    `mark` (per provision, zeros) and the rest after `si` are scratch.

    `g_last` (per need, an upper bound on its G at an earlier scan's u, or inf) and
    `u_fall` (per provision, how far u fell since then on its intakes with a place, at
    least 0) give a second bound: an arc's reduced cost is now at most
    ``g_last[n] + u_fall[p] - v[n]``, so between passes only the provisions that got
    cheaper are looked at again for a need whose best was below its threshold.

    Per block and category: its candidate provisions (those with a site among the
    block's candidate sites), each once. Per location: the distance to each one's
    nearest site, keeping those within the reach of the location's needs. Per need and
    provision: a bound on the reduced cost of every arc to it (no wait, the best
    preference, the provision's least u) skips it when at most the need's threshold
    (`threshold`, or in pricing the need's `best`-th reduced cost so far once it has
    that many); otherwise the rules for the provision as a whole (distance, area,
    criteria, exclude), then each intake (start, wait, age on the day) and the value,
    terms in `rules.value_of_terms`' order (tests check the two agree bit for bit).
    Skipping keeps G an upper bound: G[n] >= v[n] + threshold whenever a provision was
    skipped, exact otherwise (a need skipped on its own threshold already has arcs above).
    Exact arcs (`best` 0) skip nothing; random samples are drawn from the arcs looked at
    (about 2 x `n_random` provisions a need are looked at whatever their bound).
    """
    K = A.n_cat
    w = A.weights
    v2_wait = w[5] != 0.0
    cap = out_n.shape[0]
    n_out = 0
    n_side = side_n.shape[1]
    can_skip = best > 0 and w[1] >= 0.0  # the bound takes the wait cost as >= 0
    max_km, urg, waited_part, wait_rate, vv, age_fixed, bound_row = (sf[F_MAX_KM], sf[F_URGENCY], sf[F_WAITED_PART],
                                                                     sf[F_WAIT_RATE], sf[F_V], sf[F_AGE], sf[F_BOUND])
    need_row, client_row, area_row, flags_row = si[I_NEED], si[I_CLIENT], si[I_AREA], si[I_FLAGS]
    avail, kind_row, by_row, bmd_row, ay_row, amd_row = (si[I_AVAIL], si[I_KIND], si[I_BIRTH_Y], si[I_BIRTH_MD],
                                                         si[I_AVAIL_Y], si[I_AVAIL_MD])
    p_km, p_rate, p_rest, p_first, p_fall = pf[PF_KM], pf[PF_RATE], pf[PF_REST], pf[PF_FIRST], pf[PF_FALL]
    p_any, p_a0, p_a1, p_a2 = pf[PF_ANY], pf[PF_A0], pf[PF_A1], pf[PF_A2]
    c_x, c_y, c_z, c_chord2 = cf[C_X], cf[C_Y], cf[C_Z], cf[C_CHORD2]
    c_rate, c_u_min, c_first, c_fall = cf[C_RATE], cf[C_U_MIN], cf[C_FIRST], cf[C_FALL]
    c_any, c_a0, c_a1, c_a2 = cf[C_ANY], cf[C_A0], cf[C_A1], cf[C_A2]
    # Pricing passes (no random samples, no eligibility) first filter each need's reach list
    # with both provision-level bounds at the need's starting threshold, branch-free (thr
    # only rises, so the provisions left out would be skipped below anyway), and with the
    # rules that hold for a need and a provision whatever the day: distance, area and
    # criteria (the first word of bits), checked in full below for those kept. About half
    # the pairs past the bounds failed one of these, pass after pass.
    prefilter = can_skip and n_random == 0 and check_eligible == 0
    for b in range(b0, b1):
        block_start = n_out
        # Random samples seeded per block: the same whichever thread scans it, in whatever calls.
        state = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 1000003 + b + 1)
        for k in range(K):
            # The block's candidate provisions in category k, each once.
            key = b * K + k + 1
            n_c = 0
            for bs in range(A.block_site_ptr[b * K + k], A.block_site_ptr[b * K + k + 1]):
                s = A.block_sites[bs]
                for q in range(A.site_prov_ptr[s * K + k], A.site_prov_ptr[s * K + k + 1]):
                    p = A.site_provs[q]
                    if mark[p] != key and A.prov_first_intake[p + 1] > A.prov_first_intake[p]:
                        mark[p] = key
                        if check_eligible != 0 or u_min[p] < np.inf:
                            cand[n_c] = p
                            n_c += 1
            if n_c == 0:
                continue
            fall_max = 0.0  # the most u fell on any candidate since the last pass
            for q in range(n_c):
                p = cand[q]
                c_rate[q] = scale * A.prov_weight[p] * w[0]
                c_u_min[q], c_first[q], c_fall[q] = u_min[p], first_start[p], u_fall[p]
                fall_max = max(fall_max, u_fall[p])
                s0 = A.prov_site_ptr[p]
                if A.prov_site_ptr[p + 1] - s0 > 1:
                    c_x[q] = np.nan  # several sites: measured one by one
                else:
                    s = A.prov_site[s0]
                    c_x[q], c_y[q], c_z[q] = A.site_xyz[s, 0], A.site_xyz[s, 1], A.site_xyz[s, 2]
                a0, a1 = A.prov_area_ptr[p], A.prov_area_ptr[p + 1]
                c_any[q] = 1.0 if A.prov_any_area[p] != 0 or a1 - a0 > 3 else 0.0
                c_a0[q] = A.prov_area[a0] if a1 - a0 > 0 else -5.0
                c_a1[q] = A.prov_area[a0 + 1] if a1 - a0 > 1 else -5.0
                c_a2[q] = A.prov_area[a0 + 2] if a1 - a0 > 2 else -5.0
                c_req[q] = A.prov_requires[p, 0]
            for li in range(A.block_loc_ptr[b], A.block_loc_ptr[b + 1]):
                l = A.block_locs[li]
                m = 0
                for gi in range(A.loc_need_ptr[l * K + k], A.loc_need_ptr[l * K + k + 1]):
                    n = A.loc_needs[gi]
                    if not open_need[n]:
                        continue
                    if prefilter and g_last[n] - v[n] + fall_max <= threshold:
                        # Nothing within reach can price out (the per-provision bound below
                        # with the block's largest fall): the need is skipped whole.
                        G[n] = max(G[n], v[n] + threshold)
                        counts[3] += 1
                        continue
                    c = A.need_client[n]
                    u_c = A.client_urgency[c]
                    max_km[m] = A.client_max_km[c]
                    urg[m] = u_c
                    waited_part[m] = w[3] * A.need_waited[n]
                    wait_rate[m] = (u_c if v2_wait else 1.0) * w[1]
                    vv[m] = v[n]
                    age_fixed[m] = A.client_age[c]
                    need_row[m] = n
                    client_row[m] = c
                    area_row[m] = A.client_area[c]
                    flags = 0
                    pref_max = 0.0
                    if A.client_exclude_ptr[c + 1] > A.client_exclude_ptr[c]:
                        flags |= 1
                    if A.client_pref_ptr[c + 1] > A.client_pref_ptr[c]:
                        flags |= 2
                        for x in range(A.client_pref_ptr[c], A.client_pref_ptr[c + 1]):
                            pref_max = max(pref_max, A.client_pref_bonus[x])
                    # The need's part of the bound (+2 units for rounding).
                    bound_row[m] = scale * (waited_part[m] + pref_max) - v[n] + 2.0
                    flags_row[m] = flags
                    avail[m] = A.client_avail[c]
                    kind_row[m] = A.client_age_kind[c]
                    by_row[m] = A.client_birth_y[c]
                    bmd_row[m] = A.client_birth_md[c]
                    ay_row[m] = A.client_avail_y[c]
                    amd_row[m] = A.client_avail_md[c]
                    seen[n] = 0
                    for j in range(best):
                        top_i[n, j] = -1
                        top_rc[n, j] = -np.inf
                    for j in range(n_random):
                        rnd_i[n, j] = -1
                    m += 1
                if m == 0:
                    continue
                # The provisions within reach (at their nearest site).
                lx, ly, lz = A.loc_xyz[l, 0], A.loc_xyz[l, 1], A.loc_xyz[l, 2]
                reach = A.loc_cat_max_km[l * K + k]
                limit = reach + BORDER_TOL * (1.0 + reach)
                # Squared chords first (a loop the compiler vectorises), then km only where
                # the chord may be within reach; the same floats as `fast_km`.
                for q in range(n_c):
                    dx, dy, dz = lx - c_x[q], ly - c_y[q], lz - c_z[q]
                    c_chord2[q] = dx * dx + dy * dy + dz * dz
                beyond = chord2_beyond(limit)
                n_r = 0
                for q in range(n_c):
                    p = cand[q]
                    if np.isnan(c_x[q]):
                        km, _ = fast_provision_km(A, l, p)
                    elif c_chord2[q] > beyond:
                        continue
                    else:
                        km = km_of_chord(math.sqrt(c_chord2[q]))
                    if km <= limit:
                        reach_prov[n_r] = p
                        p_km[n_r] = km
                        # bound = rate x urgency + (need's part) + rest
                        p_rate[n_r] = c_rate[q]
                        p_rest[n_r] = -scale * w[2] * km - c_u_min[q]
                        p_first[n_r] = c_first[q]
                        p_fall[n_r] = c_fall[q]
                        p_any[n_r], p_a0[n_r], p_a1[n_r], p_a2[n_r] = c_any[q], c_a0[q], c_a1[q], c_a2[q]
                        p_req[n_r] = c_req[q]
                        n_r += 1
                if n_r == 0:
                    continue
                for j in range(m):
                    n = need_row[j]
                    c = client_row[j]
                    flags = flags_row[j]
                    mk = max_km[j]
                    tol = BORDER_TOL * (1.0 + mk)
                    U, base, wr, av, vj = urg[j], waited_part[j], wait_rate[j], avail[j], vv[j]
                    kind, fixed, by, bmd, ay, amd = kind_row[j], age_fixed[j], by_row[j], bmd_row[j], ay_row[j], amd_row[j]
                    nb = bound_row[j]
                    was = g_last[n] - vj  # the need's best reduced cost at the earlier u
                    thr = max(threshold, top_rc[n, best - 1]) if best > 0 else np.inf
                    g = -np.inf
                    el = False
                    skipped = False
                    counts[0] += n_r
                    n_look = n_r
                    if prefilter:
                        n_look = 0
                        n_ok = 0  # eligible so far as checked here (those left out beyond are skipped on a bound)
                        a = float(area_row[j])
                        lack = ~A.client_criteria[c, 0]
                        for r in range(n_r):
                            ub = p_rate[r] * U + nb + p_rest[r] - scale * wr * max(p_first[r] - av, 0.0)
                            up = (ub > thr) & (was + p_fall[r] > thr)
                            ok = ((p_km[r] <= mk + tol)
                                  & ((p_any[r] != 0.0) | (p_a0[r] == a) | (p_a1[r] == a) | (p_a2[r] == a))
                                  & ((p_req[r] & lack) == 0))
                            look[n_look] = r
                            n_look += ok & up
                            n_ok += ok
                        skipped = n_look < n_ok
                    for q_look in range(n_look):
                        r = look[q_look] if prefilter else q_look
                        p = reach_prov[r]
                        km = p_km[r]
                        sample = False
                        if n_random > 0:
                            # About 2 x n_random provisions a need are looked at whatever their bound,
                            # so that its random arcs reach beyond its best.
                            state ^= state << np.uint64(13)
                            state ^= state >> np.uint64(7)
                            state ^= state << np.uint64(17)
                            sample = np.int64(state % np.uint64(n_r)) < 2 * n_random
                        if can_skip and not sample and (el or check_eligible == 0):
                            # No arc to this provision can make the need's list (nor tell eligibility):
                            # first on the provision's least u and least wait, then per intake with its u and wait.
                            ub = p_rate[r] * U + nb
                            least_wait = scale * wr * max(p_first[r] - av, 0.0)
                            if ub + p_rest[r] - least_wait <= thr or was + p_fall[r] <= thr:
                                skipped = True
                                continue
                            counts[1] += 1
                            ub -= scale * w[2] * km
                            any_up = False
                            for i in range(A.prov_first_intake[p], A.prov_first_intake[p + 1]):
                                if places_left[i] > 0:
                                    any_up |= ((ub - u[i] - scale * wr * max(A.intake_start[i] - av, 0) > thr)
                                               & (was + u_last[i] - u[i] > thr))
                            if not any_up:
                                skipped = True
                                continue
                        counts[2] += 1
                        # Rules of the provision as a whole; pairs at the distance limit on geopy's float.
                        ok = km <= mk
                        if abs(km - mk) <= tol:
                            ok = exact_provision_km(A, l, p) <= mk
                        if ok and A.prov_any_area[p] == 0:
                            ok = area_code_ok(A, area_row[j], p)
                        if ok:
                            ok = criteria_ok(A, c, p)
                        if ok and (flags & 1) != 0:
                            ok = not excluded(A, c, p)
                        if not ok:
                            continue
                        pref = preference_bonus(A, c, p) if (flags & 2) != 0 else 0.0
                        urgency_part = A.prov_weight[p] * w[0] * U
                        km_cost = w[2] * km
                        limited = age_limited(A, p)
                        lo, hi = A.prov_min_age[p], A.prov_max_age[p]
                        for i in range(A.prov_first_intake[p], A.prov_first_intake[p + 1]):
                            usable = places_left[i] > 0
                            if not usable and check_eligible == 0:
                                continue
                            d = A.intake_start[i] - av
                            if d > MAX_WAIT_DAYS or (d < 0 and A.intake_rolling[i] == 0):
                                continue
                            if kind != 0 and limited:
                                if kind == 1:
                                    a = fixed
                                elif d >= 0:
                                    a = float(A.intake_start_y[i] - by - (A.intake_start_md[i] < bmd))
                                else:
                                    a = float(ay - by - (amd < bmd))
                                if not (lo <= a <= hi):
                                    continue
                            el = True
                            if not usable:
                                continue
                            val = urgency_part + base + pref - wr * max(d, 0) - km_cost
                            if not val > 0.0:
                                continue
                            W = cost_units(val, scale)
                            gain = W - u[i]
                            g = max(g, gain)
                            rc = gain - vj
                            if best == 0:
                                if n_out == cap:
                                    return block_start, b
                                out_n[n_out], out_i[n_out], out_w[n_out] = n, i, W
                                n_out += 1
                                continue
                            if not rc > threshold:
                                continue
                            if n_side > 0 and (rc > side_min[i] or (rc == side_min[i] and n < side_n[i, n_side - 1])):
                                # The intake's own list of its best needs (per thread; merged after),
                                # ranked by reduced cost then need number, so that the merged lists
                                # do not depend on which thread scanned which blocks. side_min (its
                                # last entry, in a small array that stays in cache) is what most arcs
                                # are compared with.
                                listed = False  # a block scanned again (its arcs did not fit) meets it twice
                                for q in range(n_side):
                                    listed |= side_n[i, q] == n
                                if not listed:
                                    _insert_ranked(side_rc, side_n, side_w, i, rc, n, W)
                                    side_min[i] = side_rc[i, n_side - 1]
                            if rc > top_rc[n, best - 1]:
                                _insert_sorted(top_rc, top_i, top_w, n, rc, i, W)
                                thr = max(threshold, top_rc[n, best - 1])
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
                    if skipped:
                        g = max(g, vj + threshold)
                    if g > G[n]:
                        G[n] = g
                    if el:
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
    # (need, provision) pairs within reach, past the bound on u alone, looked at in full (of the
    # needs not skipped whole); needs skipped whole
    pairs: tuple = (0, 0, 0, 0)


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
             check_eligible: bool = True, intake_best: int = 0, g_last: np.ndarray | None = None,
             u_last: np.ndarray | None = None, deadline: float | None = None) -> ScanResult:
    """Run `scan_blocks` over every block, split across threads; see the module docstring.

    With a `deadline` (a `time.perf_counter()` reading) each thread scans one block at a
    time and starts none that would end past it (judged by its longest block so far); the
    blocks left are skipped and the result says ``complete=False`` (its G and eligibility
    then cover only the blocks scanned).
    """
    A = index.arrays
    N, I, P = index.n_needs, index.n_intakes, len(A.prov_cat)
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
    u_min = np.full(P, np.inf)  # per provision, the least u over its intakes with a place
    has_place = places > 0
    np.minimum.at(u_min, A.intake_prov[has_place], u[has_place])
    first_start = np.full(P, np.inf)  # ... and the earliest start among them
    np.minimum.at(first_start, A.intake_prov[has_place], A.intake_start[has_place].astype(np.float64))
    # Skipping needs on an earlier scan's G (see scan_blocks): how far u fell per provision since.
    u_fall = np.zeros(P)
    if g_last is None or u_last is None:
        g_last, u_last = np.full(N, np.inf), np.zeros(I)
    else:
        np.maximum.at(u_fall, A.intake_prov[has_place], (u_last - u)[has_place])
        g_last = np.ascontiguousarray(g_last, dtype=np.float64)
        u_last = np.ascontiguousarray(u_last, dtype=np.float64)
    counts_all = []
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
                          np.full((I, intake_best), -np.inf), np.full(I, -np.inf))
            sides.append(local.side)
        return local.side

    def one(chunk):
        b0, b1 = chunk
        parts = []
        sf = np.empty((N_F, group))
        si = np.empty((N_I, group), dtype=np.int64)
        mark = np.zeros(P, dtype=np.int64)
        # (need, provision) pairs within reach, past the bound on u alone, looked at; needs skipped whole
        counts = np.zeros(4, dtype=np.int64)
        counts_all.append(counts)
        cand = np.empty(P, dtype=np.int64)
        pf = np.empty((N_PF, P))
        cf = np.empty((N_C, P))
        c_req = np.empty(P, dtype=np.uint64)
        p_req = np.empty(P, dtype=np.uint64)
        look = np.empty(P, dtype=np.int64)
        reach_prov = np.empty(P, dtype=np.int64)
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
            mark[:] = 0  # a block whose arcs did not fit is scanned again
            n_out, b_next = scan_blocks(A, b0, end, open_u8, places, v, u, u_min, first_start, g_last, u_last, u_fall, float(scale),
                                        float(threshold),
                                        best, n_random, seed, int(check_eligible), top_i, top_w, top_rc, rnd_i, rnd_w,
                                        seen, G, eligible, out_n, out_i, out_w, sf, si, mark, cand, cf, pf, c_req, p_req, reach_prov, look,
                                        counts, *side_lists())
            parts.append((out_n[:n_out], out_i[:n_out], out_w[:n_out]))
            if b_next < end and n_out == 0:
                cap *= 4  # one block alone did not fit
            elif b_next < end:
                cap *= 2
            else:
                longest = max(longest, time.perf_counter() - t)
            b0 = b_next
        return parts

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(threads) as ex:
            parts = [p for ps in ex.map(one, chunks) for p in ps]
    else:
        parts = [p for c in chunks for p in one(c)]
    if sides:
        # Each intake's best needs over every thread's lists (each need is in one thread's
        # blocks only), ties to the lower need number: the same arcs whichever thread
        # happened to scan which blocks, so the same problem always gets the same answer.
        side_n, side_w, side_rc = (np.concatenate([s[j] for s in sides], axis=1) for j in range(3))
        order = np.lexsort((side_n, -side_rc), axis=-1)[:, :intake_best]
        side_n, side_w = np.take_along_axis(side_n, order, 1), np.take_along_axis(side_w, order, 1)
        ok = side_n >= 0
        parts.append((side_n[ok], np.nonzero(ok)[0], side_w[ok]))
    if parts:
        need = np.concatenate([p[0] for p in parts])
        intake = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
    else:
        need = intake = w = np.zeros(0, dtype=np.int64)
    pairs = tuple(int(x) for x in np.sum(counts_all, axis=0)) if counts_all else (0, 0, 0, 0)
    return ScanResult(need, intake, w, G, eligible.astype(bool), top_rc if best > 0 else None, pairs=pairs,
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
