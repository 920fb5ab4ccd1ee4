"""The placement matcher: a pure library (no Flask, no SQLAlchemy) and a command.

Allocates clients' needs to provision intakes so that the total value of the
placements is as large as possible, under /work/shared/contracts/matching-problem.md.

Public API (stable; the web app calls these):

    parse_problem(raw: dict) -> Problem                 # raises ProblemError(field, message)
    solve(problem, pinned=(), *, mode="auto", per_need=24, max_arcs=12_000_000,
          index=None, time_limit=50.0, top_m=None) -> Allocation
        # mode auto|exact|pricing|pruned; pinned = [(client_id, need, intake_id)];
        # stats["gap_bound"] is a proven relative gap (exact, pricing) or None (pruned)
    allocation_to_dict(alloc) -> dict                   # the contract's JSON shape
    suggest(problem, client_id, top_n=5, *, taken=None, pinned=(), max_excluded=50,
            index=None) -> Suggestions                  # best options per need, explained
    greedy(problem, pinned=(), *, index=None) -> Allocation   # first come, first served baseline
    ProblemIndex.build(problem) -> ProblemIndex         # arrays to reuse across solve/suggest calls

Side constraints the flow cannot express live in `matching.constraints`
(`solve_with_constraints`, `NeedsTogether`, `ProviderShareCap`, `AreaFairness`).

Command: ``python -m matching solve PROBLEM.json [--out FILE]``.

Extension to the contract (inert when absent): a provision may carry ``weight`` in
[0, 1], a multiplier on the urgency part of its placements' value, so stale listings
can weigh less.
"""

from .greedy import greedy
from .index import ProblemIndex
from .problem import (
    Allocation,
    Client,
    Intake,
    Location,
    Placement,
    Problem,
    ProblemError,
    Provision,
    Unmet,
    Weights,
    allocation_to_dict,
    parse_problem,
)
from .solver import solve
from .suggest import Excluded, NeedSuggestions, Option, Suggestions, suggest

__all__ = [
    "Allocation", "Client", "Excluded", "Intake", "Location", "NeedSuggestions", "Option", "Placement",
    "Problem", "ProblemError", "ProblemIndex", "Provision", "Suggestions", "Unmet", "Weights",
    "allocation_to_dict", "greedy", "parse_problem", "solve", "suggest",
]
