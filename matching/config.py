"""Tuning constants of the matcher, in one place (`TUNING`; pass a changed copy to
`solve(..., tuning=...)` to experiment). None of them changes what is optimal, only
how fast it is found.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # Spatial blocks (index.py): locations per block, and the grid cell as a share of
    # the median reach (a block's candidate sites are those within its box + reach).
    block_locations: int = 256
    block_cell_of_reach: float = 0.5
    # Threads for the scans (numba kernels release the GIL).
    threads: int = 2
    # Mode "auto": exact (every arc in one flow) up to this many arcs, pricing beyond.
    max_exact_arcs: int = 12_000_000
    # Pricing (pricing.py).
    seed_best: int = 8  # seed: per need its best arcs by value
    seed_random: int = 8  # ... and this many random eligible ones
    pass_best: int = 16  # each pass: per need its best arcs by reduced cost (those > 0 join)
    intake_best: int = 32  # ... and per intake its best needs (ties to the lower need: the same whatever the threads)
    keep_reduced_cost: float = 20.0  # between passes keep unused arcs within this of pricing out (value units)
    seed_share_of_time: float = 0.6  # of the time left after greedy, at most this for the seed scan (flows get the rest)
    time_limit: float = 50.0  # seconds, pricing mode's default limit
    parallel_flow_needs: int = 20_000  # regions this large solve the categories' flows in `threads` processes
    insert_share: float = 0.001  # a category with at most this share of its arcs new has them put into its last flow
    # Estimates for staying within the time limit (measured at 100k x 20k on a loaded 2-core machine;
    # the read-out there took 0.6 s for 164k needs, so 1e-5 leaves room for a machine ~2.5x slower).
    read_out_seconds_per_need: float = 1e-5
    flow_seconds_per_arc: float = 3e-6
    # Cost units: values are scaled by 10**cost_exponent and rounded (lowered if it could overflow).
    cost_exponent: int = 6


TUNING = Tuning()
