"""First come, first served: the allocation practice the matcher replaces.

Clients are served in order of `available_from` (then id); each of their needs, in
the order listed, takes the soonest-starting intake that passes rules 1-6 and still
has a place (a rolling intake that has already started counts as starting on the
client's available date), ties broken by distance and then intake id. Nothing is
held back for a more urgent client who comes later. Used as the benchmark's
baseline and in tests as a feasible (not optimal) allocation.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from .index import ProblemIndex
from .problem import Allocation, Problem, Unmet
from .solver import CAPACITY, NO_ELIGIBLE, _placement, apply_pins


def greedy(problem: Problem, pinned: Iterable[Any] = (), *, index: ProblemIndex | None = None) -> Allocation:
    """The first-come-first-served allocation (feasible, usually not optimal)."""
    t0 = time.perf_counter()
    index = index or ProblemIndex.build(problem)
    open_needs, places_left, pins = apply_pins(index, pinned)
    chosen = [(n, i, True) for n, i in pins]
    reasons = {}
    order = sorted(range(len(problem.clients)), key=lambda c: (problem.clients[c].available_from, problem.clients[c].id))
    needs_of = {}
    for n, c in enumerate(index.need_client):
        needs_of.setdefault(int(c), []).append(n)
    for c in order:
        for n in needs_of.get(c, []):
            if not open_needs[n]:
                continue
            opt = index.options(c, index.need_name[n])
            eligible = opt.failed_rule == 0
            free = eligible & (places_left[opt.intakes] > 0)
            if not free.any():
                reasons[n] = CAPACITY if eligible.any() else NO_ELIGIBLE
                continue
            cand = np.flatnonzero(free)
            pick = cand[np.lexsort((opt.intakes[cand], opt.km[cand], opt.wait[cand]))[0]]
            i = int(opt.intakes[pick])
            places_left[i] -= 1
            chosen.append((n, i, False))
    placements = [_placement(index, n, i, p) for n, i, p in sorted(chosen)]
    unmet = [Unmet(index.client_ids[index.need_client[n]], index.need_name[n], reasons[n]) for n in sorted(reasons)]
    stats = {"needs": len(index.need_client), "met": len(placements), "candidate_arcs": 0,
             "seconds": round(time.perf_counter() - t0, 3), "solver": "greedy first-come-first-served"}
    return Allocation(placements, unmet, stats)
