"""From chosen (need, intake) pairs to an `Allocation`, and accepted placements (pins).

Shared by every way of allocating (flow, pricing, greedy, CP-SAT): the placements are
written with geopy's distance to the nearest site and their value (rules.py), and every
other need is unmet with the contract's reason: `capacity` when some intake passes
every rule for it (places or not, worth anything or not), else
`no_eligible_provision` with `blocked_by`, the first rule after which no intake is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np

from .index import ProblemIndex
from .problem import RULES, Allocation, Placement, ProblemError, Unmet
from .scan import any_eligible, blocked_by_rules, placement_figures

NO_ELIGIBLE = "no_eligible_provision"
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
    """Open-need mask, free places per intake and (need, intake) pairs of accepted placements.

    A pinned placement is a fact (the young person has accepted it), so it is kept as
    given even if the rules no longer hold for it today; it uses one place of its intake
    and its need is no longer open.
    """
    open_needs = np.ones(index.n_needs, dtype=bool)
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


def eligible_needs(index: ProblemIndex, needs: np.ndarray) -> np.ndarray:
    """Per need of `needs` (a mask): some intake passes every rule (places or not)."""
    out = np.zeros(index.n_needs, dtype=bool)
    picked = np.flatnonzero(needs)
    if len(picked):
        out[picked] = any_eligible(index, picked)
    return out


def blocked_by(index: ProblemIndex, needs: np.ndarray) -> list[str]:
    """For needs no intake is eligible for: the first rule after which no intake is left."""
    worst = blocked_by_rules(index, needs)
    return [RULES[min(int(r), len(RULES)) - 1] for r in worst]


def read_out(index: ProblemIndex, pins: list[tuple[int, int]], need: np.ndarray, intake: np.ndarray,
             open_needs: np.ndarray, eligible: np.ndarray | None = None) -> Allocation:
    """The allocation for pinned placements plus chosen (need, intake) arcs; `eligible` (per
    need, as the scans give it) saves re-checking the rules for the unmet needs."""
    n_pins = len(pins)
    all_n = np.concatenate([np.array([n for n, _ in pins], dtype=np.int64), np.asarray(need, dtype=np.int64)])
    all_i = np.concatenate([np.array([i for _, i in pins], dtype=np.int64), np.asarray(intake, dtype=np.int64)])
    pinned = np.arange(len(all_n)) < n_pins
    order = np.argsort(all_n, kind="stable")
    all_n, all_i, pinned = all_n[order], all_i[order], pinned[order]
    km, wait, value = placement_figures(index, all_n, all_i)
    problem = index.problem
    starts = index.arrays.intake_start
    placements = [
        Placement(client=index.client_ids[index.arrays.need_client[n]], need=index.need_name[n],
                  provision=index.prov_ids[index.arrays.intake_prov[i]], intake=index.intake_ids[i],
                  start=date.fromordinal(int(starts[i])), wait_days=int(wt), distance_km=float(k), value=float(v),
                  pinned=bool(pn))
        for n, i, wt, k, v, pn in zip(all_n.tolist(), all_i.tolist(), wait.tolist(), km.tolist(), value.tolist(),
                                      pinned.tolist())
    ]
    placed = np.zeros(index.n_needs, dtype=bool)
    placed[all_n] = True
    unmet_mask = ~placed
    if eligible is None:
        eligible = eligible_needs(index, unmet_mask)
    else:
        missing = unmet_mask & ~open_needs  # not scanned (pinned needs are always placed)
        if missing.any():
            eligible = eligible | eligible_needs(index, missing)
    none = np.flatnonzero(unmet_mask & ~eligible)
    blocked = dict(zip(none.tolist(), blocked_by(index, none))) if len(none) else {}
    unmet = []
    for n in np.flatnonzero(unmet_mask).tolist():
        cid = index.client_ids[index.arrays.need_client[n]]
        if n in blocked:
            unmet.append(Unmet(cid, index.need_name[n], NO_ELIGIBLE, blocked[n]))
        else:
            unmet.append(Unmet(cid, index.need_name[n], CAPACITY))
    stats = {"needs": index.n_needs, "met": len(placements), "pinned": n_pins}
    return Allocation(placements, unmet, stats, version=problem.version)
