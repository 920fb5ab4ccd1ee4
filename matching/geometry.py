"""Great-circle distance exactly as `geopy.distance.great_circle` computes it, and a fast
form for the many pairs the matcher measures.

The distance rule is decided on `geopy.distance.great_circle` with the mean Earth
radius, so outside checkers and we must agree on boundary cases. `great_circle_km`
repeats geopy's operations in geopy's order with the same `math` functions, so it
returns the same float; `exact_km` is the same code compiled (numba calls the same C
library functions; `tests/matching/test_matching_geometry.py` checks they agree bit
for bit). `fast_km` measures the chord between unit vectors (no cancellation for
short distances) and converts it with a short arcsine series; it agrees with geopy
to ~1e-11 relative. The kernels decide the distance rule on `fast_km` and re-decide
any pair within `BORDER_TOL` of a travel limit with `exact_km`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

EARTH_RADIUS_KM = 6371.009  # geopy.distance.EARTH_RADIUS (mean radius)

# Pairs whose fast distance is this close (relative) to a limit are re-measured with
# geopy's formula so the decision matches geopy bit for bit.
BORDER_TOL = 1e-7

_DEG = math.pi / 180.0  # CPython's math.radians multiplies by this same constant
POW2 = np.array([2.0])  # the exponent `exact_km` squares with (see there)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km, the same float as ``geopy.distance.great_circle(a, b).km``."""
    lat1, lng1 = math.radians(lat1), math.radians(lon1)
    lat2, lng2 = math.radians(lat2), math.radians(lon2)
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = math.sin(lat2), math.cos(lat2)
    delta_lng = lng2 - lng1
    cos_delta_lng, sin_delta_lng = math.cos(delta_lng), math.sin(delta_lng)
    d = math.atan2(
        math.sqrt((cos_lat2 * sin_delta_lng) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta_lng) ** 2),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta_lng,
    )
    return EARTH_RADIUS_KM * d


@numba.njit(cache=True, nogil=True)
def exact_km(lat1, lon1, lat2, lon2, two):
    """`great_circle_km`, compiled (same operations, same order).

    geopy squares with ``x ** 2``, which CPython hands to the C library's ``pow``, and
    that is not always ``x * x`` rounded; callers pass ``two`` = 2.0 read from memory
    (`POW2`) so that the compiler cannot turn ``pow(x, two)`` into ``x * x``.
    """
    lat1, lng1 = lat1 * _DEG, lon1 * _DEG
    lat2, lng2 = lat2 * _DEG, lon2 * _DEG
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = math.sin(lat2), math.cos(lat2)
    delta_lng = lng2 - lng1
    cos_delta_lng, sin_delta_lng = math.cos(delta_lng), math.sin(delta_lng)
    d = math.atan2(
        math.sqrt(math.pow(cos_lat2 * sin_delta_lng, two)
                  + math.pow(cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta_lng, two)),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta_lng,
    )
    return EARTH_RADIUS_KM * d


@numba.njit(cache=True, nogil=True, inline="always")
def fast_km(ax, ay, az, bx, by, bz):
    """Great-circle km between two unit vectors (chord, then arcsine)."""
    dx, dy, dz = ax - bx, ay - by, az - bz
    return km_of_chord(math.sqrt(dx * dx + dy * dy + dz * dz))


@numba.njit(cache=True, nogil=True, inline="always")
def chord2_beyond(km):
    """A squared chord beyond which `fast_km` is surely more than `km` (a margin of 1e-6
    relative, far above its error), so that a scan can skip the square root and arcsine
    for sites out of reach."""
    c = 2.0 * math.sin(0.5 * min(km / EARTH_RADIUS_KM, math.pi)) * (1.0 + 1e-6)
    return c * c


@numba.njit(cache=True, nogil=True, inline="always")
def km_of_chord(c):
    """`fast_km` from the chord length `c` between the unit vectors."""
    if c < 0.02:  # under ~127 km: asin(x) = x + x^3/6 + 3x^5/40 (+ ~5e-14 relative)
        h = 0.5 * c
        h2 = h * h
        return 2.0 * EARTH_RADIUS_KM * h * (1.0 + h2 * (1.0 / 6.0 + h2 * (3.0 / 40.0)))
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(0.5 * c, 1.0))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3)."""
    la, lo = np.radians(np.asarray(lat, dtype=np.float64)), np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=1).reshape(-1, 3)


def km_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between every row of `a` (n,3) and of `b` (m,3) unit vectors: shape (n, m)."""
    sq = np.zeros((a.shape[0], b.shape[0]))
    for d in range(3):
        diff = a[:, d, None] - b[None, :, d]
        sq += diff * diff
    chord = np.sqrt(sq)
    np.minimum(chord, 2.0, out=chord)
    return (2.0 * EARTH_RADIUS_KM) * np.arcsin(chord * 0.5)


def chord_for_km(km) -> np.ndarray:
    """Chord length on the unit sphere of an arc of `km` (capped at the antipode)."""
    ang = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, math.pi)
    return 2.0 * np.sin(ang / 2.0)
