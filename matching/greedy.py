"""First come, first served: the allocation practice the matcher replaces.

Clients are served in order of `available_from` (then id); each of their needs, in
the order listed, takes the soonest-starting intake that passes every rule, still has
a place and is worth more than nothing (a rolling intake that has already started
counts as starting on the client's available date); ties go to the nearest, then to
the intake listed first in the problem. Nothing is held back for a more urgent client
who comes later. It is the benchmark's baseline and pricing mode's first answer (its
placements seed the restricted arc set, so the matcher is never worse than it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numba
import numpy as np

from .index import ProblemIndex
from .placements import apply_pins, read_out
from .problem import MAX_WAIT_DAYS, Allocation, Problem
from .rules import (
    age_ok,
    area_ok,
    criteria_ok,
    distance_ok,
    excluded,
    fast_provision_km,
    placement_value,
    start_ok,
    wait_ok,
)


@numba.njit(cache=True, nogil=True, inline="always")
def _try(A, n, c, i, places_left, best, best_km):
    """km if need n can take intake i now and i beats (`best`, `best_km`), else inf."""
    if places_left[i] <= 0:
        return np.inf
    if not start_ok(A, c, i) or not wait_ok(A, c, i):
        return np.inf
    p = A.intake_prov[i]
    l = A.client_loc[c]
    km, _ = fast_provision_km(A, l, p)
    if km > best_km or (km == best_km and i > best):
        return np.inf
    if not distance_ok(A, c, l, p, km):
        return np.inf
    if not age_ok(A, c, p, i) or not area_ok(A, c, p) or not criteria_ok(A, c, p) or excluded(A, c, p):
        return np.inf
    if not placement_value(A, n, i, km) > 0.0:
        return np.inf
    return km


@numba.njit(cache=True, nogil=True, _nrt=False)  # allocates nothing: see scan.py
def greedy_kernel(A, needs, places_left, by_start_ptr, by_start, rolling_ptr, rolling, out):
    """Writes the intake chosen for each need in `needs` (served in that order) to `out`,
    -1 if none; updates places_left."""
    for j in range(len(needs)):
        out[j] = -1
        n = needs[j]
        k = A.need_cat[n]
        if k < 0:
            continue
        c = A.need_client[n]
        a = A.client_avail[c]
        best, best_km = -1, np.inf
        # Starting on the available day: rolling intakes already running, and intakes starting then.
        for q in range(rolling_ptr[k], rolling_ptr[k + 1]):
            i = rolling[q]
            if A.intake_start[i] > a:
                break
            km = _try(A, n, c, i, places_left, best, best_km)
            if km < np.inf:
                best, best_km = i, km
        lo, hi = by_start_ptr[k], by_start_ptr[k + 1]
        q = hi  # the first intake of the category starting on or after the available day
        while lo < q:
            mid = (lo + q) // 2
            if A.intake_start[by_start[mid]] < a:
                lo = mid + 1
            else:
                q = mid
        if best < 0:
            # Then day by day: the first day with any intake that can take the need.
            while q < hi:
                day = A.intake_start[by_start[q]]
                if day - a > MAX_WAIT_DAYS:
                    break
                while q < hi and A.intake_start[by_start[q]] == day:
                    i = by_start[q]
                    km = _try(A, n, c, i, places_left, best, best_km)
                    if km < np.inf:
                        best, best_km = i, km
                    q += 1
                if best >= 0:
                    break
        else:
            # Non-rolling intakes starting on the available day tie with rolling ones.
            while q < hi and A.intake_start[by_start[q]] == a:
                i = by_start[q]
                km = _try(A, n, c, i, places_left, best, best_km)
                if km < np.inf:
                    best, best_km = i, km
                q += 1
        if best >= 0:
            out[j] = best
            places_left[best] -= 1


def _orders(index: ProblemIndex):
    A = index.arrays
    K = A.n_cat
    cat = A.prov_cat[A.intake_prov] if len(A.intake_prov) else np.zeros(0, dtype=np.int64)
    by_start = np.lexsort((np.arange(len(cat)), A.intake_start, cat)).astype(np.int64)
    ptr = np.zeros(K + 1, dtype=np.int64)
    np.add.at(ptr, cat + 1, 1)
    ptr = np.cumsum(ptr)
    roll = by_start[A.intake_rolling[by_start] != 0]
    rptr = np.zeros(K + 1, dtype=np.int64)
    np.add.at(rptr, cat[roll] + 1, 1)
    return ptr, by_start, np.cumsum(rptr), roll


def greedy_arcs(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(need, intake) of the first-come-first-served placements of the open needs."""
    problem = index.problem
    clients = problem.clients
    order = sorted(range(len(clients)), key=lambda c: ((clients[c].available_from or problem.as_of), clients[c].id))
    rank = np.empty(len(clients), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(clients))
    needs = np.flatnonzero(open_needs)
    # Needs of a client are numbered in the order listed, so a stable sort by client rank keeps it.
    needs = needs[np.argsort(rank[index.arrays.need_client[needs]], kind="stable")].astype(np.int64)
    left = np.ascontiguousarray(places_left, dtype=np.int64).copy()
    chosen = np.empty(len(needs), dtype=np.int64)
    greedy_kernel(index.arrays, needs, left, *_orders(index), chosen)
    ok = chosen >= 0
    return needs[ok], chosen[ok]


def greedy(problem: Problem, pinned: Iterable[Any] = (), *, index: ProblemIndex | None = None) -> Allocation:
    """The first-come-first-served allocation (feasible, usually not optimal)."""
    t0 = time.perf_counter()
    index = index or ProblemIndex.build(problem)
    open_needs, places_left, pins = apply_pins(index, pinned)
    need, intake = greedy_arcs(index, open_needs, places_left)
    alloc = read_out(index, pins, need, intake, open_needs)
    alloc.stats.update(candidate_arcs=0, seconds=round(time.perf_counter() - t0, 3),
                       solver="greedy first-come-first-served", mode="greedy")
    return alloc
