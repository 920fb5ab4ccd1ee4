"""The placement matcher: a pure library (no Flask, no SQLAlchemy) and a command.

Allocates young people's needs to provision intakes so that the total value of the
placements is as large as possible, under docs/matching-problem-v2.md (and version 1,
docs/matching-problem.md, for problems that say ``"version": 1``). See README.md.

Public API (the web app calls these):

    parse_problem(raw: dict) -> Problem                 # raises ProblemError(field, message)
    Problem, Client, Provision, Intake, Location, Weights   # or build the dataclasses directly
    solve(problem, pinned=(), *, mode="auto", index=None, time_limit=None,
          marginal_values=None) -> Allocation           # mode auto|exact|pricing
    allocation_to_dict(alloc) -> dict                   # the contract's JSON shape
    suggest(problem, client_id, top_n=5, *, taken=None, pinned=(), max_excluded=50,
            index=None) -> Suggestions                  # best options per need, exclusions by rule
    greedy(problem, pinned=(), *, index=None) -> Allocation   # first come, first served baseline
    ProblemIndex.build(problem) -> ProblemIndex         # arrays to reuse across solve/suggest calls
    warm_up() -> seconds                                # compile the kernels once (a fresh checkout has no cache)

Side constraints the flow cannot express live in `matching.constraints`
(`solve_with_constraints`, `NeedsTogether`, `ProviderShareCap`, `AreaFairness`).

Command: ``python -m matching solve PROBLEM.json [--out FILE] [--mode M] [--time-limit S]``.
"""

import time

STARTED = time.perf_counter()  # the command's --time-limit counts from here (before the heavy imports)

from .config import TUNING, Tuning  # noqa: E402
from .greedy import greedy  # noqa: E402
from .index import ProblemIndex  # noqa: E402
from .problem import (  # noqa: E402
    RULES,
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
from .solver import solve  # noqa: E402
from .suggest import Excluded, NeedSuggestions, Option, Suggestions, suggest  # noqa: E402
from .warmup import warm_up  # noqa: E402

__all__ = [
    "RULES", "TUNING", "Allocation", "Client", "Excluded", "Intake", "Location", "NeedSuggestions", "Option",
    "Placement", "Problem", "ProblemError", "ProblemIndex", "Provision", "Suggestions", "Tuning", "Unmet", "Weights",
    "allocation_to_dict", "greedy", "parse_problem", "solve", "suggest", "warm_up",
]
