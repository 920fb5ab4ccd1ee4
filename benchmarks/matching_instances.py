"""Synthetic regions for the matcher's benchmark, spread like the demo.

Young people live and provision sits at real West Yorkshire postcodes
(directory_data/geography/west_yorkshire_postcodes.csv: towns and the rural districts
around them, as the demo directory uses them), each in its council (ONS code, from the
district via directory_data/build_geography.py). Version 2 features are in use:

* listings: ages (16-19, 16-24, 14-19, 18-25 or none), 40% serving only their own
  council (some with a neighbour), 8% for care leavers and 5% for young parents, 15%
  with two or three sites in the same council, 15% not confirmed recently (weight 0.9),
  one to three intakes over the next six months (a quarter rolling), 0-6 places;
* young people: birth dates for ages 13-24 (most 16-17), their council (5% placed in
  a neighbouring one), available from today or up to 45 days ahead, urgency 1-3, one to
  three needs (70% recorded up to 300 days ago), care leavers 12%, young parents 8%,
  travel limits of 10-25 km (mostly 20, as the demo), 15% ranking one to three listings,
  2% excluding one.

`to_version1` turns such a problem into a version 1 problem for the same people
(first site, age today, no areas, criteria, preferences or since).
"""

from __future__ import annotations

import csv
import importlib.util
import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 1, 5)
CATEGORIES = {  # taxonomy slug: share of needs and of provisions
    "training": 0.18, "education": 0.14, "employment": 0.16, "housing": 0.14, "benefits": 0.10,
    "health": 0.08, "mental-health": 0.08, "drugs-alcohol": 0.05, "anger-management": 0.03, "youth-offending": 0.04,
}
NEIGHBOURS = {  # as directory_data/generate_demo.py
    "Leeds": ["Bradford", "Wakefield", "Kirklees"],
    "Bradford": ["Leeds", "Calderdale", "Kirklees"],
    "Wakefield": ["Leeds", "Kirklees"],
    "Kirklees": ["Calderdale", "Wakefield", "Bradford"],
    "Calderdale": ["Kirklees", "Bradford"],
}
AGES = [(16, 19), (16, 24), (14, 19), (18, 25), (None, None), (None, None)]


