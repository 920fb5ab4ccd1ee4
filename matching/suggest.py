"""Suggestions for one client: the best options per need, each explained.

For a page view: one client's needs are checked against every intake of the same
category (no flow solve), so with a prebuilt `ProblemIndex` it takes milliseconds
even for a region of 20k provisions. The rules and the value are the ones every
allocation uses (rules.py), so a suggestion never breaks a rule the matcher keeps.

"Best" is the contract's value given the places still free. Each option's value is
broken into its terms; every intake that cannot be used is listed with the first
rule it breaks, named as in `blocked_by` (``age``, ``area``, ... see
`matching.problem.RULES`), or with ``no_places`` / ``not_worth_placing``; and
`excluded_by` counts them all by that name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .index import ProblemIndex
from .placements import apply_pins
from .problem import MAX_WAIT_DAYS, RULES, Problem
from .rules import AGE, AREA, CRITERIA, DISTANCE, EXCLUDE, START, WAIT
from .scan import client_options, provisions_by_category, value_breakdown

NO_PLACES = "no_places"  # passes every rule but no place is free
NOT_WORTH_PLACING = "not_worth_placing"  # passes every rule but is worth nothing under these weights


@dataclass(frozen=True)
class Option:
    """One intake a need could be placed on, with its value broken down."""

    provision: str
    intake: str
    start: date
    rolling: bool
    wait_days: int
    km: float  # to the provision's nearest site
    places_left: int
    urgency_part: float  # weight x urgency_value x urgency
    waited_part: float  # waited_day_value x days already waited (version 2)
    preference_part: float  # preference_value x (n - rank) / n for a listing the young person ranked
    wait_cost: float  # urgency x wait_day_cost x wait_days (version 1: not x urgency)
    km_cost: float  # km_cost x km
    value: float  # urgency_part + waited_part + preference_part - wait_cost - km_cost


@dataclass(frozen=True)
class Excluded:
    """An intake of the need's category that cannot take it, and why."""

    provision: str
    intake: str
    rule: str  # a rule name (matching.problem.RULES), "no_places" or "not_worth_placing"
    reason: str  # in plain words
    km: float


@dataclass
class NeedSuggestions:
    need: str
    options: list[Option] = field(default_factory=list)  # best first, at most top_n
    eligible_count: int = 0  # intakes passing every rule with a place left and value > 0
    excluded: list[Excluded] = field(default_factory=list)  # nearest first, at most max_excluded
    excluded_count: int = 0
    excluded_by: dict[str, int] = field(default_factory=dict)  # every excluded intake, counted by rule
    pinned_intake: str | None = None  # already placed (accepted) here
    note: str = ""


@dataclass
class Suggestions:
    client: str
    needs: list[NeedSuggestions]


def _age_words(age: float | None, p, client, start: date) -> str:
    if client.birth_date is not None:
        when = f" on {start.isoformat()}"
    else:
        when = ""
    if p.min_age is not None and age < p.min_age:
        return f"age {age:g}{when} below minimum {p.min_age:g}"
    return f"age {age:g}{when} above maximum {p.max_age:g}"


def _age_on(client, day: date) -> float | None:
    if client.birth_date is not None:
        b = client.birth_date
        return float(day.year - b.year - ((day.month, day.day) < (b.month, b.day)))
    return client.age


def _reason(index: ProblemIndex, c: int, p: int, i: int, rule: int, km: float, wait: int) -> str:
    client = index.problem.clients[c]
    prov = index.problem.provisions[p]
    avail = client.available_from or index.problem.as_of
    start = date.fromordinal(int(index.arrays.intake_start[i]))
    if rule == AGE:
        day = max(start, avail)
        return _age_words(_age_on(client, day), prov, client, day)
    if rule == AREA:
        served = ", ".join(sorted(prov.areas or ()))
        if client.area is None:
            return f"serves {served or 'no area'} only; no home area recorded"
        return f"serves {served or 'no area'} only; lives in {client.area}"
    if rule == CRITERIA:
        missing = ", ".join(sorted(prov.requires - client.criteria))
        return f"only for young people who are: {missing}"
    if rule == DISTANCE:
        return f"too far ({km:.1f} km > {client.max_travel_km:g} km)"
    if rule == EXCLUDE:
        return "excluded by client"
    if rule == START:
        return f"starts {start.isoformat()}, before available date {avail.isoformat()} (not rolling)"
    if rule == WAIT:
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
    """The `top_n` best options for each need of `client_id`, and why other intakes are excluded.

    Free places are each intake's `places` minus `taken[intake_id]` (e.g. referrals
    already accepted elsewhere) minus the `pinned` placements. Pass a prebuilt `index`
    to answer many page views from one problem.
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
    A = index.arrays
    ptr, provs = provisions_by_category(index)
    out = []
    for need in dict.fromkeys(problem.clients[c].needs):
        ns = NeedSuggestions(need=need)
        n = index.need_pos[(client_id, need)]
        if n in pinned_at:
            ns.pinned_intake = index.intake_ids[pinned_at[n]]
        k = index.cat_pos.get(need, -1)
        if k < 0:
            ns.note = f"no provision in category {need!r}"
            ns.excluded_by = {}
            out.append(ns)
            continue
        intake, rule, km, wait, value = client_options(index, n, provs[ptr[k]:ptr[k + 1]])
        free = np.maximum(places_left[intake], 0)
        usable = (rule == 0) & (free > 0) & (value > 0)
        ns.eligible_count = int(usable.sum())
        best = np.flatnonzero(usable)
        best = best[np.lexsort((intake[best], -value[best]))][:top_n]
        parts = value_breakdown(index, np.full(len(best), n, dtype=np.int64), intake[best], km[best])
        for j, (a, b, pref, wc, kc) in zip(best.tolist(), parts.tolist()):
            i = int(intake[j])
            ns.options.append(Option(
                provision=index.prov_ids[A.intake_prov[i]], intake=index.intake_ids[i],
                start=date.fromordinal(int(A.intake_start[i])), rolling=bool(A.intake_rolling[i]),
                wait_days=int(wait[j]), km=float(km[j]), places_left=int(free[j]),
                urgency_part=a, waited_part=b, preference_part=pref, wait_cost=wc, km_cost=kc, value=float(value[j]),
            ))
        rest = np.flatnonzero(~usable)
        names = np.where(rule[rest] > 0, np.array(RULES + ("",), dtype=object)[rule[rest] - 1],
                         np.where(free[rest] <= 0, NO_PLACES, NOT_WORTH_PLACING))
        ns.excluded_count = len(rest)
        ns.excluded_by = dict(Counter(names.tolist()))
        order = np.argsort(km[rest], kind="stable")[:max_excluded]
        for j, name in zip(rest[order].tolist(), names[order].tolist()):
            i, p, r = int(intake[j]), int(A.intake_prov[intake[j]]), int(rule[j])
            if r:
                reason = _reason(index, c, p, i, r, float(km[j]), int(wait[j]))
            elif free[j] <= 0:
                reason = "no places left"
            else:
                reason = f"worth nothing under these weights (value {value[j]:.2f})"
            ns.excluded.append(Excluded(index.prov_ids[p], index.intake_ids[i], name, reason, float(km[j])))
        if not ns.options and not ns.note:
            ns.note = "no intake can take this need now" if ns.excluded_count else "no intake in this category"
        out.append(ns)
    return Suggestions(client=client_id, needs=out)
