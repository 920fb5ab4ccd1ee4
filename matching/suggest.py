"""Suggestions for one client: the best options per need, each explained.

For a page view: one client's needs are checked against every intake of the same
category with a few vectorised operations (no flow solve), so with a prebuilt
`ProblemIndex` it takes milliseconds even for a region of 20k provisions.

"Best" is the contract's value given the places still free. An option's value is
broken down into its urgency part, the cost of its wait and the cost of its
journey; intakes that cannot be used are listed with the first rule they break.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .index import RULE_AGE, RULE_DISTANCE, RULE_EXCLUDE, RULE_START, RULE_WAIT, ProblemIndex
from .problem import MAX_WAIT_DAYS, Problem
from .solver import apply_pins


@dataclass(frozen=True)
class Option:
    """One intake a need could be placed on, with its value broken down."""

    provision: str
    intake: str
    start: date
    rolling: bool
    wait_days: int
    km: float
    places_left: int
    urgency_part: float  # urgency_value x urgency x provision weight
    wait_cost: float  # wait_day_cost x wait_days
    km_cost: float  # km_cost x km
    value: float  # urgency_part - wait_cost - km_cost


@dataclass(frozen=True)
class Excluded:
    """An intake of the need's category that cannot take it, and why."""

    provision: str
    intake: str
    rule: int | None  # contract rule broken (2..6); None for no places / not worth placing
    reason: str
    km: float


@dataclass
class NeedSuggestions:
    need: str
    options: list[Option] = field(default_factory=list)  # best first, at most top_n
    eligible_count: int = 0  # intakes passing rules 1-6 with a place left and value > 0
    excluded: list[Excluded] = field(default_factory=list)  # nearest first, at most max_excluded
    excluded_count: int = 0
    pinned_intake: str | None = None  # already placed (accepted) here
    note: str = ""


@dataclass
class Suggestions:
    client: str
    needs: list[NeedSuggestions]


def _reason(index: ProblemIndex, client: int, prov: int, intake: int, rule: int, km: float, wait: int) -> str:
    c = index.problem.clients[client]
    p = index.problem.provisions[prov]
    if rule == RULE_AGE:
        if p.min_age is not None and c.age < p.min_age:
            return f"age {c.age:g} below minimum {p.min_age:g}"
        return f"age {c.age:g} above maximum {p.max_age:g}"
    if rule == RULE_DISTANCE:
        return f"too far ({km:.1f} km > {c.max_travel_km:g} km)"
    if rule == RULE_EXCLUDE:
        return "excluded by client"
    start = date.fromordinal(int(index.intake_start[intake]))
    if rule == RULE_START:
        return f"starts {start.isoformat()}, before available date {c.available_from.isoformat()} (not rolling)"
    if rule == RULE_WAIT:
        return f"wait over {MAX_WAIT_DAYS} days ({wait} days)"
    raise AssertionError(rule)


def suggest(
    problem: Problem,
    client_id: str,
    top_n: int = 5,
    *,
    taken: Mapping[str, int] | None = None,
    pinned: Iterable[Any] = (),
    max_excluded: int = 50,
    index: ProblemIndex | None = None,
) -> Suggestions:
    """The `top_n` best options for each need of `client_id`, and why other intakes were excluded.

    Free places are each intake's `places` minus `taken[intake_id]` (e.g. referrals
    already accepted elsewhere) minus the `pinned` placements. Pass a prebuilt
    `index` to answer many page views from one problem.
    """
    index = index or ProblemIndex.build(problem)
    if client_id not in index.client_pos:
        raise KeyError(f"no client {client_id!r}")
    c = index.client_pos[client_id]
    _, places_left, pins = apply_pins(index, pinned)
    for intake_id, n in (taken or {}).items():
        if intake_id in index.intake_pos:
            places_left[index.intake_pos[intake_id]] -= n
    pinned_at = {n: i for n, i in pins}
    w = problem.weights
    out = []
    for need in problem.clients[c].needs:
        ns = NeedSuggestions(need=need)
        n = index.need_pos[(client_id, need)]
        if n in pinned_at:
            ns.pinned_intake = index.intake_ids[pinned_at[n]]
        if need not in index.cat_pos:
            ns.note = f"no provision in category {need!r}"
            out.append(ns)
            continue
        opt = index.options(c, need)
        free = np.maximum(places_left[opt.intakes], 0)
        usable = (opt.failed_rule == 0) & (free > 0) & (opt.value > 0)
        ns.eligible_count = int(usable.sum())
        best = np.flatnonzero(usable)
        best = best[np.lexsort((opt.intakes[best], -opt.value[best]))][:top_n]
        for j in best:
            i, p = int(opt.intakes[j]), int(opt.provisions[j])
            ns.options.append(Option(
                provision=problem.provisions[p].id, intake=index.intake_ids[i],
                start=date.fromordinal(int(index.intake_start[i])), rolling=bool(index.intake_rolling[i]),
                wait_days=int(opt.wait[j]), km=float(opt.km[j]), places_left=int(free[j]),
                urgency_part=float(opt.urgency_part[j]), wait_cost=float(w.wait_day_cost * opt.wait[j]),
                km_cost=float(w.km_cost * opt.km[j]), value=float(opt.value[j]),
            ))
        rest = np.flatnonzero(~usable)
        ns.excluded_count = len(rest)
        for j in rest[np.argsort(opt.km[rest], kind="stable")][:max_excluded]:
            i, p, rule = int(opt.intakes[j]), int(opt.provisions[j]), int(opt.failed_rule[j])
            if rule:
                reason = _reason(index, c, p, i, rule, float(opt.km[j]), int(opt.wait[j]))
            elif free[j] <= 0:
                rule, reason = None, "no places left"
            else:
                rule, reason = None, f"worth nothing under these weights (value {opt.value[j]:.2f})"
            ns.excluded.append(Excluded(problem.provisions[p].id, index.intake_ids[i], rule, reason, float(opt.km[j])))
        if not ns.options and not ns.note:
            ns.note = "no intake can take this need now" if ns.excluded_count else "no intake in this category"
        out.append(ns)
    return Suggestions(client=client_id, needs=out)
