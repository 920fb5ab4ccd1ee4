"""The command: ``python -m matching solve PROBLEM.json [--out FILE] [--mode auto|exact|pricing]
[--time-limit SECONDS]``.

Exit 0 with the allocation as JSON; exit 2 with one line on stderr naming the field
when the problem breaks the contract (or the file cannot be read as JSON).
`--time-limit` bounds the whole command, from its start to the answer written: pricing
stops early enough to read out and write the answer in time (with a proven gap bound
in ``stats.gap_bound``).
"""

from __future__ import annotations

import argparse
import sys
import time

import orjson

from . import STARTED
from .problem import ProblemError, allocation_to_dict, parse_problem
from .solver import MODES, solve

# Share of the time limit kept for reading out and writing the answer (measured at
# 100k x 20k: read-out and JSON ~1.5 s of a 50 s run).
WRITE_RESERVE = 0.06


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like a malformed problem
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m matching", description="Placement matcher (contract versions 1 and 2).")
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="allocate needs to intakes optimally")
    p_solve.add_argument("problem", help="problem JSON file ('-' for stdin)")
    p_solve.add_argument("--out", help="write the allocation here instead of stdout")
    p_solve.add_argument("--mode", choices=MODES, default="auto",
                         help="exact (every arc), pricing (column generation with a proven gap bound), "
                              "or auto: exact unless too many arcs, then pricing (default)")
    p_solve.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                         help="answer within this many seconds of starting (pricing stops early, with a bound)")
    args = parser.parse_args(argv)
    if args.time_limit is not None and not args.time_limit > 0:
        parser.error("--time-limit must be a positive number of seconds")

    try:
        # orjson: a 100k-young-person problem parses in a third of the standard library's time.
        if args.problem == "-":
            raw = orjson.loads(sys.stdin.buffer.read())
        else:
            with open(args.problem, "rb") as f:
                raw = orjson.loads(f.read())
    except OSError as e:
        print(f"error: {args.problem}: cannot read ({e.strerror})", file=sys.stderr)
        return 2
    except orjson.JSONDecodeError as e:
        print(f"error: {args.problem}: not valid JSON ({str(e).splitlines()[0]})", file=sys.stderr)
        return 2
    try:
        problem = parse_problem(raw)
    except ProblemError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    del raw

    limit = None
    if args.time_limit is not None:
        limit = args.time_limit * (1 - WRITE_RESERVE)
    alloc = solve(problem, mode=args.mode, time_limit=limit, started=STARTED)
    alloc.stats["command_seconds"] = round(time.perf_counter() - STARTED, 3)
    text = orjson.dumps(allocation_to_dict(alloc), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    if args.out:
        with open(args.out, "wb") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    return 0