def _postcodes() -> list[tuple[float, float, str]]:
    """(lat, lon, council code) of every shipped West Yorkshire postcode."""
    spec = importlib.util.spec_from_file_location("_bench_geo", ROOT / "directory_data" / "build_geography.py")
    geo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(geo)
    from broker.councils import CODE_OF

    out = []
    with open(ROOT / "directory_data" / "geography" / "west_yorkshire_postcodes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            council = geo.WEST_YORKSHIRE[row["postcode"].split(" ")[0]][0]
            out.append((float(row["lat"]), float(row["lon"]), CODE_OF[council]))
    return out


def generate(n_clients: int, n_provisions: int, seed: int = 1) -> dict:
    """A version 2 problem (dict) for a synthetic region of this size."""
    rng = random.Random(seed)
    points = _postcodes()
    from broker.councils import CODE_OF, COUNCIL_CODES

    by_council: dict[str, list[tuple[float, float, str]]] = {}
    for pt in points:
        by_council.setdefault(pt[2], []).append(pt)
    cats, shares = list(CATEGORIES), list(CATEGORIES.values())

    def neighbour(code: str) -> str:
        return CODE_OF[rng.choice(NEIGHBOURS[COUNCIL_CODES[code]])]

    provisions = []
    by_cat: dict[str, list[str]] = {}
    for p in range(n_provisions):
        lat, lon, code = rng.choice(points)
        cat = rng.choices(cats, shares)[0]
        prov: dict = {"id": f"p{p}", "category": cat}
        if rng.random() < 0.15:
            sites = [{"lat": lat, "lon": lon}] + [{"lat": s[0], "lon": s[1]}
                                                  for s in rng.sample(by_council[code], rng.randint(1, 2))]
            prov["locations"] = sites
        else:
            prov["location"] = {"lat": lat, "lon": lon}
        lo, hi = rng.choice(AGES)
        if lo is not None:
            prov["min_age"], prov["max_age"] = lo, hi
        if rng.random() < 0.4:
            prov["areas"] = [code] + ([neighbour(code)] if rng.random() < 0.3 else [])
        r = rng.random()
        if r < 0.08:
            prov["requires"] = ["care_leaver"]
        elif r < 0.13:
            prov["requires"] = ["young_parent"]
        if rng.random() < 0.15:
            prov["weight"] = 0.9
        prov["intakes"] = []
        for i in range(rng.randint(1, 3)):
            intake = {"id": f"p{p}-{i}", "start": (AS_OF + timedelta(days=rng.randint(-30, 180))).isoformat(),
                      "places": rng.randint(0, 6)}
            if rng.random() < 0.25:
                intake["rolling"] = True
            prov["intakes"].append(intake)
        provisions.append(prov)
        by_cat.setdefault(cat, []).append(prov["id"])
    clients = []
    for c in range(n_clients):
        lat, lon, code = rng.choice(points)
        age = rng.choices([13, 14, 15, 16, 17, 18, 19, 20, 22, 24], [2, 4, 8, 25, 25, 14, 10, 6, 4, 2])[0]
        born = AS_OF - timedelta(days=int(365.25 * age) + rng.randint(0, 364))
        k = rng.choices([1, 2, 3], [0.5, 0.35, 0.15])[0]
        needs: list = []
        chosen: list[str] = []
        while len(chosen) < k:
            cat = rng.choices(cats, shares)[0]
            if cat in chosen:
                continue
            chosen.append(cat)
            if rng.random() < 0.7:
                needs.append({"category": cat, "since": (AS_OF - timedelta(days=rng.randint(0, 300))).isoformat()})
            else:
                needs.append(cat)
        client: dict = {
            "id": f"c{c}", "location": {"lat": lat, "lon": lon}, "birth_date": born.isoformat(),
            "area": neighbour(code) if rng.random() < 0.05 else code,
            "available_from": (AS_OF + timedelta(days=max(0, rng.randint(-60, 45)))).isoformat(),
            "urgency": rng.choices([1, 2, 3], [0.5, 0.3, 0.2])[0], "needs": needs,
            "max_travel_km": rng.choices([10, 15, 20, 25], [0.15, 0.15, 0.6, 0.1])[0],
        }
        criteria = []
        if rng.random() < 0.12:
            criteria.append("care_leaver")
        if rng.random() < 0.08:
            criteria.append("young_parent")
        if criteria:
            client["criteria"] = criteria
        if rng.random() < 0.15:
            client["prefers"] = rng.sample(by_cat.get(chosen[0], ["p0"]), min(rng.randint(1, 3), len(by_cat.get(chosen[0], ["p0"]))))
        if rng.random() < 0.02:
            client["exclude"] = [f"p{rng.randrange(n_provisions)}"]
        clients.append(client)
    return {"version": 2, "as_of": AS_OF.isoformat(), "report": [], "clients": clients, "provisions": provisions}


def to_version1(problem: dict) -> dict:
    """The same people and listings as a version 1 problem."""
    as_of = date.fromisoformat(problem["as_of"])
    clients = []
    for c in problem["clients"]:
        born = date.fromisoformat(c["birth_date"])
        age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        v1 = {k: c[k] for k in ("id", "location", "available_from", "urgency", "max_travel_km") if k in c}
        v1["age"] = age
        v1["needs"] = [n["category"] if isinstance(n, dict) else n for n in c["needs"]]
        if "exclude" in c:
            v1["exclude"] = c["exclude"]
        clients.append(v1)
    provisions = []
    for p in problem["provisions"]:
        v1 = {k: p[k] for k in ("id", "category", "min_age", "max_age", "weight", "intakes") if k in p}
        v1["location"] = p.get("location") or p["locations"][0]
        provisions.append(v1)
    return {"version": 1, "as_of": problem["as_of"], "clients": clients, "provisions": provisions}
