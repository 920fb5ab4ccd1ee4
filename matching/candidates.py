"""Candidate arcs (need -> intake, value) that pass rules 1-6 and are worth placing.

Generation is vectorised and spatially pruned: needs are taken a category at a
time, grouped into blocks of nearby clients (a grid over unit vectors, so poles
and the antimeridian need no special case), and each block is measured only
against the provisions of that category inside the block's bounding box widened
by its longest travel limit. Each block is one dense (needs x intakes) matrix,
so memory is bounded by the block size, not by the problem size.

Two modes:

* ``exact`` keeps every eligible arc worth more than nothing; the flow on it is
  the true optimum. Memory grows with the number of arcs (~50 bytes each once in
  the flow solver).
* ``pruned`` keeps, for each need, its `per_need` most valuable intakes, united
  with, for each intake, its most valuable needs (twice its free places, at
  least 8, at most 64). In dense regions, where one client can reach thousands of
  intakes, this keeps the arc count linear in the problem size. Its gap to the
  exact optimum is measured in benchmarks/matching.py and recorded in README.md.

``auto`` tries exact and falls back to pruned once the arc count passes `max_arcs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import BORDER_TOL, chord_for_km, km_between
from .index import ProblemIndex
from .problem import MAX_WAIT_DAYS

DEFAULT_MAX_ARCS = 12_000_000  # ~1.5 GB peak through the flow solver; above it, prune
DEFAULT_PER_NEED = 24
BLOCK_ROWS = 512  # needs per dense block; blocks are rows x (intakes in reach)


@dataclass
class Candidates:
    need: np.ndarray  # need numbers
    intake: np.ndarray  # intake numbers
    value: np.ndarray  # real-valued placement values (> 0)
    has_eligible: np.ndarray  # per need: some intake passes rules 1-6 (places or not)
    mode: str  # "exact" or "pruned"
    pairs_measured: int  # client-provision distances computed


class TooManyArcs(Exception):
    """More exact arcs than `max_arcs`."""


def generate(
    index: ProblemIndex,
    open_needs: np.ndarray,
    places_left: np.ndarray,
    mode: str = "auto",
    per_need: int = DEFAULT_PER_NEED,
    max_arcs: int | None = DEFAULT_MAX_ARCS,
    repair: bool = False,
) -> Candidates:
    """Arcs for the needs flagged in `open_needs`, towards intakes with `places_left` > 0.

    ``auto`` is exact unless that passes `max_arcs`, then pruned. `repair` (pruned only)
    scans only provisions with a free place left.
    """
    if mode not in ("auto", "exact", "pruned"):
        raise ValueError(f"mode must be auto, exact or pruned, not {mode!r}")
    if mode == "exact":
        return _generate(index, open_needs, places_left, exact=True, per_need=per_need, max_arcs=None)
    if mode == "auto":
        try:
            return _generate(index, open_needs, places_left, exact=True, per_need=per_need, max_arcs=max_arcs)
        except TooManyArcs:
            pass
    return _generate(index, open_needs, places_left, exact=False, per_need=per_need, max_arcs=None,
                     repair=repair)


def generate_exact(index: ProblemIndex, open_needs: np.ndarray, places_left: np.ndarray,
                   max_arcs: int | None) -> Candidates:
    """Every arc worth placing; raises `TooManyArcs` once there are more than `max_arcs`."""
    return _generate(index, open_needs, places_left, exact=True, per_need=DEFAULT_PER_NEED, max_arcs=max_arcs)


def _blocks(cxyz: np.ndarray, cmax: np.ndarray):
    """Row groups of spatially close needs, each at most BLOCK_ROWS long."""
    n = len(cxyz)
    if n <= BLOCK_ROWS:
        yield np.arange(n)
        return
    # Cells half a typical reach wide: a block's bounding box then stays close to
    # the reach circle of its clients.
    s = max(float(np.median(cmax)) / 2.0, 1e-9)
    cells = np.floor(cxyz / s).astype(np.int64)
    _, inv = np.unique(cells, axis=0, return_inverse=True)
    order = np.argsort(inv.ravel(), kind="stable")
    bounds = np.flatnonzero(np.diff(inv.ravel()[order])) + 1
    for group in np.split(order, bounds):
        for start in range(0, len(group), BLOCK_ROWS):
            yield group[start : start + BLOCK_ROWS]


def _generate(index, open_needs, places_left, *, exact, per_need, max_arcs, repair=False) -> Candidates:
    w = index.problem.weights
    n_needs = len(index.need_client)
    has_eligible = np.zeros(n_needs, dtype=bool)
    out_need, out_intake, out_value = [], [], []
    n_arcs = 0
    pairs = 0
    first = index.prov_first_intake
    prov_free = None
    if repair:
        prov_free = np.zeros(len(first) - 1, dtype=bool)
        prov_free[index.intake_prov[places_left > 0]] = True

    for k in range(len(index.categories)):
        needs_k = np.flatnonzero(open_needs & (index.need_cat == k))
        provs_k = index.provs_by_cat[k]
        ints_k = index.intakes_by_cat[k]
        if len(needs_k) == 0 or len(ints_k) == 0:
            continue
        pxyz_k = index.prov_xyz[provs_k]
        cl_k = index.need_client[needs_k]
        cxyz_k = index.client_xyz[cl_k]
        # Slightly generous chord limits: the box is only a filter, rule 3 is decided below.
        cmax_k = chord_for_km(index.client_max_km[cl_k]) * (1 + 1e-9) + 1e-12

        if not exact:
            free_k = places_left[ints_k]
            per_intake = int(np.clip(2 * free_k.max(initial=0), 8, 64))
            top_val = np.full((len(ints_k), per_intake), -np.inf)
            top_need = np.full((len(ints_k), per_intake), -1, dtype=np.int64)

        for rows in _blocks(cxyz_k, cmax_k):
            r_need, r_cl = needs_k[rows], cl_k[rows]
            reach = cmax_k[rows].max()
            lo = cxyz_k[rows].min(axis=0) - reach
            hi = cxyz_k[rows].max(axis=0) + reach
            pb = provs_k[np.all((pxyz_k >= lo) & (pxyz_k <= hi), axis=1)]
            pb = pb[first[pb + 1] > first[pb]]  # provisions without intakes offer nothing
            if not exact and prov_free is not None:
                # Repair rounds scan only provisions with a free place left.
                pb = pb[prov_free[pb]]
            if len(pb) == 0:
                continue
            pairs += len(rows) * len(pb)

            km = km_between(index.client_xyz[r_cl], index.prov_xyz[pb])
            limit = index.client_max_km[r_cl][:, None]
            border = np.abs(km - limit) <= BORDER_TOL * (1.0 + limit)
            if border.any():
                # Decide rule 3 on geopy's own float for pairs at the limit.
                for r, c in zip(*np.nonzero(border)):
                    km[r, c] = index.exact_km(int(r_cl[r]), int(pb[c]))
            age = index.client_age[r_cl][:, None]
            ok_p = (km <= limit) & (index.prov_min_age[pb][None, :] <= age) & (age <= index.prov_max_age[pb][None, :])
            for r, cl in enumerate(r_cl):
                ex = index.client_exclude.get(int(cl))
                if ex is not None:
                    ok_p[r, np.isin(pb, ex)] = False

            # Columns: every intake of the provisions in reach.
            counts = first[pb + 1] - first[pb]
            col_p = np.repeat(np.arange(len(pb)), counts)
            offsets = np.arange(len(col_p)) - np.repeat(np.cumsum(counts) - counts, counts)
            J = first[pb][col_p] + offsets

            raw_wait = index.intake_start[J][None, :] - index.client_avail[r_cl][:, None]
            ok = ok_p[:, col_p] & (raw_wait <= MAX_WAIT_DAYS) & ((raw_wait >= 0) | index.intake_rolling[J][None, :])
            has_eligible[r_need] |= ok.any(axis=1)
            value = (
                (w.urgency_value * index.client_urgency[r_cl])[:, None] * index.prov_weight[pb][col_p][None, :]
                - w.wait_day_cost * np.maximum(raw_wait, 0)
                - w.km_cost * km[:, col_p]
            )
            # A placement worth nothing or less would not raise the objective: never an arc.
            keep = ok & (value > 0) & (places_left[J] > 0)[None, :]

            if exact:
                r, c = np.nonzero(keep)
                n_arcs += len(r)
                if max_arcs is not None and n_arcs > max_arcs:
                    raise TooManyArcs
                out_need.append(r_need[r])
                out_intake.append(J[c])
                out_value.append(value[r, c])
                continue

            V = np.where(keep, value, -np.inf)
            # Per need: its best `per_need` intakes.
            if V.shape[1] > per_need:
                sel = np.argpartition(-V, per_need - 1, axis=1)[:, :per_need]
            else:
                sel = np.broadcast_to(np.arange(V.shape[1]), V.shape)
            sv = np.take_along_axis(V, sel, axis=1)
            r, c = np.nonzero(np.isfinite(sv))
            out_need.append(r_need[r])
            out_intake.append(J[sel[r, c]])
            out_value.append(sv[r, c])
            # Per intake: merge this block's needs into its running best list.
            loc = np.searchsorted(ints_k, J)
            stack_val = np.concatenate([top_val[loc].T, V], axis=0)
            stack_need = np.concatenate([top_need[loc].T, np.broadcast_to(r_need[:, None], V.shape)], axis=0)
            L = top_val.shape[1]
            best = np.argpartition(-stack_val, L - 1, axis=0)[:L]
            top_val[loc] = np.take_along_axis(stack_val, best, axis=0).T
            top_need[loc] = np.take_along_axis(stack_need, best, axis=0).T

        if not exact:
            r, c = np.nonzero(np.isfinite(top_val))
            out_need.append(top_need[r, c])
            out_intake.append(ints_k[r])
            out_value.append(top_val[r, c])

    if out_need:
        need = np.concatenate(out_need)
        intake = np.concatenate(out_intake)
        value = np.concatenate(out_value)
    else:
        need = np.zeros(0, dtype=np.int64)
        intake = np.zeros(0, dtype=np.int64)
        value = np.zeros(0)
    if not exact and len(need):
        # The per-need and per-intake selections overlap; keep each arc once.
        _, first_seen = np.unique(need * len(index.intake_ids) + intake, return_index=True)
        need, intake, value = need[first_seen], intake[first_seen], value[first_seen]
    return Candidates(need, intake, value, has_eligible, "exact" if exact else "pruned", pairs)
