"""Insight benchmark: the manager's dashboard against a listing page, on the demo and with 10,000 young people.

    python benchmarks/insight.py [--requests 15] [--young-people 10000] [--database-url URL]

Builds a fresh database (SQLite in a temporary directory unless --database-url names
one, which is emptied), loads the demo directory and demo people (`broker init`'s demo,
with the shortage story), runs the matcher once, then times GET /insight/ (signed in as
the demo manager) and GET /provisions/<id> (a demo listing, public; the same signed-in client) in
alternation, through the app's own WSGI stack in this process. Then adds young people
with open needs up to --young-people in all, runs the matcher again and times both
again. Printed: median and p90 ms of each page, the dashboard / listing ratio, the SQL
statements one dashboard runs and the load average.
The machine is shared: read the ratio, measured in the same run.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402


def _time(http, path: str) -> float:
    t0 = time.perf_counter()
    res = http.get(path)
    ms = (time.perf_counter() - t0) * 1000
    assert res.status_code == 200, (path, res.status_code)
    return ms


def statements_per_request(http, path: str) -> int:
    """SQL statements one GET runs (a SQLAlchemy event listener counts them)."""
    from broker.extensions import db
    from sqlalchemy import event

    count = [0]

    def counted(*_args):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        _time(http, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count[0]


def measure(manager, pa, listing_path: str, n: int) -> dict:
    dash, listing = [], []
    _time(manager, "/insight/"), _time(pa, listing_path)  # warm the caches and templates once
    for _ in range(n):
        dash.append(_time(manager, "/insight/"))
        listing.append(_time(pa, listing_path))
    p90 = lambda xs: sorted(xs)[max(0, int(round(0.9 * len(xs))) - 1)]  # noqa: E731
    d, l_ = statistics.median(dash), statistics.median(listing)
    return {"dashboard_ms": round(d, 1), "dashboard_p90_ms": round(p90(dash), 1), "listing_ms": round(l_, 1),
            "listing_p90_ms": round(p90(listing), 1), "ratio": round(d / l_, 1)}


def add_young_people(total: int, seed: int = 10) -> int:
    """Young people with 1-3 open needs at real West Yorkshire postcodes, up to `total` with open needs."""
    from broker.auth.models import User
    from broker.clients.models import Client, ClientNeed
    from broker.demo_people import FIRST, LAST, NEED_WEIGHTS
    from broker.extensions import db
    from broker.councils import code_for_postcode

    rng = random.Random(seed)
    with open(ROOT / "directory_data" / "geography" / "west_yorkshire_postcodes.csv", encoding="utf-8") as f:
        postcodes = [(r["postcode"], float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)]
    pas = list(db.session.scalars(select(User).where(User.role == "pa")))
    have = db.session.scalar(select(db.func.count(db.distinct(ClientNeed.client_id))).where(ClientNeed.status == "open"))
    today = dt.date.today()
    cats, weights = list(NEED_WEIGHTS), list(NEED_WEIGHTS.values())
    added = 0
    for n in range(max(total - have, 0)):
        postcode, lat, lon = rng.choice(postcodes)
        age = rng.choice([14, 15, 16, 16, 17, 17, 17, 18, 19])
        c = Client(pa_id=pas[n % len(pas)].id, first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
                   date_of_birth=today - dt.timedelta(days=int(age * 365.25) + rng.randint(10, 300)),
                   home_postcode=postcode, area=code_for_postcode(postcode), lat=lat, lon=lon, available_from=today + dt.timedelta(days=rng.randint(-60, 45)),
                   urgency=rng.choice([1, 1, 2, 2, 3]), max_travel_km=float(rng.choice([10, 15, 20, 25])),
                   assessment_date=today, review_date=today + dt.timedelta(days=30), summary="", risks="")
        picked = set()
        for _ in range(rng.choice([1, 1, 2, 3])):
            picked.add(rng.choices(cats, weights=weights)[0])
        c.needs = [ClientNeed(category=k, recorded_on=today - dt.timedelta(days=rng.randint(0, 120))) for k in sorted(picked)]
        db.session.add(c)
        added += 1
        if added % 1000 == 0:
            db.session.flush()
    db.session.commit()
    return added


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=15)
    ap.add_argument("--young-people", type=int, default=10000)
    ap.add_argument("--database-url")
    args = ap.parse_args(argv)

    from broker import create_app
    from broker.demo_people import create_demo_people
    from broker.directory.demo import load_demo
    from broker.directory.models import Provision
    from broker.extensions import db
    from broker.insight import allocation

    tmp = Path(tempfile.mkdtemp(prefix="insight-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BROKER_INDEX_DIR": str(tmp / "index"), "WTF_CSRF_ENABLED": False,
                      "BROKER_PASSWORD_PROFILE": "CHEAPEST", "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        t0 = time.perf_counter()
        load_demo()
        passwords = {email: password for _role, email, password in create_demo_people()}
        db.session.commit()
        print(f"demo loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        listing_id = db.session.scalar(select(Provision.id).where(Provision.status == "active").order_by(Provision.id).limit(1))

        def signed_in(email):
            http = app.test_client()
            res = http.post("/login", data={"email": email, "password": passwords[email]})
            assert res.status_code == 302, res.status_code
            return http

        # One signed-in manager for both pages (a listing page is public; the same session keeps it fair).
        manager = signed_in("manager@demo.example")
        pa = manager
        for label, grow in (("demo", None), (f"{args.young_people} young people", args.young_people)):
            if grow:
                t0 = time.perf_counter()
                added = add_young_people(grow)
                print(f"added {added} young people in {time.perf_counter() - t0:.1f} s", flush=True)
            t0 = time.perf_counter()
            run = allocation.run_allocation(None)
            db.session.commit()
            f = run.figures
            print(f"{label}: allocation run {time.perf_counter() - t0:.1f} s ({f['needs']} needs, {f['met']} met)", flush=True)
            r = measure(manager, pa, f"/provisions/{listing_id}", args.requests)
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{label}: dashboard median {r['dashboard_ms']} ms (p90 {r['dashboard_p90_ms']}), listing page median "
                  f"{r['listing_ms']} ms (p90 {r['listing_p90_ms']}), ratio {r['ratio']}x; "
                  f"{statements_per_request(manager, '/insight/')} SQL statements a dashboard; load average {load}", flush=True)


if __name__ == "__main__":
    main()
