"""Benchmark of the placement matcher against first-come-first-served greedy.

    python benchmarks/matching.py [--sizes 1k,10k,100k] [--seed 1] [--no-gap]

Synthetic regional instances, West Yorkshire-like: a box about 55 km across with
clients and provisions clustered round five towns; categories from the taxonomy;
clients with 1-3 needs, urgency 1-3, mostly the default 25 km travel limit;
provisions with 1-3 intakes over the next ~6 months (a quarter rolling), 0-6
places each, some with age bounds. Sizes are clients x provisions: 1k x 200,
10k x 2k, 100k x 20k.

Each run (matcher, greedy, pruned) is a fresh subprocess so that peak RSS
(resource.getrusage ru_maxrss) belongs to that run alone; it includes the
instance itself. "build" is parse + index + candidate arcs, "solve" the flow.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is itself named matching.py: keep its folder off the path so that
# `import matching` finds the package, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

TIME_LIMIT = 50.0  # pricing mode's limit (s), so that 100k stays near the 60 s goal
SIZES = {"1k": (1_000, 200), "10k": (10_000, 2_000), "100k": (100_000, 20_000)}
AS_OF = date(2026, 1, 5)
BOX = (53.55, 54.00, -2.15, -1.30)  # lat min/max, lon min/max: ~50 x 56 km
TOWNS = [  # lat, lon, share of people and provision
    (53.800, -1.549, 0.35),  # Leeds
    (53.795, -1.759, 0.25),  # Bradford
    (53.683, -1.499, 0.15),  # Wakefield
    (53.645, -1.785, 0.13),  # Huddersfield
    (53.727, -1.858, 0.12),  # Halifax
]
CATEGORIES = {  # taxonomy slug: share of needs and of provisions
    "training": 0.18, "education": 0.14, "employment": 0.16, "housing": 0.14, "benefits": 0.10,
    "health": 0.08, "mental-health": 0.08, "drugs-alcohol": 0.05, "anger-management": 0.03, "youth-offending": 0.04,
}


def _place(rng: random.Random) -> dict:
    lat0, lon0, _ = rng.choices(TOWNS, weights=[t[2] for t in TOWNS])[0]
    while True:
        # ~5 km spread round each town, 10% spread evenly over the box.
        if rng.random() < 0.1:
            lat, lon = rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])
        else:
            lat, lon = rng.gauss(lat0, 0.045), rng.gauss(lon0, 0.075)
        if BOX[0] <= lat <= BOX[1] and BOX[2] <= lon <= BOX[3]:
            return {"lat": round(lat, 6), "lon": round(lon, 6)}


def generate(n_clients: int, n_provisions: int, seed: int = 1) -> dict:
    """A contract problem (dict) for a synthetic region."""
    rng = random.Random(seed)
    cats, shares = list(CATEGORIES), list(CATEGORIES.values())
    provisions = []
    for p in range(n_provisions):
        prov = {"id": f"p{p}", "category": rng.choices(cats, shares)[0], "location": _place(rng), "intakes": []}
        if rng.random() < 0.5:
            prov["min_age"] = rng.choice([14, 16, 16, 18])
        if rng.random() < 0.5:
            prov["max_age"] = rng.choice([18, 19, 21, 24])
        for i in range(rng.randint(1, 3)):
            intake = {"id": f"p{p}-{i}", "start": (AS_OF + timedelta(days=rng.randint(-30, 180))).isoformat(),
                      "places": rng.randint(0, 6)}
            if rng.random() < 0.25:
                intake["rolling"] = True
            prov["intakes"].append(intake)
        provisions.append(prov)
    clients = []
    for c in range(n_clients):
        k = rng.choices([1, 2, 3], [0.5, 0.35, 0.15])[0]
        needs: list[str] = []
        while len(needs) < k:
            cat = rng.choices(cats, shares)[0]
            if cat not in needs:
                needs.append(cat)
        client = {"id": f"c{c}", "location": _place(rng), "age": rng.randint(14, 24),
                  "available_from": (AS_OF + timedelta(days=rng.randint(0, 60))).isoformat(),
                  "urgency": rng.choices([1, 2, 3], [0.5, 0.3, 0.2])[0], "needs": needs}
        r = rng.random()
        if r < 0.2:
            client["max_travel_km"] = 10
        elif r < 0.4:
            client["max_travel_km"] = 15
        if rng.random() < 0.02:
            client["exclude"] = [f"p{rng.randrange(n_provisions)}"]
        clients.append(client)
    return {"version": 1, "as_of": AS_OF.isoformat(), "clients": clients, "provisions": provisions}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _measures(problem, alloc) -> dict:
    clients = {c.id: c for c in problem.clients}
    n = len(alloc.placements)
    return {
        "needs": alloc.stats["needs"],
        "met": n,
        "urgency_met": sum(clients[p.client].urgency for p in alloc.placements),
        "urgency_total": sum(c.urgency * len(c.needs) for c in problem.clients),
        "mean_wait": sum(p.wait_days for p in alloc.placements) / n if n else 0.0,
        "mean_km": sum(p.distance_km for p in alloc.placements) / n if n else 0.0,
        "objective": sum(p.value for p in alloc.placements),
    }


def run_one(size: str, method: str, seed: int) -> dict:
    """One measured run in this process (called in a fresh subprocess)."""
    from matching import ProblemIndex, greedy, parse_problem, solve, suggest

    raw = generate(*SIZES[size], seed=seed)
    base_mb = _peak_mb()
    t0 = time.perf_counter()
    problem = parse_problem(raw)
    del raw
    t_parse = time.perf_counter() - t0
    t1 = time.perf_counter()
    index = ProblemIndex.build(problem)
    t_index = time.perf_counter() - t1
    out = {"size": size, "method": method, "parse_s": t_parse, "index_s": t_index}
    if method == "greedy":
        t2 = time.perf_counter()
        alloc = greedy(problem, index=index)
        out.update(build_s=t_parse + t_index, solve_s=time.perf_counter() - t2)
    elif method == "suggest":
        rng = random.Random(seed)
        times = []
        for _ in range(200):
            cid = problem.clients[rng.randrange(len(problem.clients))].id
            t2 = time.perf_counter()
            suggest(problem, cid, index=index)
            times.append(time.perf_counter() - t2)
        times.sort()
        out.update(p50_ms=1000 * times[len(times) // 2], p95_ms=1000 * times[int(len(times) * 0.95)],
                   peak_mb=_peak_mb())
        return out
    else:
        mode = {"matcher": "auto", "exact": "exact", "pruned": "pruned", "pricing": "pricing"}[method]
        alloc = solve(problem, index=index, mode=mode, time_limit=TIME_LIMIT)
        out.update(build_s=t_parse + t_index + alloc.stats["build_seconds"], solve_s=alloc.stats["solve_seconds"],
                   mode=alloc.stats["mode"], arcs=alloc.stats["candidate_arcs"], gap_bound=alloc.stats.get("gap_bound"),
                   optimal=alloc.stats.get("optimal"), passes=alloc.stats.get("pricing_passes"))
    out.update(_measures(problem, alloc))
    out["peak_mb"] = _peak_mb()
    out["instance_mb"] = base_mb
    return out


def _gap(r: dict) -> str:
    g = r.get("gap_bound")
    return "-" if g is None else f"{100 * g:.4f}%"


def _subprocess(size: str, method: str, seed: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", size, "--method", method, "--seed", str(seed)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{size} {method} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,10k,100k", help="comma list of 1k,10k,100k (100k takes ~2 min: matcher, greedy, suggest)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-gap", action="store_true", help="skip the pruned/pricing-vs-exact comparison")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="matcher", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.method, args.seed)))
        return

    print(f"matching benchmark, seed {args.seed}, {date.today().isoformat()}")
    head = (f"{'size':>5} {'method':>8} {'mode':>6} {'arcs':>10} {'build s':>8} {'solve s':>8} {'total s':>8} "
            f"{'peak MB':>8} {'needs':>7} {'met':>7} {'urg met':>8} {'urg %':>6} {'wait d':>7} {'km':>6} {'gap bound':>10}")
    print(head)
    results = {}
    for size in args.sizes.split(","):
        # Exact arcs do not fit at 100k, so there is nothing to compare pruned/pricing with there.
        methods = ["matcher", "greedy"] + ([] if args.no_gap or size == "100k" else ["pruned", "pricing"])
        for method in methods:
            r = _subprocess(size, method, args.seed)
            results[(size, method)] = r
            print(f"{size:>5} {method:>8} {r.get('mode', '-'):>6} {r.get('arcs', 0):>10} {r['build_s']:>8.2f} "
                  f"{r['solve_s']:>8.2f} {r['build_s'] + r['solve_s']:>8.2f} {r['peak_mb']:>8.0f} {r['needs']:>7} "
                  f"{r['met']:>7} {r['urgency_met']:>8} {100 * r['urgency_met'] / r['urgency_total']:>6.1f} "
                  f"{r['mean_wait']:>7.1f} {r['mean_km']:>6.2f} {_gap(r):>10}", flush=True)
        m, g = results[(size, "matcher")], results[(size, "greedy")]
        print(f"{size:>5} matcher meets {m['urgency_met'] - g['urgency_met']:+d} urgency-weighted needs "
              f"({m['met'] - g['met']:+d} needs) vs greedy; objective {m['objective']:.2f} vs {g['objective']:.2f}")
        for other in ("pruned", "pricing"):
            if (size, other) in results and m.get("mode") == "exact":
                p = results[(size, other)]
                gap = (m["objective"] - p["objective"]) / m["objective"]
                print(f"{size:>5} {other} ({p['arcs']} arcs) vs exact ({m['arcs']} arcs): gap {100 * gap:.4f}%")
        if m.get("mode") == "pricing":
            print(f"{size:>5} matcher (pricing) {'proven optimal' if m['optimal'] else 'stopped at the time limit'} "
                  f"after {m['passes']} pricing passes; gap bound {_gap(m)}")
        s = _subprocess(size, "suggest", args.seed)
        print(f"{size:>5} suggest for one client (index prebuilt in {s['index_s']:.2f} s): "
              f"p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
