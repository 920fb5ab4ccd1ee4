"""Side constraints the flow cannot express, solved with CP-SAT on a pruned arc set.

The min cost flow in solver.py is exact and fast but only knows "one intake per
need" and "places per intake". Rules that tie placements together (a client's
needs placed together, a cap on any one provider's share, fairness across areas)
break its structure, so they are solved here as a 0/1 model with CP-SAT::

    result = solve_with_constraints(problem, [NeedsTogether("c17"), ProviderShareCap(0.2)],
                                    time_limit_s=10)
    result.status, result.objective, result.best_bound, result.allocation

CP-SAT does not prove optimality on large assignment models on 2 cores, so the
model is built on the flow's arcs (every eligible arc up to `max_arcs`; beyond that
the restricted arcs pricing mode ends with), is given the flow's allocation as a
hint, stops at `time_limit_s`, and reports its best bound so the caller knows how
far from optimal the answer may be (over that arc set).

Extension point: subclass `SideConstraint` and implement `add_to(model, ctx)`;
`ctx` gives the arc variables grouped by need, client and provision.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from .config import TUNING
from .flow import compact_flow
from .index import ProblemIndex
from .placements import apply_pins, read_out
from .pricing import solve_by_pricing
from .problem import Allocation, Problem
from .scan import run_scan
from .solver import estimate_arcs, value_scale

VALUE_SCALE = 100  # CP-SAT needs integer objective coefficients: values in hundredths


@dataclass
class ConstraintContext:
    """What a side constraint can see of the model being built."""

    index: ProblemIndex
    arc_need: np.ndarray
    arc_intake: np.ndarray
    x: list[cp_model.IntVar]  # one 0/1 variable per arc: the need is placed on the intake
    pinned: dict[int, int]  # need number -> intake number of accepted placements (fixed)
    arcs_by_need: dict[int, list[int]] = field(default_factory=dict)

    def placed(self, need: int) -> Any:
        """1 when the need is placed (pinned needs are constant 1), as a linear expression."""
        if need in self.pinned:
            return 1
        return sum(self.x[a] for a in self.arcs_by_need.get(need, []))

    def needs_of_client(self, client_id: str) -> list[int]:
        c = self.index.client_pos[client_id]
        return [int(n) for n in np.flatnonzero(self.index.arrays.need_client == c)]

    def total_placed(self) -> Any:
        return sum(self.x) + len(self.pinned)

    def placed_at_provisions(self, provisions: Iterable[int]) -> Any:
        """Number of placements on any intake of these provision numbers (pinned included)."""
        provs = set(provisions)
        arcs = [a for a, i in enumerate(self.arc_intake) if int(self.index.arrays.intake_prov[i]) in provs]
        fixed = sum(1 for i in self.pinned.values() if int(self.index.arrays.intake_prov[i]) in provs)
        return sum(self.x[a] for a in arcs) + fixed


class SideConstraint:
    """Base class: add this rule to the CP-SAT model."""

    def add_to(self, model: cp_model.CpModel, ctx: ConstraintContext) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class NeedsTogether(SideConstraint):
    """All of a client's needs are placed, or none is (e.g. housing and training as a package)."""

    client_id: str

    def add_to(self, model, ctx):
        needs = ctx.needs_of_client(self.client_id)
        for a, b in zip(needs, needs[1:]):
            model.Add(ctx.placed(a) == ctx.placed(b))


@dataclass(frozen=True)
class ProviderShareCap(SideConstraint):
    """No one provider takes more than `max_share` of all placements.

    `provider_of` maps provision id -> provider (organisation); by default each
    provision is its own provider.
    """

    max_share: float
    provider_of: Mapping[str, str] | None = None

    def add_to(self, model, ctx):
        groups: dict[str, list[int]] = defaultdict(list)
        for p, prov in enumerate(ctx.index.problem.provisions):
            groups[(self.provider_of or {}).get(prov.id, prov.id)].append(p)
        share = round(self.max_share * 1000)
        for provs in groups.values():
            model.Add(1000 * ctx.placed_at_provisions(provs) <= share * ctx.total_placed())


