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
client, for `suggest` and greedy) and `placement_figures` (what is written out for a
placement: geopy km, wait, value).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from .config import TUNING
from .geometry import BORDER_TOL, fast_km
from .index import ProblemIndex
from .rules import (
    age_limited,
    age_ok,
    area_ok,
    cost_units,
    criteria_ok,
    distance_ok,
    exact_provision_km,
    excluded,
    fast_provision_km,
    first_failed_rule,
    placement_value,
    start_ok,
    value_parts,
    wait_days,
    wait_ok,
)


@numba.njit(cache=True, nogil=True)
def _grow(a, n):
    b = np.empty(max(2 * a.shape[0], n), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@numba.njit(cache=True, nogil=True)
def scan_blocks(A, b0, b1, open_need, places_left, v, u, scale, threshold, best, n_random, seed,
                top_i, top_w, top_rc, rnd_i, rnd_w, G, eligible):
    """Scan blocks b0..b1-1 (see the module docstring); returns the kept arcs (need, intake, W)."""
    K = A.n_cat
    cap = 4096
    out_n = np.empty(cap, dtype=np.int64)
    out_i = np.empty(cap, dtype=np.int64)
    out_w = np.empty(cap, dtype=np.int64)
    n_out = 0
    state = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 1000003 + b0 + 1)
    for b in range(b0, b1):
        for li in range(A.block_loc_ptr[b], A.block_loc_ptr[b + 1]):
            l = A.block_locs[li]
            lx, ly, lz = A.loc_xyz[l, 0], A.loc_xyz[l, 1], A.loc_xyz[l, 2]
            for k in range(K):
                g0, g1 = A.loc_need_ptr[l * K + k], A.loc_need_ptr[l * K + k + 1]
                if g0 == g1:
                    continue
                reach = A.loc_cat_max_km[l * K + k]
                limit = reach + BORDER_TOL * (1.0 + reach)
                seen = np.zeros(g1 - g0, dtype=np.int64)
                if best > 0:
                    for gi in range(g0, g1):
                        n = A.loc_needs[gi]
                        for j in range(best):
                            top_i[n, j] = -1
                            top_rc[n, j] = -np.inf
                        for j in range(n_random):
                            rnd_i[n, j] = -1
                for si in range(A.block_site_ptr[b * K + k], A.block_site_ptr[b * K + k + 1]):
                    s = A.block_sites[si]
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
                        limited = age_limited(A, p)
                        for gi in range(g0, g1):
                            n = A.loc_needs[gi]
                            if not open_need[n]:
                                continue
                            c = A.need_client[n]
                            if not distance_ok(A, c, l, p, kmp):
                                continue
                            if not area_ok(A, c, p) or not criteria_ok(A, c, p) or excluded(A, c, p):
                                continue
                            for i in range(f0, f1):
                                if not start_ok(A, c, i) or not wait_ok(A, c, i):
                                    continue
                                if limited and not age_ok(A, c, p, i):
                                    continue
                                eligible[n] = 1
                                if places_left[i] <= 0:
                                    continue
                                val = placement_value(A, n, i, kmp)
                                if not val > 0.0:
                                    continue
                                W = cost_units(val, scale)
                                gain = W - u[i]
                                if gain > G[n]:
                                    G[n] = gain
                                if best == 0:
                                    if n_out == out_n.shape[0]:
                                        out_n, out_i, out_w = _grow(out_n, n_out + 1), _grow(out_i, n_out + 1), _grow(out_w, n_out + 1)
                                    out_n[n_out], out_i[n_out], out_w[n_out] = n, i, W
                                    n_out += 1
                                    continue
                                rc = gain - v[n]
                                if rc > threshold and rc > top_rc[n, best - 1]:
                                    # Insert keeping top_rc[n] sorted, best first.
                                    j = best - 1
                                    while j > 0 and top_rc[n, j - 1] < rc:
                                        top_rc[n, j] = top_rc[n, j - 1]
                                        top_i[n, j] = top_i[n, j - 1]
                                        top_w[n, j] = top_w[n, j - 1]
                                        j -= 1
                                    top_rc[n, j], top_i[n, j], top_w[n, j] = rc, i, W
                                if n_random > 0:
                                    g = gi - g0
                                    seen[g] += 1
                                    if seen[g] <= n_random:
                                        rnd_i[n, seen[g] - 1], rnd_w[n, seen[g] - 1] = i, W
                                    else:
                                        state ^= state << np.uint64(13)
                                        state ^= state >> np.uint64(7)
                                        state ^= state << np.uint64(17)
                                        j = np.int64(state % np.uint64(seen[g]))
                                        if j < n_random:
                                            rnd_i[n, j], rnd_w[n, j] = i, W
                if best > 0:
                    for gi in range(g0, g1):
                        n = A.loc_needs[gi]
                        if not open_need[n]:
                            continue
                        need_room = n_out + best + n_random
                        if need_room > out_n.shape[0]:
                            out_n, out_i, out_w = _grow(out_n, need_room), _grow(out_i, need_room), _grow(out_w, need_room)
                        for j in range(best):
                            if top_i[n, j] >= 0:
                                out_n[n_out], out_i[n_out], out_w[n_out] = n, top_i[n, j], top_w[n, j]
                                n_out += 1
                        for j in range(n_random):
                            if rnd_i[n, j] >= 0:
                                out_n[n_out], out_i[n_out], out_w[n_out] = n, rnd_i[n, j], rnd_w[n, j]
                                n_out += 1
    return out_n[:n_out], out_i[:n_out], out_w[:n_out]


