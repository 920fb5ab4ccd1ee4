"""The contract's rules and a placement's value, for one (need, intake) pair.

Every part of the matcher (exact arcs, pricing passes, greedy, suggest, unmet reasons,
the placements written out) decides eligibility and value through these functions,
compiled with numba so the scans can call them hundreds of millions of times. They
read the problem's `Arrays` (index.py) as `A`; `n` is a need, `c` its client, `l`
its location, `p` a provision and `i` one of its intakes.

Version 2's rules, in order (version 1 has the same rules without area and criteria,
and a client's age is a fixed number there):

1 category, 2 age (on the day the young person would start), 3 area, 4 criteria,
5 distance (to the provision's nearest site), 6 exclude, 7 start, 8 wait.

Value (docs/matching-problem-v2.md; version 1 has no waited or preference terms and
does not multiply the wait cost by urgency)::

    w * urgency_value * u + waited_day_value * waited + preference bonus
    - u * wait_day_cost * wait_days - km_cost * km
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .geometry import BORDER_TOL, exact_km, fast_km
from .problem import MAX_WAIT_DAYS, RULES

# Rule numbers (index into problem.RULES plus one); 0 means every rule holds.
CATEGORY, AGE, AREA, CRITERIA, DISTANCE, EXCLUDE, START, WAIT = range(1, 9)
assert RULES[DISTANCE - 1] == "distance" and RULES[WAIT - 1] == "wait"

_jit = numba.njit(cache=True, nogil=True, inline="always")


@_jit
def age_years(kind, age, birth_y, birth_md, y, md):
    """Age in whole years on the day (year y, month*32+day md): fixed (kind 1) or from the
    birth date (kind 2; a 29 February birthday falls on 1 March in other years)."""
    if kind == 1:
        return age
    return float(y - birth_y - (1 if md < birth_md else 0))


@_jit
def age_ok(A, c, p, i):
    """Age rule: the client's age on the day they would start intake i is within p's limits."""
    kind = A.client_age_kind[c]
    if kind == 0:
        return True
    if A.intake_start[i] >= A.client_avail[c]:
        y, md = A.intake_start_y[i], A.intake_start_md[i]
    else:
        y, md = A.client_avail_y[c], A.client_avail_md[c]
    a = age_years(kind, A.client_age[c], A.client_birth_y[c], A.client_birth_md[c], y, md)
    return A.prov_min_age[p] <= a <= A.prov_max_age[p]


@_jit
def age_limited(A, p):
    return A.prov_min_age[p] > -np.inf or A.prov_max_age[p] < np.inf


@_jit
def area_ok(A, c, p):
    return area_code_ok(A, A.client_area[c], p)


@_jit
def area_code_ok(A, a, p):
    """Area rule for a young person whose area code is a (< 0: none, or served nowhere)."""
    if A.prov_any_area[p]:
        return True
    if a < 0:
        return False
    for j in range(A.prov_area_ptr[p], A.prov_area_ptr[p + 1]):
        if A.prov_area[j] == a:
            return True
    return False


@_jit
def criteria_ok(A, c, p):
    for w in range(A.prov_requires.shape[1]):
        if A.prov_requires[p, w] & ~A.client_criteria[c, w]:
            return False
    return True


@_jit
def excluded(A, c, p):
    lo, hi = A.client_exclude_ptr[c], A.client_exclude_ptr[c + 1]
    if lo == hi:
        return False
    j = lo + np.searchsorted(A.client_exclude[lo:hi], p)
    return j < hi and A.client_exclude[j] == p


@_jit
def start_ok(A, c, i):
    return A.intake_start[i] >= A.client_avail[c] or A.intake_rolling[i] != 0


@_jit
def wait_days(A, c, i):
    return max(0, A.intake_start[i] - A.client_avail[c])


@_jit
def wait_ok(A, c, i):
    return A.intake_start[i] - A.client_avail[c] <= MAX_WAIT_DAYS


@_jit
def preference_bonus(A, c, p):
    for j in range(A.client_pref_ptr[c], A.client_pref_ptr[c + 1]):
        if A.client_pref_prov[j] == p:
            return A.client_pref_bonus[j]
    return 0.0


@_jit
def fast_provision_km(A, l, p):
    """Fast km from location l to p's nearest site, and that site."""
    best, best_s = np.inf, -1
    for j in range(A.prov_site_ptr[p], A.prov_site_ptr[p + 1]):
        s = A.prov_site[j]
        km = fast_km(A.loc_xyz[l, 0], A.loc_xyz[l, 1], A.loc_xyz[l, 2],
                     A.site_xyz[s, 0], A.site_xyz[s, 1], A.site_xyz[s, 2])
        if km < best:
            best, best_s = km, s
    return best, best_s


