"""Compile every numba kernel once, on a problem of two young people and two listings.

The kernels are cached on disk (`cache=True`), but a fresh checkout has no cache: the
first solve would then spend a minute or more compiling, inside whatever web request
or job happened to come first. `broker init` and the test suite's browser lane call
`warm_up()` so that cost is paid up front, once.
"""
from __future__ import annotations

import time
from datetime import date, timedelta

from .greedy import greedy
from .index import ProblemIndex
from .problem import Client, Intake, Location, Problem, Provision
from .solver import solve
from .suggest import suggest


def _problem() -> Problem:
    as_of = date(2026, 1, 5)
    clients = tuple(
        Client(id=str(i), location=Location(53.80 + i / 100, -1.55), birth_date=date(2009, 2, 11),
               available_from=as_of, urgency=3 - i, needs=("training", "housing"),
               since={"housing": as_of - timedelta(days=30)}, max_travel_km=25,
               area="E08000035", prefers=("1",))
        for i in range(2))
    provisions = tuple(
        Provision(id=str(p), category=category,
                  locations=(Location(53.79, -1.54), Location(53.75, -1.60)),
                  intakes=(Intake(id=f"{p}a", start=as_of + timedelta(days=7), places=1, rolling=False),),
                  min_age=16, max_age=19, areas=frozenset({"E08000035"}))
        for p, category in ((1, "training"), (2, "housing")))
    return Problem(as_of=as_of, clients=clients, provisions=provisions,
                   report=frozenset({"marginal_values"}), version=2)


def warm_up() -> float:
    """Run each mode once (exact, pricing, suggestions, greedy); returns the seconds it took."""
    started = time.perf_counter()
    problem = _problem()
    index = ProblemIndex.build(problem)
    for mode in ("exact", "pricing"):
        solve(problem, mode=mode, index=index)
    suggest(problem, "0", index=index)
    greedy(problem, index=index)
    return time.perf_counter() - started
