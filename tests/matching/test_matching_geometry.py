"""The distance rule is decided on geopy's own float."""

from __future__ import annotations

import random

from geopy.distance import great_circle

from matching.geometry import exact_km, fast_km, great_circle_km, unit_vectors


def test_compiled_distance_is_geopys_bit_for_bit():
    rng = random.Random(1)
    for _ in range(20000):
        if rng.random() < 0.5:
            a = (rng.uniform(53.5, 54.0), rng.uniform(-2.2, -1.2))
            b = (a[0] + rng.gauss(0, 0.1), a[1] + rng.gauss(0, 0.15))
        else:
            a = (rng.uniform(-90, 90), rng.uniform(-180, 180))
            b = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        g = great_circle(a, b).km
        assert exact_km(a[0], a[1], b[0], b[1], 2.0) == g
        assert great_circle_km(a[0], a[1], b[0], b[1]) == g
        u = unit_vectors([a[0], b[0]], [a[1], b[1]])
        assert abs(fast_km(*u[0], *u[1]) - g) <= 1e-9 * max(g, 1.0)
