"""An independent reference for both contracts, for tests only.

Written from docs/matching-problem.md and docs/matching-problem-v2.md, not from
matching/: geopy's great_circle directly, plain datetime arithmetic (a birthday on
29 February falls on 1 March in other years), and a recursive enumeration of
assignments memoised on the places left, so small instances finish quickly.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

from geopy.distance import great_circle

RULES = ["category", "age", "area", "criteria", "distance", "exclude", "start", "wait"]
WEIGHTS = {"urgency_value": 1000, "wait_day_cost": 1, "km_cost": 2, "waited_day_value": 1, "preference_value": 50}


def _d(s: str) -> date:
    return date.fromisoformat(s)


def _birthday(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 3, 1)


def age_on(born: date, day: date) -> int:
    """Whole years from `born` to `day`."""
    years = day.year - born.year
    return years - 1 if day < _birthday(born, day.year) else years


def _needs(problem: dict, c: dict) -> list[tuple[str, date | None]]:
    """(category, since) per need; version 2 keeps the first of a repeated category."""
    out: dict[str, date | None] = {}
    for raw in c["needs"]:
        if isinstance(raw, dict):
            cat, since = raw["category"], _d(raw["since"]) if raw.get("since") else None
        else:
            cat, since = raw, None
        out.setdefault(cat, since)
    return list(out.items())


def _sites(p: dict) -> list[tuple[float, float]]:
    sites = []
    if p.get("location"):
        sites.append((p["location"]["lat"], p["location"]["lon"]))
    for s in p.get("locations") or []:
        sites.append((s["lat"], s["lon"]))
    return sites


def _weights(problem: dict) -> dict:
    w = dict(WEIGHTS)
    w.update({k: v for k, v in (problem.get("weights") or {}).items() if v is not None})
    if problem["version"] == 1:
        w["waited_day_value"] = w["preference_value"] = 0
    return w


def rule_checks(problem: dict, c: dict, category: str, p: dict, i: dict) -> list[bool]:
    """Whether each rule (RULES order) holds for placing c's need `category` on intake i of p."""
    v2 = problem["version"] == 2
    as_of = _d(problem["as_of"])
    avail = _d(c["available_from"]) if c.get("available_from") else as_of
    start = _d(i["start"])
    day = max(start, avail)
    if v2 and c.get("birth_date"):
        age = age_on(_d(c["birth_date"]), day)
    else:
        age = c.get("age")
    lo, hi = p.get("min_age"), p.get("max_age")
    age_ok = age is None or ((lo is None or age >= lo) and (hi is None or age <= hi))
    areas = p.get("areas") if v2 else None
    area_ok = areas is None or (c.get("area") is not None and c["area"] in areas)
    crit_ok = not v2 or set(p.get("requires") or []) <= set(c.get("criteria") or [])
    km = min(great_circle((c["location"]["lat"], c["location"]["lon"]), s).km for s in _sites(p))
    max_km = c["max_travel_km"] if c.get("max_travel_km") is not None else 25
    rolling = bool(i.get("rolling"))
    wait = max(0, (start - avail).days)
    return [p["category"] == category, age_ok, area_ok, crit_ok, km <= max_km,
            p["id"] not in set(c.get("exclude") or []), start >= avail or rolling, wait <= 365]


def value_of(problem: dict, c: dict, since: date | None, p: dict, i: dict) -> tuple[float, int, float]:
    """(value, wait_days, km) of a placement, by the contract's formula."""
    w = _weights(problem)
    as_of = _d(problem["as_of"])
    avail = _d(c["available_from"]) if c.get("available_from") else as_of
    wait = max(0, (_d(i["start"]) - avail).days)
    km = min(great_circle((c["location"]["lat"], c["location"]["lon"]), s).km for s in _sites(p))
    u = c.get("urgency") or 1
    weight = p.get("weight", 1.0) if p.get("weight") is not None else 1.0
    value = weight * w["urgency_value"] * u - w["km_cost"] * km
    if problem["version"] == 2:
        waited = min(365, (as_of - since).days) if since else 0
        prefers = c.get("prefers") or []
        pref = w["preference_value"] * (len(prefers) - prefers.index(p["id"])) / len(prefers) if p["id"] in prefers else 0
        value += w["waited_day_value"] * waited + pref - u * w["wait_day_cost"] * wait
    else:
        value -= w["wait_day_cost"] * wait
    return value, wait, km