@_jit
def exact_provision_km(A, l, p):
    """geopy's km from location l to p's nearest site."""
    best = np.inf
    for j in range(A.prov_site_ptr[p], A.prov_site_ptr[p + 1]):
        s = A.prov_site[j]
        km = exact_km(A.loc_lat[l], A.loc_lon[l], A.site_lat[s], A.site_lon[s], A.pow2[0])
        if km < best:
            best = km
    return best


@_jit
def distance_ok(A, c, l, p, km):
    """Distance rule on the fast `km`; pairs at the limit are re-decided on geopy's float."""
    limit = A.client_max_km[c]
    if abs(km - limit) <= BORDER_TOL * (1.0 + limit):
        return exact_provision_km(A, l, p) <= limit
    return km <= limit


@_jit
def value_terms(w, weight, u, waited, pref, wait, km):
    """The terms of a placement's value under weights w (Arrays.weights): urgency part
    (weight x urgency_value x u), waited part, preference part, wait cost (u x wait_day_cost
    x wait_days; not x u in version 1) and km cost."""
    wait_factor = u if w[5] != 0.0 else 1.0
    return weight * w[0] * u, w[3] * waited, pref, wait_factor * w[1] * wait, w[2] * km


@_jit
def value_of_terms(w, weight, u, waited, pref, wait, km):
    """The value itself: the one formula every part of the matcher uses."""
    a, b, c, d, e = value_terms(w, weight, u, waited, pref, wait, km)
    return a + b + c - d - e


@_jit
def value_parts(A, n, i, km):
    """`value_terms` of placing need n on intake i at `km`."""
    c = A.need_client[n]
    p = A.intake_prov[i]
    return value_terms(A.weights, A.prov_weight[p], A.client_urgency[c], A.need_waited[n],
                       preference_bonus(A, c, p), wait_days(A, c, i), km)


@_jit
def placement_value(A, n, i, km):
    """The value of placing need n on intake i at `km`."""
    c = A.need_client[n]
    p = A.intake_prov[i]
    return value_of_terms(A.weights, A.prov_weight[p], A.client_urgency[c], A.need_waited[n],
                          preference_bonus(A, c, p), wait_days(A, c, i), km)


@_jit
def first_failed_rule(A, n, i, km):
    """The first rule (CATEGORY..WAIT) that placing need n on intake i breaks, 0 if none.

    `km` is the distance to the provision's nearest site as geopy measures it.
    """
    c = A.need_client[n]
    p = A.intake_prov[i]
    if A.need_cat[n] != A.prov_cat[p]:
        return CATEGORY
    if not age_ok(A, c, p, i):
        return AGE
    if not area_ok(A, c, p):
        return AREA
    if not criteria_ok(A, c, p):
        return CRITERIA
    if not km <= A.client_max_km[c]:
        return DISTANCE
    if excluded(A, c, p):
        return EXCLUDE
    if not start_ok(A, c, i):
        return START
    if not wait_ok(A, c, i):
        return WAIT
    return 0


@_jit
def cost_units(value, scale):
    """A value in the flow's integer units (the same rounding for every arc)."""
    return np.int64(math.floor(value * scale + 0.5))
