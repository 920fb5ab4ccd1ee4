"""Benchmark of the placement matcher (contract version 2) against its baselines.

    python benchmarks/matching.py [--seed 1] [--no-100k] [--limit 60] [--proof-limit 600] [--cli-limits 20,45]

Regions spread like the demo (see `generate`). Every measured run is a fresh
subprocess reading the problem from a JSON file, so its peak RSS (getrusage
ru_maxrss; the instance included) and its seconds (parse included) are its own; at
100k also the peak PSS of it and the flow workers it forks, sampled from /proc
(shared pages counted once).
Printed, each labelled:

* 10k x 2k: version 1 exact and version 2 exact on the same people and listings, a
  plain OR-Tools SimpleMinCostFlow over version 2's arcs (the baseline: building and
  solving one flow, nothing else), and the cost of all marginal values;
* 100k x 20k, version 2: the library (`solve`, auto mode, `--limit` seconds) against
  greedy: seconds, peak MB, gap bound, needs met; with `--proof-limit`, also how long
  it takes to prove the optimum;
* the command's `--time-limit`: wall time of `python -m matching solve --time-limit T`
  against T.

The machine is shared, so each figure is printed beside a baseline measured in the
same run.

Regions (`generate`): young people live and provision sits at real West Yorkshire
postcodes (directory_data/geography/west_yorkshire_postcodes.csv: towns and the rural
districts around them, as the demo directory uses them), each in its council (ONS
code, from the district via directory_data/build_geography.py). Version 2 features
are in use:

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

import argparse
import csv
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is itself named matching.py: keep its folder off the path so that
# `import matching` finds the package, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

ROOT = HERE.parent
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


# --------------------------------------------------------------------------- measured runs (subprocesses)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _load(path: str):
    import orjson

    from matching import parse_problem

    with open(path, "rb") as f:
        return parse_problem(orjson.loads(f.read()))


def run_one(kind: str, path: str, time_limit: float) -> dict:
    """One measured run in this process (called in a fresh subprocess)."""
    import numpy as np

    t0 = time.perf_counter()
    from matching import greedy, solve

    problem = _load(path)
    t_parse = time.perf_counter() - t0
    out: dict = {"kind": kind, "parse_s": t_parse}
    if kind == "greedy":
        alloc = greedy(problem)
    elif kind == "baseline":
        # The same arcs exact mode builds, then one plain SimpleMinCostFlow, timed alone.
        from ortools.graph.python import min_cost_flow

        from matching import ProblemIndex
        from matching.placements import apply_pins
        from matching.scan import run_scan
        from matching.solver import value_scale

        index = ProblemIndex.build(problem)
        open_needs, places_left, _ = apply_pins(index, ())
        sr = run_scan(index, open_needs, places_left, value_scale(index))
        needs_u, need_c = np.unique(sr.need, return_inverse=True)
        intakes_u, intake_c = np.unique(sr.intake, return_inverse=True)
        n, m = len(needs_u), len(intakes_u)
        t1 = time.perf_counter()
        mcf = min_cost_flow.SimpleMinCostFlow()
        sink = n + m
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([need_c.ravel(), n + np.arange(m), np.arange(n)]).astype(np.int32),
            np.concatenate([n + intake_c.ravel(), np.full(m, sink), np.full(n, sink)]).astype(np.int32),
            np.concatenate([np.ones(len(sr.need)), places_left[intakes_u], np.ones(n)]).astype(np.int64),
            np.concatenate([-sr.w, np.zeros(m + n)]).astype(np.int64))
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[:n], supplies[sink] = 1, -n
        mcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        assert mcf.solve() == mcf.OPTIMAL
        out.update(flow_s=time.perf_counter() - t1, arcs=int(len(sr.need)), objective=-mcf.optimal_cost() / value_scale(index),
                   peak_mb=_peak_mb())
        return out
    else:
        mode, mv = {"exact": ("exact", False), "exact_mv": ("exact", True), "auto": ("auto", False)}[kind]
        alloc = solve(problem, mode=mode, marginal_values=mv, time_limit=time_limit)
        st = alloc.stats
        out.update(mode=st["mode"], arcs=st["candidate_arcs"], gap_bound=st.get("gap_bound"), optimal=st.get("optimal"),
                   solve_s=st["seconds"], flow_s=st.get("flow_seconds"), passes=st.get("pricing_passes"),
                   mv_s=st.get("marginal_values_seconds"))
    out["total_s"] = time.perf_counter() - t0
    out["peak_mb"] = _peak_mb()
    out["needs"] = alloc.stats["needs"]
    out["met"] = len(alloc.placements)
    out["objective"] = sum(p.value for p in alloc.placements)
    clients = {c.id: c for c in problem.clients}
    out["urgency_met"] = sum(clients[p.client].urgency for p in alloc.placements)
    return out


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants (shared pages split between
    them, so forked workers are not counted twice), from /proc; 0 once it has gone."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024.0


def _subprocess(kind: str, path: Path, time_limit: float = 50.0) -> dict:
    """One measured run in a fresh process; its memory is sampled every 0.2 s (peak PSS of
    the process and its flow workers together)."""
    proc = subprocess.Popen([sys.executable, __file__, "--one", kind, "--path", str(path), "--limit", str(time_limit)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_pss_mb(proc.pid))
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {path.name} failed:\n{err}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_pss_mb"] = peak
    return result


def _write(raw: dict, path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(raw, f)
    return path


def _gap(g) -> str:
    return "none (stopped before a full pass)" if g is None else f"{100 * g:.4f}%"


def bench_10k(tmp: Path, seed: int) -> None:
    raw = generate(10_000, 2_000, seed)
    v2 = _write(raw, tmp / "10k_v2.json")
    v1 = _write(to_version1(raw), tmp / "10k_v1.json")
    _subprocess("exact", v2)  # warm the compiled kernels' cache (first use compiles them)
    r1 = _subprocess("exact", v1)
    r2 = _subprocess("exact", v2)
    base = _subprocess("baseline", v2)
    mv = _subprocess("exact_mv", v2)
    print(f"10k x 2k v1 exact: {r1['solve_s']:.2f} s solve ({r1['arcs']} arcs, flow {r1['flow_s']:.2f} s), "
          f"{r1['total_s']:.2f} s with parsing, peak {r1['peak_mb']:.0f} MB, met {r1['met']}/{r1['needs']}")
    print(f"10k x 2k v2 exact: {r2['solve_s']:.2f} s solve ({r2['arcs']} arcs, flow {r2['flow_s']:.2f} s), "
          f"{r2['total_s']:.2f} s with parsing, peak {r2['peak_mb']:.0f} MB, met {r2['met']}/{r2['needs']}")
    print(f"10k x 2k v2 exact / v1 exact: {r2['solve_s'] / r1['solve_s']:.2f}x (goal <= 1.5x)")
    print(f"10k x 2k baseline, plain SimpleMinCostFlow over v2's {base['arcs']} arcs: {base['flow_s']:.2f} s; "
          f"v2 exact / baseline: {r2['solve_s'] / base['flow_s']:.2f}x; objectives {r2['objective']:.2f} vs "
          f"{base['objective']:.2f}")
    print(f"10k x 2k marginal values (every intake): +{mv['mv_s']:.2f} s = {mv['mv_s'] / base['flow_s']:.2f} x one "
          f"baseline solve (goal <= 1); solve with them {mv['solve_s']:.2f} s; {_load_average()}", flush=True)


def bench_100k(tmp: Path, seed: int, time_limit: float, cli_limits: list[float], proof_limit: float) -> None:
    path = _write(generate(100_000, 20_000, seed), tmp / "100k_v2.json")
    g = _subprocess("greedy", path)
    m = _subprocess("auto", path, time_limit)
    print(f"100k x 20k v2 greedy: {g['total_s']:.2f} s, peak {g['peak_mb']:.0f} MB, met {g['met']}/{g['needs']}, "
          f"objective {g['objective']:.2f}")
    print(f"100k x 20k v2 matcher ({m['mode']}, time limit {time_limit:g} s): {m['total_s']:.2f} s with parsing "
          f"(parse {m['parse_s']:.2f} s), peak {m['peak_mb']:.0f} MB RSS, {m['peak_pss_mb']:.0f} MB PSS with its flow "
          f"workers, gap bound {_gap(m['gap_bound'])}, "
          f"{'proven optimal' if m['optimal'] else 'not proven optimal'} after {m['passes']} passes, "
          f"met {m['met']} vs greedy {g['met']} ({m['met'] - g['met']:+d}), urgency-weighted "
          f"{m['urgency_met'] - g['urgency_met']:+d}, objective {m['objective']:.2f} vs {g['objective']:.2f}, "
          f"{_load_average()}", flush=True)
    if proof_limit:
        p = _subprocess("auto", path, proof_limit)
        print(f"100k x 20k v2 matcher to the proof (time limit {proof_limit:g} s): "
              f"{'proven optimal' if p['optimal'] else 'not proven optimal'} in {p['total_s']:.2f} s with parsing "
              f"after {p['passes']} passes, peak {p['peak_mb']:.0f} MB RSS, {p['peak_pss_mb']:.0f} MB PSS with its flow "
              f"workers, objective {p['objective']:.2f}, {_load_average()}", flush=True)
    for limit in cli_limits:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "matching", "solve", str(path), "--time-limit", str(limit),
                               "--out", str(tmp / "alloc.json")], cwd=HERE.parent, capture_output=True, text=True)
        wall = time.perf_counter() - t
        ok = done.returncode == 0
        stats = json.loads((tmp / "alloc.json").read_text())["stats"] if ok else {}
        print(f"CLI --time-limit {limit:g} at 100k x 20k: {wall:.2f} s wall, overrun {100 * (wall / limit - 1):+.1f}% "
              f"(goal <= +10%), exit {done.returncode}, gap bound {_gap(stats.get('gap_bound'))}, "
              f"met {stats.get('met')}, {_load_average()}", flush=True)


def _load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-100k", action="store_true", help="only the 10k x 2k comparison")
    ap.add_argument("--limit", type=float, default=60.0, help="the library's time limit at 100k (s)")
    ap.add_argument("--proof-limit", type=float, default=0.0,
                    help="also run the library at 100k with this limit (s), to time the proof (0: skip)")
    ap.add_argument("--cli-limits", default="20,45", help="the command's --time-limit values to check (s, commas)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.path, args.limit)))
        return
    print(f"matching benchmark, seed {args.seed}, {date.today().isoformat()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="matching-bench-") as d:
        bench_10k(Path(d), args.seed)
        if not args.no_100k:
            bench_100k(Path(d), args.seed, args.limit, [float(x) for x in args.cli_limits.split(",")],
                       args.proof_limit)


if __name__ == "__main__":
    main()
