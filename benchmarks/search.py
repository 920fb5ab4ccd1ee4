"""Search benchmark: the directory's engine against SQLite FTS5, side by side, in one run.

    python benchmarks/search.py [--sizes 10000,100000] [--queries 300] [--seed 7]

Both engines get the same corpus and the same queries in the same process:

- corpus: listings written like the demo directory's (directory_data/generate_demo.py's
  templates: names, descriptions, eligibility, kinds, ages, intakes), at real West
  Yorkshire postcodes, some serving named councils only, 10% at two or three sites.
- queries: words drawn from the judged PA searches (directory_data/judged_queries.toml,
  plain words, misspellings, jargon) and the thesaurus' phrases, in four sets:
    text+filters  words + need or kind + free places + age + start before
    text+radius   words + near a town + radius (5-25 km), nearest first or best match
    all filters   words + need or kind + near + radius + start window + free places +
                  age + council area + any sort: every filter at once
    browse        no words, near a town: nearest listings grouped by need
- FTS5 baseline: an fts5 table (porter tokenizer, BM25 with the name weighted 3x) over
  the same text, listings/intakes/areas tables with indexes, an R*tree of sites for the
  bounding box, then exact great-circle distance, nearest site per listing and the same
  distance fade in Python; the words are matched as FTS5 matches them (every word).

Printed per size: build seconds (and ratio to FTS5); peak memory of each engine's
build-and-query phase (VmHWM, reset before each phase); p50/p95 ms per query set for
both and the ratio; mean results; the first query in a new process; the first query
after a one-listing write, and warm queries after 20 such writes.
The machine is shared: read the ratios, which are measured in the same run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "directory_data"))

import generate_demo as demo  # noqa: E402
from broker.councils import CODE_OF  # noqa: E402
from broker.directory import search, thesaurus  # noqa: E402
from broker.taxonomy import CATEGORIES, KINDS, category_label, kind_label  # noqa: E402
from matching.geometry import great_circle_km  # noqa: E402

TOWNS = {
    "Leeds": (53.7965, -1.5479), "Bradford": (53.7939, -1.7521), "Wakefield": (53.6833, -1.4977),
    "Huddersfield": (53.6458, -1.7850), "Halifax": (53.7248, -1.8658), "Dewsbury": (53.6910, -1.6330),
    "Keighley": (53.8679, -1.9066), "Pontefract": (53.6910, -1.3120),
}
CATEGORY_WEIGHTS = {"training": 22, "education": 12, "employment": 12, "housing": 9, "benefits": 7, "health": 7,
                    "mental-health": 10, "drugs-alcohol": 7, "anger-management": 6, "youth-offending": 8}
KIND_CATEGORY = {kind: cat for cat, kinds in KINDS.items() for kind in kinds}
JUDGED = ROOT / "directory_data" / "judged_queries.toml"


# --- the corpus ---


def corpus(n: int, seed: int):
    """n listings written like the demo directory's, as provision-shaped objects."""
    rng = random.Random(seed)
    today = dt.date.today()
    postcodes = demo.load_postcodes()
    by_category: dict[str, list] = {}
    for template in demo.TEMPLATES:
        by_category.setdefault(template[1], []).append(template)
    stems = demo.GENERIC_STEMS + [s for v in demo.COUNCIL_STEMS.values() for s in v]
    suffixes = [s for kind in demo.ORG_KINDS.values() for s in kind[0]]
    orgs = [SimpleNamespace(name=f"{rng.choice(stems)} {rng.choice(suffixes)}") for _ in range(max(20, n // 4))]
    cats, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    out = []
    for pid in range(1, n + 1):
        category = rng.choices(cats, weights)[0]
        title, _, kind, mode, (min_age, max_age), sentences = rng.choice(by_category[category])
        council = rng.choices(demo.COUNCILS, weights=demo.COUNCIL_WEIGHTS)[0]
        served = [council] + ([rng.choice(demo.NEIGHBOURS[council])] if rng.random() < 0.25 else [])
        who = rng.choice(demo.CATEGORY_WHO[category])
        route = demo.weighted(rng, demo.ROUTE_WEIGHTS[category])
        sites = []
        for _ in range(rng.choices([1, 2, 3], weights=[90, 7, 3])[0]):
            postcode, lat, lon, neighbourhood, town = rng.choice(postcodes[rng.choice(served)])
            sites.append(SimpleNamespace(id=len(out) * 4 + len(sites), lat=lat, lon=lon))
        if rng.random() < 0.4:
            title = f"{title} – {town}"
        out.append(SimpleNamespace(
            id=pid,
            status="active" if rng.random() > 0.02 else "withdrawn",
            name=title,
            description=" ".join([sentences[0], f"For young people {who} in {' and '.join(served)}."] + sentences[1:]
                                 + [rng.choice(demo.PRACTICAL[mode]), demo.ROUTE_SENTENCE[route]]),
            eligibility=f"Aged {min_age or 0}-{max_age or 25}, {who}, living in {' and '.join(served)}",
            organisation=rng.choice(orgs),
            category=category,
            kind=kind,
            min_age=min_age,
            max_age=max_age,
            areas=None if rng.random() < 0.6 else [CODE_OF[c] for c in served],
            intakes=[SimpleNamespace(start=today + dt.timedelta(days=i["start_in_days"]), places=i["places"],
                                     places_taken=i["taken"], rolling=i["rolling"])
                     for i in demo.make_intakes(rng, mode)],
            locations=sites,
        ))
    return out


# --- the queries ---


def query_words(seed: int) -> list[str]:
    """What PAs type: the judged searches' words, and phrases from the thesaurus."""
    rng = random.Random(seed)
    with open(JUDGED, "rb") as handle:
        judged = [q["q"] for q in tomllib.load(handle)["query"]]
    phrases = [e.says for e in thesaurus.default().entries() if e.role != "filler"]
    return judged + rng.sample(phrases, min(len(judged), len(phrases)))


def query_sets(words: list[str], today: dt.date):
    cats = list(CATEGORIES)
    kinds = list(KIND_CATEGORY)
    areas = list(CODE_OF.values())

    def near(rng):
        lat, lon = rng.choice(list(TOWNS.values()))
        return lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.05, 0.05)

    def need(rng, q):
        roll = rng.random()
        if roll < 0.4:
            q["category"] = rng.choice(cats)
        elif roll < 0.6:
            q["kind"] = rng.choice(kinds)
            q["category"] = KIND_CATEGORY[q["kind"]]

    def text_filters(rng):
        q = dict(text=rng.choice(words))
        if rng.random() < 0.5:
            need(rng, q)
        q.update(has_places=rng.random() < 0.6, age=rng.choice([None, 15, 16, 17, 18]))
        if rng.random() < 0.6:
            q["starts_before"] = today + dt.timedelta(days=rng.choice([30, 60, 90]))
        return q

    def text_radius(rng):
        return dict(text=rng.choice(words), near=near(rng), radius_km=rng.choice([5, 10, 15, 25]),
                    sort=rng.choice(["distance", "relevance"]))

    def all_filters(rng):
        q = dict(text=rng.choice(words), near=near(rng), radius_km=rng.choice([5, 10, 15, 25]),
                 has_places=True, age=rng.choice([15, 16, 17, 18]), area=rng.choice(areas),
                 starts_after=today + dt.timedelta(days=rng.choice([0, 7, 14])),
                 starts_before=today + dt.timedelta(days=rng.choice([60, 90, 120])),
                 sort=rng.choice(["distance", "relevance", "start"]))
        need(rng, q)
        return q

    def browse(rng):
        q = dict(text="", near=near(rng), radius_km=rng.choice([None, 5, 10]), sort="distance")
        if rng.random() < 0.5:
            q.update(has_places=True, age=rng.choice([16, 17]))
        return q

    return {"text+filters": text_filters, "text+radius": text_radius, "all filters": all_filters, "browse": browse}


def to_search_query(q: dict, today: dt.date) -> search.SearchQuery:
    return search.SearchQuery(today=today, **{k: v for k, v in q.items() if v is not None})


# --- the FTS5 baseline ---


class Fts5:
    """The obvious alternative: SQLite FTS5 + an R*tree bounding box + exact distance."""

    def __init__(self, path: str):
        self.path = path
        self.db = sqlite3.connect(path)

    def build(self, listings) -> None:
        db = self.db
        db.executescript("""
            CREATE TABLE listing(id INTEGER PRIMARY KEY, category TEXT, kind TEXT, min_age INT, max_age INT,
                                 anywhere INT);
            CREATE VIRTUAL TABLE listing_text USING fts5(name, body, tokenize='porter unicode61');
            CREATE TABLE site(id INTEGER PRIMARY KEY, listing_id INT, lat REAL, lon REAL);
            CREATE VIRTUAL TABLE site_box USING rtree(id, min_lat, max_lat, min_lon, max_lon);
            CREATE TABLE intake(listing_id INT, start INT, rolling INT, places_left INT);
            CREATE TABLE listing_area(listing_id INT, code TEXT);
        """)
        with db:
            for p in listings:
                if p.status != "active":
                    continue
                body = " ".join([p.description, p.eligibility, p.organisation.name, category_label(p.category),
                                 kind_label(p.category, p.kind)])
                db.execute("INSERT INTO listing VALUES (?,?,?,?,?,?)",
                           (p.id, p.category, p.kind, p.min_age, p.max_age, int(p.areas is None)))
                db.execute("INSERT INTO listing_text(rowid, name, body) VALUES (?,?,?)", (p.id, p.name, body))
                for s in p.locations:
                    db.execute("INSERT INTO site VALUES (?,?,?,?)", (s.id, p.id, s.lat, s.lon))
                    db.execute("INSERT INTO site_box VALUES (?,?,?,?,?)", (s.id, s.lat, s.lat, s.lon, s.lon))
                db.executemany("INSERT INTO intake VALUES (?,?,?,?)",
                               [(p.id, i.start.toordinal(), int(i.rolling), i.places - i.places_taken) for i in p.intakes])
                db.executemany("INSERT INTO listing_area VALUES (?,?)", [(p.id, c) for c in p.areas or ()])
            db.execute("CREATE INDEX intake_listing ON intake(listing_id)")
            db.execute("CREATE INDEX site_listing ON site(listing_id)")
            db.execute("CREATE INDEX area_code ON listing_area(code, listing_id)")
            db.execute("CREATE INDEX listing_category ON listing(category)")

    def update(self, p) -> None:
        """Rewrite one listing's text (as a provider's edit would)."""
        with self.db:
            self.db.execute("DELETE FROM listing_text WHERE rowid = ?", (p.id,))
            self.db.execute("INSERT INTO listing_text(rowid, name, body) VALUES (?,?,?)", (p.id, p.name, p.description))

    def search(self, q: dict, today: dt.date, per_page: int = 20) -> int:
        words = re.findall(r"[^\W_]+", q.get("text") or "")
        where, params = ["1=1"], {}
        if q.get("category"):
            where.append("l.category = :category")
            params["category"] = q["category"]
        if q.get("kind"):
            where.append("l.kind = :kind")
            params["kind"] = q["kind"]
        if q.get("age") is not None:
            where.append("(l.min_age IS NULL OR l.min_age <= :age) AND (l.max_age IS NULL OR l.max_age >= :age)")
            params["age"] = q["age"]
        if q.get("area"):
            where.append("(l.anywhere OR EXISTS (SELECT 1 FROM listing_area a WHERE a.code = :area AND a.listing_id = l.id))")
            params["area"] = q["area"]
        after = q.get("starts_after")
        before = q.get("starts_before")
        if q.get("has_places") or after or before:
            t = today.toordinal()
            a = after.toordinal() if after else t
            join = f"CASE WHEN i.rolling THEN max(i.start, {max(t, a)}) ELSE i.start END"
            cond = [f"(i.rolling OR i.start >= {t})"]
            if q.get("has_places"):
                cond.append("i.places_left > 0")
            if after:
                cond.append(f"{join} >= {a}")
            if before:
                cond.append(f"{join} <= {before.toordinal()}")
            where.append(f"EXISTS (SELECT 1 FROM intake i WHERE i.listing_id = l.id AND {' AND '.join(cond)})")
        near, radius = q.get("near"), q.get("radius_km")
        site_join = "JOIN site s ON s.listing_id = l.id"
        if near and radius:
            dlat = radius / 111.0
            dlon = radius / (111.0 * math.cos(math.radians(near[0])))
            site_join += (" JOIN site_box b ON b.id = s.id AND b.min_lat >= :lat0 AND b.max_lat <= :lat1"
                          " AND b.min_lon >= :lon0 AND b.max_lon <= :lon1")
            params.update(lat0=near[0] - dlat, lat1=near[0] + dlat, lon0=near[1] - dlon, lon1=near[1] + dlon)
        if words:
            params["match"] = " ".join('"' + w + '"' for w in words)
            sql = (f"SELECT l.id, bm25(listing_text, 3.0, 1.0), s.lat, s.lon FROM listing_text "
                   f"JOIN listing l ON l.id = listing_text.rowid {site_join} "
                   f"WHERE listing_text MATCH :match AND {' AND '.join(where)}")
        else:
            sql = f"SELECT l.id, 0.0, s.lat, s.lon FROM listing l {site_join} WHERE {' AND '.join(where)}"
        best: dict[int, tuple[float, float]] = {}
        for pid, rank, lat, lon in self.db.execute(sql, params):
            km = great_circle_km(near[0], near[1], lat, lon) if near else math.inf
            if radius and km > radius:
                continue
            if pid not in best or km < best[pid][1]:
                best[pid] = (-rank, km)
        scored = [(s / (1 + km / 10) if near else s, -km, pid) for pid, (s, km) in best.items()]
        sort = q.get("sort")
        key = (lambda r: (r[1], r[0])) if sort == "distance" else (lambda r: r[0])
        scored.sort(key=key, reverse=True)
        self.page = scored[:per_page]
        return len(best)


# --- measuring ---


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def peak_mb_since_reset() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024


def rss_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


FIRST_QUERY = r"""
import sys, time, datetime as dt, json
sys.path.insert(0, {root!r})
q = json.loads({query!r})
t0 = time.perf_counter()
if {engine!r} == "whoosh":
    from broker.directory import search
    sq = search.SearchQuery(text=q["text"], near=tuple(q["near"]), radius_km=q["radius_km"])
    t1 = time.perf_counter()
    page = search.search({where!r}, sq)
else:
    import sqlite3
    t1 = time.perf_counter()
    db = sqlite3.connect({where!r})
    list(db.execute("SELECT rowid FROM listing_text WHERE listing_text MATCH ? LIMIT 20", (q["text"],)))
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "first_ms": (time.perf_counter() - t1) * 1000}}))
"""


def first_query_in_new_process(engine: str, where: str) -> dict:
    """The first query of a fresh process (imports timed apart), on a warm page cache."""
    query = json.dumps({"text": "counselling", "near": TOWNS["Leeds"], "radius_km": 10})
    code = FIRST_QUERY.format(root=str(ROOT), query=query, engine=engine, where=where)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(n: int, args) -> None:
    today = dt.date.today()
    listings = corpus(n, args.seed)
    words = query_words(args.seed)
    sets = query_sets(words, today)
    workdir = tempfile.mkdtemp(prefix="broker-bench-")
    fts = None
    try:
        # FTS5: build and query.
        gc.collect()
        reset_peak()
        base = rss_mb()
        fts = Fts5(os.path.join(workdir, "fts.db"))
        t0 = time.perf_counter()
        fts.build(listings)
        fts_build = time.perf_counter() - t0
        fts_times = {}
        for label, make in sets.items():
            rng = random.Random(args.seed + 1)
            timings, totals = [], []
            for _ in range(args.queries):
                q = make(rng)
                t = time.perf_counter()
                totals.append(fts.search(q, today))
                timings.append((time.perf_counter() - t) * 1000)
            fts_times[label] = (timings, totals)
        fts_peak = peak_mb_since_reset() - base

        # This engine: build and query.
        index_dir = os.path.join(workdir, "index")
        gc.collect()
        reset_peak()
        base = rss_mb()
        t0 = time.perf_counter()
        search.rebuild(index_dir, listings)
        build = time.perf_counter() - t0
        ours = {}
        for label, make in sets.items():
            rng = random.Random(args.seed + 1)
            search.search(index_dir, to_search_query(make(random.Random(0)), today))  # a server is warm
            timings, totals = [], []
            for _ in range(args.queries):
                q = make(rng)
                t = time.perf_counter()
                totals.append(search.search(index_dir, to_search_query(q, today)).total)
                timings.append((time.perf_counter() - t) * 1000)
            ours[label] = (timings, totals)
        peak = peak_mb_since_reset() - base

        size_mb = sum(f.stat().st_size for f in Path(index_dir).iterdir()) / 1e6
        fts_mb = os.path.getsize(os.path.join(workdir, "fts.db")) / 1e6
        print(f"\n== {n:,} listings ({sum(len(p.locations) for p in listings):,} sites)")
        print(f"build: {build:6.1f} s vs FTS5 {fts_build:6.1f} s = {build / fts_build:4.1f}x   "
              f"on disk {size_mb:5.0f} MB vs {fts_mb:5.0f} MB   "
              f"peak memory over start {peak:5.0f} MB vs {fts_peak:5.0f} MB")
        print(f"{'query set':<13} {'p50 ms':>8} {'FTS5':>7} {'ratio':>6} {'p95 ms':>8} {'FTS5':>7} {'ratio':>6}"
              f" {'results':>8} {'FTS5':>7}")
        for label in sets:
            t, tot = ours[label]
            ft, ftot = fts_times[label]
            p50, f50, p95, f95 = statistics.median(t), statistics.median(ft), percentile(t, 95), percentile(ft, 95)
            print(f"{label:<13} {p50:8.1f} {f50:7.1f} {p50 / f50:6.2f} {p95:8.1f} {f95:7.1f} {p95 / f95:6.2f}"
                  f" {statistics.mean(tot):8.0f} {statistics.mean(ftot):7.0f}")

        first = first_query_in_new_process("whoosh", index_dir)
        first_fts = first_query_in_new_process("fts5", os.path.join(workdir, "fts.db"))
        print(f"first query in a new process: {first['first_ms']:.1f} ms (imports {first['import_ms']:.0f} ms)"
              f" vs FTS5 {first_fts['first_ms']:.1f} ms")

        # After a write: one listing changes, then the next query; 20 times.
        rng = random.Random(args.seed + 2)
        after, fts_after, writes, fts_writes = [], [], [], []
        make = sets["all filters"]
        for _ in range(20):
            p = rng.choice(listings)
            p.name = f"{p.name} (updated)"
            t = time.perf_counter()
            search.update_provisions(index_dir, [p])
            writes.append((time.perf_counter() - t) * 1000)
            q = make(rng)
            t = time.perf_counter()
            search.search(index_dir, to_search_query(q, today))
            after.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fts.update(p)
            fts_writes.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fts.search(q, today)
            fts_after.append((time.perf_counter() - t) * 1000)
        rng = random.Random(args.seed + 1)
        warm = []
        for _ in range(args.queries):
            q = make(rng)
            t = time.perf_counter()
            search.search(index_dir, to_search_query(q, today))
            warm.append((time.perf_counter() - t) * 1000)
        segments = len(search._snapshot(index_dir).parts)
        print(f"one-listing write: median {statistics.median(writes):.1f} ms, max {max(writes):.1f} ms"
              f" (FTS5 {statistics.median(fts_writes):.1f} / {max(fts_writes):.1f} ms); the first query after it:"
              f" median {statistics.median(after):.1f} ms, max {max(after):.1f} ms"
              f" (FTS5 {statistics.median(fts_after):.1f} / {max(fts_after):.1f} ms)")
        print(f"warm 'all filters' after 20 writes ({segments} segments): p50 {statistics.median(warm):.1f} ms,"
              f" p95 {percentile(warm, 95):.1f} ms (before the writes: p50 {statistics.median(ours['all filters'][0]):.1f},"
              f" p95 {percentile(ours['all filters'][0], 95):.1f})")
    finally:
        if fts is not None:
            fts.db.close()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for n in [int(s) for s in args.sizes.split(",")]:
        run_size(n, args)


if __name__ == "__main__":
    main()
