"""``python -m matching solve PROBLEM.json [--out FILE]`` (see matching/cli.py)."""

import sys

from .cli import main

sys.exit(main())