def eligible_options(problem: dict) -> dict[tuple[str, str], list[tuple[str, float, int, float]]]:
    """(client, need) -> [(intake id, value, wait_days, km)] for intakes passing every rule."""
    out = {}
    for c in problem["clients"]:
        for category, since in _needs(problem, c):
            opts = []
            for p in problem["provisions"]:
                for i in p["intakes"]:
                    if all(rule_checks(problem, c, category, p, i)):
                        value, wait, km = value_of(problem, c, since, p, i)
                        opts.append((i["id"], value, wait, km))
            out[(c["id"], category)] = opts
    return out


def blocked_by(problem: dict, c: dict, category: str) -> str | None:
    """The first rule after which no intake passes every rule up to it (None if one passes all)."""
    checks = [rule_checks(problem, c, category, p, i) for p in problem["provisions"] for i in p["intakes"]]
    for r, name in enumerate(RULES):
        if not any(all(ch[: r + 1]) for ch in checks):
            return name
    return None


def best_objective(problem: dict, extra_place: str | None = None) -> float:
    """The largest sum of values over all feasible allocations (placements worth > 0 only),
    with one more place on intake `extra_place` if given."""
    options = {k: [o for o in v if o[1] > 0] for k, v in eligible_options(problem).items()}
    places = {i["id"]: i["places"] for p in problem["provisions"] for i in p["intakes"]}
    if extra_place is not None:
        places[extra_place] += 1
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


def marginal_values(problem: dict) -> dict[str, float]:
    """Per intake: the optimum with one more place there, less the optimum."""
    base = best_objective(problem)
    return {i["id"]: best_objective(problem, i["id"]) - base for p in problem["provisions"] for i in p["intakes"]}


def check_allocation(problem: dict, alloc: dict) -> float:
    """Assert the allocation is feasible and consistent with the contract; return its real objective."""
    options = eligible_options(problem)
    clients = {c["id"]: c for c in problem["clients"]}
    places = {i["id"]: i["places"] for p in problem["provisions"] for i in p["intakes"]}
    v2 = problem["version"] == 2
    assert alloc["version"] == problem["version"]
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
        assert value > 0, f"{key} placed at a value of {value}"
        assert pl["wait_days"] == wait
        assert abs(pl["distance_km"] - km) <= 0.005 + 1e-9
        if v2:
            assert pl["km"] == pl["distance_km"]
        else:
            assert "km" not in pl
        assert abs(pl["value"] - value) <= 0.005 + 1e-9, (pl, value)
        used[pl["intake"]] = used.get(pl["intake"], 0) + 1
        total += value
    for intake, n in used.items():
        assert n <= places[intake], f"intake {intake} over capacity"
    unmet = {(u["client"], u["need"]): u for u in alloc["unmet"]}
    assert set(unmet) | seen == set(options) and not (set(unmet) & seen)
    for key, u in unmet.items():
        expected = "capacity" if options[key] else "no_eligible_provision"
        assert u["reason"] == expected, f"{key}: reason {u['reason']}, expected {expected}"
        if v2 and expected == "no_eligible_provision":
            assert u.get("blocked_by") == blocked_by(problem, clients[key[0]], key[1]), (key, u)
        else:
            assert "blocked_by" not in u
    assert abs(alloc["objective"] - sum(p["value"] for p in alloc["placements"])) <= 1e-6
    return total


def close(a: float, b: float, tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
