"""The command: ``python -m matching solve PROBLEM.json [--out FILE] [--mode auto|exact|pricing|pruned]``.

Exit 0 with the allocation as JSON; exit 2 with one line on stderr naming the
field when the problem breaks the contract (or the file cannot be read as JSON).
"""

from __future__ import annotations

import argparse
import json
import sys

from .problem import ProblemError, allocation_to_dict, parse_problem
from .solver import solve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like a malformed problem
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m matching", description="Placement matcher (contract version 1).")
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="allocate needs to intakes optimally")
    p_solve.add_argument("problem", help="problem JSON file ('-' for stdin)")
    p_solve.add_argument("--out", help="write the allocation here instead of stdout")
    p_solve.add_argument("--mode", choices=["auto", "exact", "pricing", "pruned"], default="auto",
                         help="exact, pricing (column generation with a proven gap bound), pruned, or exact unless too many arcs, then pricing (default)")
    args = parser.parse_args(argv)

    try:
        if args.problem == "-":
            raw = json.load(sys.stdin)
        else:
            with open(args.problem, encoding="utf-8") as f:
                raw = json.load(f)
    except OSError as e:
        print(f"error: {args.problem}: cannot read ({e.strerror})", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        print(f"error: {args.problem}: not valid JSON ({str(e).splitlines()[0]})", file=sys.stderr)
        return 2
    try:
        problem = parse_problem(raw)
    except ProblemError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    text = json.dumps(allocation_to_dict(solve(problem, mode=args.mode)), indent=2) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