@dataclass(frozen=True)
class AreaFairness(SideConstraint):
    """Each area's share of needs met is at least the overall share minus `max_shortfall`.

    `area_of` maps client id -> area name; clients not in it are not constrained
    (but count in the overall share).
    """

    area_of: Mapping[str, str]
    max_shortfall: float = 0.1

    def add_to(self, model, ctx):
        n_total = ctx.index.n_needs
        if n_total == 0:
            return
        met_total = sum(ctx.placed(n) for n in range(n_total))
        areas: dict[str, list[int]] = defaultdict(list)
        for cid, area in self.area_of.items():
            if cid in ctx.index.client_pos:
                areas[area] += ctx.needs_of_client(cid)
        slack = round(self.max_shortfall * 1000)
        for needs in areas.values():
            met_a = sum(ctx.placed(n) for n in needs)
            # met_a / len(needs) >= met_total / n_total - max_shortfall, in integers.
            model.Add(1000 * n_total * met_a >= 1000 * len(needs) * met_total - slack * len(needs) * n_total)


@dataclass
class ConstrainedResult:
    allocation: Allocation
    status: str  # CP-SAT status: OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    objective: float  # sum of the placements' values (real), pinned included
    best_bound: float  # CP-SAT's proven upper bound on the objective over this arc set
    seconds: float


def solve_with_constraints(
    problem: Problem,
    constraints: Iterable[SideConstraint],
    *,
    pinned: Iterable[Any] = (),
    time_limit_s: float = 10.0,
    max_arcs: int = 2_000_000,
    workers: int = 2,
    index: ProblemIndex | None = None,
) -> ConstrainedResult:
    """The best allocation CP-SAT finds within `time_limit_s` that also honours `constraints`.

    The flow's optimum (without side constraints) is the hint and an upper bound.
    """
    t0 = time.perf_counter()
    index = index or ProblemIndex.build(problem)
    open_needs, places_left, pins = apply_pins(index, pinned)
    scale = value_scale(index)
    if estimate_arcs(index, open_needs, places_left, scale) <= max_arcs:
        sr = run_scan(index, open_needs, places_left, scale)
        arc_need, arc_intake, arc_w, eligible, source = sr.need, sr.intake, sr.w, sr.eligible, "every arc"
    else:
        res = solve_by_pricing(index, open_needs, places_left, scale, deadline=t0 + time_limit_s / 2, tuning=TUNING)
        arc_need, arc_intake, arc_w, eligible, source = res.need, res.intake, res.w, res.eligible, "pricing's arcs"
    pin_map = {n: i for n, i in pins}

    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{a}") for a in range(len(arc_need))]
    ctx = ConstraintContext(index, arc_need, arc_intake, x, pin_map)
    by_intake: dict[int, list[int]] = defaultdict(list)
    for a, (n, i) in enumerate(zip(arc_need.tolist(), arc_intake.tolist())):
        ctx.arcs_by_need.setdefault(n, []).append(a)
        by_intake[i].append(a)
    for arcs in ctx.arcs_by_need.values():
        model.AddAtMostOne(x[a] for a in arcs)
    for i, arcs in by_intake.items():
        model.Add(sum(x[a] for a in arcs) <= int(places_left[i]))
    for c in constraints:
        c.add_to(model, ctx)
    coeffs = np.rint(arc_w / scale * VALUE_SCALE).astype(np.int64).tolist()
    model.Maximize(sum(c * v for c, v in zip(coeffs, x)))

    if len(arc_need):
        used = compact_flow(arc_need, arc_intake, arc_w, places_left)
        for a, u in enumerate(used.tolist()):
            model.AddHint(x[a], bool(u))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = workers
    status = solver.Solve(model)
    status_name = solver.StatusName(status)

    chosen = np.zeros(len(x), dtype=bool)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([bool(solver.Value(v)) for v in x], dtype=bool)
    alloc = read_out(index, pins, arc_need[chosen], arc_intake[chosen], open_needs, eligible)
    pinned_value = sum(p.value for p in alloc.placements if p.pinned)
    objective = sum(p.value for p in alloc.placements)
    bound = (solver.BestObjectiveBound() / VALUE_SCALE + pinned_value) if status != cp_model.MODEL_INVALID else float("nan")
    seconds = time.perf_counter() - t0
    alloc.stats.update(candidate_arcs=len(arc_need), seconds=round(seconds, 3),
                       solver=f"ortools cp-sat ({source})", status=status_name, best_bound=round(bound, 2))
    return ConstrainedResult(alloc, status_name, objective, bound, seconds)
