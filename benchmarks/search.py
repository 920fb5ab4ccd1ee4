"""Search benchmark: build a Whoosh index of synthetic provision and time queries.

    python benchmarks/search.py [--sizes 10000,100000] [--queries 200]

Prints, per size: index build seconds, index size, and query latency p50/p95 (ms) for
text+filters and text+radius searches, measured on the index layer the web app and the
API use (broker.directory.search.search). The goal is p95 <= 50 ms at 100k provisions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker.directory import search  # noqa: E402
from broker.taxonomy import CATEGORIES  # noqa: E402

WORDS = {
    "training": "construction joinery plumbing electrical hairdressing catering motor vehicle skills course level apprenticeship",
    "education": "college maths english gcse functional skills study programme diploma access",
    "employment": "jobs cv interview employability work experience placement warehouse retail traineeship",
    "housing": "supported lodgings hostel foyer tenancy homeless accommodation room key worker",
    "benefits": "universal credit claim money advice budgeting pip grant hardship",
    "health": "sexual health clinic gp dental nutrition fitness wellbeing",
    "mental-health": "counselling anxiety depression talking therapy wellbeing self-harm support",
    "drugs-alcohol": "drug alcohol substance misuse recovery harm reduction cannabis",
    "anger-management": "anger management conflict emotions group programme behaviour",
    "youth-offending": "youth offending restorative justice mentoring reparation court order",
}
TOWNS = [(53.80, -1.55), (53.79, -1.75), (53.68, -1.50), (53.65, -1.78), (53.72, -1.86)]
QUERIES_TEXT = ["course", "housing", "counselling support", "construction skills", "universal credit", "college"]


def synthetic(n: int, seed: int = 7):
    rng = random.Random(seed)
    today = dt.date.today()
    cats = list(CATEGORIES)
    org = SimpleNamespace(name="Provider")
    for pid in range(1, n + 1):
        cat = rng.choice(cats)
        words = WORDS[cat].split()
        lat0, lon0 = rng.choice(TOWNS)
        intakes = [
            SimpleNamespace(
                start=today + dt.timedelta(days=rng.randint(-30, 180)),
                places=(places := rng.randint(0, 20)),
                places_taken=rng.randint(0, places),
                rolling=rng.random() < 0.25,
            )
            for _ in range(rng.randint(1, 4))
        ]
        yield SimpleNamespace(
            id=pid,
            status="active",
            name=" ".join(rng.sample(words, 3)).capitalize(),
            description=" ".join(rng.choices(words, k=25)),
            eligibility="Young people aged 16 to 19",
            organisation=SimpleNamespace(name=f"{org.name} {pid % 800}"),
            category=cat,
            min_age=rng.choice([None, 13, 16]),
            max_age=rng.choice([None, 19, 25]),
            intakes=intakes,
            locations=[
                SimpleNamespace(id=pid, lat=lat0 + rng.gauss(0, 0.08), lon=lon0 + rng.gauss(0, 0.12))
                for _ in range(1 if rng.random() < 0.9 else 2)
            ],
        )


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def time_queries(index_dir, make_query, count, rng):
    timings, totals = [], []
    for _ in range(count):
        sq = make_query(rng)
        t0 = time.perf_counter()
        page = search.search(index_dir, sq)
        timings.append((time.perf_counter() - t0) * 1000)
        totals.append(page.total)
    return timings, totals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    today = dt.date.today()
    print(f"{'size':>8} {'build s':>8} {'index MB':>9} {'query':<14} {'p50 ms':>7} {'p95 ms':>7} {'mean hits':>9}")
    for n in [int(s) for s in args.sizes.split(",")]:
        index_dir = tempfile.mkdtemp(prefix="broker-bench-ix-")
        try:
            t0 = time.perf_counter()
            search.rebuild(index_dir, synthetic(n))
            build_s = time.perf_counter() - t0
            size_mb = sum(f.stat().st_size for f in Path(index_dir).iterdir()) / 1e6

            def text_filters(rng):
                return search.SearchQuery(
                    text=rng.choice(QUERIES_TEXT),
                    category=rng.choice([None, "training", "housing", "education"]),
                    has_places=True,
                    age=rng.choice([16, 17]),
                    starts_before=today + dt.timedelta(days=90),
                    today=today,
                )

            def text_radius(rng):
                lat, lon = rng.choice(TOWNS)
                return search.SearchQuery(
                    text=rng.choice(QUERIES_TEXT),
                    near=(lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)),
                    radius_km=rng.choice([5, 10]),
                    sort="distance",
                    today=today,
                )

            rng = random.Random(1)
            search.search(index_dir, text_filters(rng))  # warm the caches once, as a server would be
            for label, make in (("text+filters", text_filters), ("text+radius", text_radius)):
                timings, totals = time_queries(index_dir, make, args.queries, rng)
                print(
                    f"{n:>8} {build_s:>8.1f} {size_mb:>9.1f} {label:<14} {statistics.median(timings):>7.1f}"
                    f" {percentile(timings, 95):>7.1f} {statistics.mean(totals):>9.0f}",
                    flush=True,
                )
        finally:
            shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
