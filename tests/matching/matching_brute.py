"""An independent reference for the contract, for tests only.

Written from the contract text, not from matching/: geopy's great_circle directly,
plain datetime arithmetic, and a recursive enumeration of assignments (memoised on
remaining places so small instances finish quickly).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from geopy.distance import great_circle

DEFAULT_WEIGHTS = {"urgency_value": 1000, "wait_day_cost": 1, "km_cost": 2}


def _d(s: str) -> date:
    return date.fromisoformat(s)


def eligible_options(problem: dict) -> dict[tuple[str, str], list[tuple[str, float, int, float]]]:
    """(client, need) -> [(intake id, value, wait_days, km)] for intakes passing rules 1-6."""
    w = {**DEFAULT_WEIGHTS, **(problem.get("weights") or {})}
    as_of = _d(problem["as_of"])
    out = {}
    for c in problem["clients"]:
        avail = _d(c["available_from"]) if c.get("available_from") else as_of
        urgency = c.get("urgency", 1)
        max_km = c.get("max_travel_km", 25)
        exclude = set(c.get("exclude", []))
        for need in c["needs"]:
            opts = []
            for p in problem["provisions"]:
                if p["category"] != need:
                    continue
                lo, hi = p.get("min_age"), p.get("max_age")
                if lo is not None and c["age"] < lo:
                    continue
                if hi is not None and c["age"] > hi:
                    continue
                km = great_circle((c["location"]["lat"], c["location"]["lon"]),
                                  (p["location"]["lat"], p["location"]["lon"])).km
                if km > max_km:
                    continue
                if p["id"] in exclude:
                    continue
                for i in p["intakes"]:
                    start = _d(i["start"])
                    if not (start >= avail or i.get("rolling", False)):
                        continue
                    wait = max(0, (start - avail).days)
                    if wait > 365:
                        continue
                    value = (w["urgency_value"] * urgency * p.get("weight", 1.0)
                             - w["wait_day_cost"] * wait - w["km_cost"] * km)
                    opts.append((i["id"], value, wait, km))
            out[(c["id"], need)] = opts
    return out


def best_objective(problem: dict) -> float:
    """The largest sum of values over all feasible allocations (enumerated)."""
    options = eligible_options(problem)
    places = {i["id"]: i["places"] for p in problem["provisions"] for i in p["intakes"]}
    intake_ids = sorted(places)
    needs = list(options)

    @lru_cache(maxsize=None)
    def best(k: int, left: tuple[int, ...]) -> float:
        if k == len(needs):
            return 0.0
        result = best(k + 1, left)  # leave need k unmet
        for intake, value, _, _ in options[needs[k]]:
            j = intake_ids.index(intake)
            if left[j] > 0:
                rest = left[:j] + (left[j] - 1,) + left[j + 1:]
                result = max(result, value + best(k + 1, rest))
        return result

    return best(0, tuple(places[i] for i in intake_ids))


def check_allocation(problem: dict, alloc: dict) -> float:
    """Assert the allocation is feasible and consistent; return its real-valued objective."""
    options = eligible_options(problem)
    places = {i["id"]: i["places"] for p in problem["provisions"] for i in p["intakes"]}
    used: dict[str, int] = {}
    seen = set()
    total = 0.0
    for pl in alloc["placements"]:
        key = (pl["client"], pl["need"])
        assert key in options, f"placement for unknown need {key}"
        assert key not in seen, f"need {key} placed twice"
        seen.add(key)
        match = [o for o in options[key] if o[0] == pl["intake"]]
        assert match, f"{key} placed on ineligible intake {pl['intake']}"
        _, value, wait, km = match[0]
        assert pl["wait_days"] == wait
        assert abs(pl["distance_km"] - km) <= 0.005 + 1e-9
        assert abs(pl["value"] - value) <= 0.005 + 1e-9
        used[pl["intake"]] = used.get(pl["intake"], 0) + 1
        total += value
    for intake, n in used.items():
        assert n <= places[intake], f"intake {intake} over capacity"
    unmet = {(u["client"], u["need"]): u["reason"] for u in alloc["unmet"]}
    assert set(unmet) | seen == set(options) and not (set(unmet) & seen)
    for key, reason in unmet.items():
        expected = "capacity" if options[key] else "no_eligible_provision"
        assert reason == expected, f"{key}: reason {reason}, expected {expected}"
    assert abs(alloc["objective"] - sum(p["value"] for p in alloc["placements"])) <= 1e-6
    return total
