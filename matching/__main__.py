"""``python -m matching solve PROBLEM.json [--out FILE]`` (see matching/cli.py)."""

import os
import sys

from .cli import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
# Skip the interpreter's teardown: freeing a 100k-young-person problem's objects one by one
# takes about a second, which --time-limit would otherwise not count.
os._exit(code)