@dataclass
class ScanResult:
    need: np.ndarray  # kept arcs
    intake: np.ndarray
    w: np.ndarray  # value in cost units (int64)
    G: np.ndarray  # per need: max over usable arcs of W - u[i] (-inf when none)
    eligible: np.ndarray  # per need: some intake passes every rule (places or not)
    top_rc: np.ndarray | None = None  # (N, best) reduced costs of the best arcs, best first


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
             n_random: int = 0, seed: int = 0, threads: int | None = None) -> ScanResult:
    """Run `scan_blocks` over every block, split across threads; see the module docstring."""
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
    G = np.full(N, -np.inf)
    eligible = np.zeros(N, dtype=np.uint8)
    open_u8 = open_need.astype(np.uint8)
    places = np.ascontiguousarray(places_left, dtype=np.int64)
    threads = threads or TUNING.threads
    chunks = _chunks(index, 4 * threads if threads > 1 else 1)

    def one(chunk):
        return scan_blocks(A, chunk[0], chunk[1], open_u8, places, v, u, float(scale), float(threshold), best,
                           n_random, seed, top_i, top_w, top_rc, rnd_i, rnd_w, G, eligible)

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(threads) as ex:
            parts = list(ex.map(one, chunks))
    else:
        parts = [one(c) for c in chunks]
    if parts:
        need = np.concatenate([p[0] for p in parts])
        intake = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
    else:
        need = intake = w = np.zeros(0, dtype=np.int64)
    return ScanResult(need, intake, w, G, eligible.astype(bool), top_rc if best > 0 else None)


# --------------------------------------------------------------------------- one need / one client


@numba.njit(cache=True, nogil=True)
def blocked_by_kernel(A, needs, provs_of_cat_ptr, provs_of_cat):
    """Per need: the largest first-failed rule over every intake of its category (1 if none)."""
    out = np.ones(len(needs), dtype=np.int64)
    for j in range(len(needs)):
        n = needs[j]
        k = A.need_cat[n]
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
    return out


@numba.njit(cache=True, nogil=True)
def client_options(A, n, provs):
    """Every intake of the provisions `provs` seen from need n: intake, first failed rule,
    geopy km, wait_days and value (value only meaningful where the rule is 0)."""
    total = 0
    for p in provs:
        total += A.prov_first_intake[p + 1] - A.prov_first_intake[p]
    intake = np.empty(total, dtype=np.int64)
    rule = np.empty(total, dtype=np.int64)
    km_out = np.empty(total)
    wait = np.empty(total, dtype=np.int64)
    value = np.empty(total)
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
    return intake, rule, km_out, wait, value


@numba.njit(cache=True, nogil=True)
def placement_figures(A, needs, intakes):
    """geopy km, wait_days and value of each (need, intake), as written out."""
    m = len(needs)
    km = np.empty(m)
    wait = np.empty(m, dtype=np.int64)
    value = np.empty(m)
    for j in range(m):
        n, i = needs[j], intakes[j]
        c = A.need_client[n]
        km[j] = exact_provision_km(A, A.client_loc[c], A.intake_prov[i])
        wait[j] = wait_days(A, c, i)
        value[j] = placement_value(A, n, i, km[j])
    return km, wait, value


def provisions_by_category(index: ProblemIndex) -> tuple[np.ndarray, np.ndarray]:
    """CSR: provisions of category k are provs[ptr[k]:ptr[k+1]]."""
    cat = index.arrays.prov_cat
    order = np.argsort(cat, kind="stable").astype(np.int64)
    ptr = np.zeros(index.arrays.n_cat + 1, dtype=np.int64)
    np.add.at(ptr, cat + 1, 1)
    return np.cumsum(ptr), order


@numba.njit(cache=True, nogil=True)
def value_breakdown(A, needs, intakes, km):
    """The terms of each (need, intake)'s value at `km` (rules.value_parts), as (m, 5)."""
    out = np.empty((len(needs), 5))
    for j in range(len(needs)):
        a, b, c, d, e = value_parts(A, needs[j], intakes[j], km[j])
        out[j, 0], out[j, 1], out[j, 2], out[j, 3], out[j, 4] = a, b, c, d, e
    return out
