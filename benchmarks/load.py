"""Load on the served app, from outside, on PostgreSQL: a bounded open-loop run at a fixed
arrival rate, and a closed-loop saturation run, mixing search pages, API search, listing
pages and a PA's placement suggestions; with the minimal FTS5 app (benchmarks/fts5_app.py)
measured in the same run as the baseline.

    python benchmarks/load.py                      # demo directory, 30 req/s for 20 s, 8 clients for 20 s
    python benchmarks/load.py --rate 30 --seconds 20 --clients 8 --workers 2 --threads 4

It wipes and fills the database it is given (default: a `broker_load` database on the local
PostgreSQL, created if missing) with `broker init` (the demo directory and accounts), serves
the app with `broker serve --workers N` (gunicorn) and the baseline with waitress, and
prints throughput and p50/p95/p99 latency per route, errors, and the ratios the goals are
stated in. The machine is shared: compare ratios from one run, not absolute figures across runs.
Latency in the open-loop run counts from when a request was due, so queueing counts too.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Queries both apps answer with the same totals. The stemmers differ on some words (Whoosh's
# Porter keeps "employment", SQLite's reduces it to "employ", so 66 and 83 listings): the run
# checks every query's totals and prints any that disagree.
TERMS = ["housing", "training", "counselling", "college", "apprenticeship", "construction", "benefits",
         "drugs", "anger", "mental health", "care leavers", "youth", "jobs", "advice", "support"]
ROUTES = ("search page", "API search", "listing page", "PA suggestions")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


class Client:
    """One keep-alive HTTP connection (reconnects when the server closes it)."""

    def __init__(self, base: str, cookie: str = ""):
        parts = urlsplit(base)
        self.host, self.port, self.cookie = parts.hostname, parts.port, cookie
        self.conn = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request("GET", path, headers={"Cookie": self.cookie} if self.cookie else {})
                res = self.conn.getresponse()
                body = res.read()
                if res.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return res.status, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


# --------------------------------------------------------------------------- setting up


def prepare_database(url: str, instance: Path) -> str:
    """Wipe the database and load the demo with `broker init`; returns the demo PA's password."""
    from sqlalchemy import create_engine, text

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    out = subprocess.run([sys.executable, "-m", "broker", "init"], env=_env(url, instance), cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"broker init failed:\n{out.stderr}")
    found = re.search(r"^\s*pa\s+pa@demo\.example\s+(\S+)", out.stdout, re.M)
    return found.group(1)


def _env(url: str, instance: Path) -> dict:
    env = dict(os.environ, BROKER_DATABASE_URL=url, BROKER_INSTANCE_PATH=str(instance),
               BROKER_INDEX_DIR=str(instance / "index"), SECRET_KEY="load-benchmark-" * 4,
               BROKER_LOGIN_LIMIT="1000 per minute")
    env.pop("BROKER_REDIS_URL", None)
    return env


def start(cmd: list[str], env: dict, base: str, log: Path, probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd} exited:\n{log.read_text()}")
        try:
            if Client(base).get(probe)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{cmd} did not answer within 120 s:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie of a signed-in user (the login form with its CSRF token, as a browser does)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", "/login")
    res = conn.getresponse()
    page = res.read().decode()
    cookie = res.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    conn.request("POST", "/login", body=urlencode({"csrf_token": token, "email": email, "password": password}),
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    res = conn.getresponse()
    res.read()
    if res.status != 302:
        raise SystemExit(f"could not sign in as {email}: {res.status}")
    return res.getheader("Set-Cookie", "").split(";")[0]


def demo_ids(url: str) -> tuple[list[int], list[int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        listings = [r[0] for r in conn.execute(text("SELECT id FROM provision WHERE status = 'active' ORDER BY id"))]
        clients = [r[0] for r in conn.execute(text(
            "SELECT c.id FROM client c JOIN user_account u ON u.id = c.pa_id WHERE u.email = 'pa@demo.example' ORDER BY c.id"))]
    engine.dispose()
    return listings, clients


# --------------------------------------------------------------------------- load


def mixed_paths(listings: list[int], clients: list[int]):
    """An endless round of (route, path): each route in turn, each with the next term or id."""
    terms, ids, people = itertools.cycle(TERMS), itertools.cycle(listings), itertools.cycle(clients)
    while True:
        yield "search page", f"/?q={next(terms).replace(' ', '+')}"
        yield "API search", f"/api/v1/provisions?q={next(terms).replace(' ', '+')}"
        yield "listing page", f"/provisions/{next(ids)}"
        yield "PA suggestions", f"/clients/{next(people)}/suggestions"


class Results:
    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def add(self, route: str, seconds: float, ok: bool):
        with self.lock:
            self.latency[route].append(seconds)
            if not ok:
                self.errors[route] += 1


def _do(client: Client, route: str, path: str) -> bool:
    try:
        status, _ = client.get(path)
        return status == 200
    except OSError:
        return False


def open_loop(base: str, cookie: str, paths, rate: float, seconds: float, pool: int = 64) -> tuple[Results, float]:
    """Requests due at a fixed rate whatever the answers do; latency counts from when each was due."""
    due: queue.Queue = queue.Queue()
    results = Results()

    def worker():
        client = Client(base, cookie)
        while True:
            item = due.get()
            if item is None:
                return
            when, route, path = item
            ok = _do(client, route, path)
            results.add(route, time.perf_counter() - when, ok)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(pool)]
    for t in threads:
        t.start()
    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        when = t0 + i / rate
        delay = when - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        route, path = next(paths)
        due.put((when, route, path))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join(timeout=120)
    return results, time.perf_counter() - t0


def closed_loop(base: str, cookie: str, paths, clients: int, seconds: float) -> tuple[Results, float]:
    """`clients` users, each sending its next request as soon as the last is answered."""
    results = Results()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def user():
        client = Client(base, cookie)
        while time.perf_counter() < stop_at:
            with lock:
                route, path = next(paths)
            t = time.perf_counter()
            ok = _do(client, route, path)
            results.add(route, time.perf_counter() - t, ok)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def sequential(base: str, paths, n: int) -> list[float]:
    client = Client(base)
    out = []
    for _ in range(n):
        _route, path = next(paths)
        t = time.perf_counter()
        status, _ = client.get(path)
        out.append(time.perf_counter() - t)
        assert status == 200, (path, status)
    return out


def report(title: str, results: Results, elapsed: float) -> dict:
    print(f"\n{title}")
    print(f"  {'route':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    total = sum(len(v) for v in results.latency.values())
    for route in [r for r in (*ROUTES, "baseline API search") if r in results.latency]:
        lat = results.latency[route]
        print(f"  {route:<16}{len(lat):>9}{len(lat) / elapsed:>8.1f}{pct(lat, 50) * 1000:>9.1f}"
              f"{pct(lat, 95) * 1000:>9.1f}{pct(lat, 99) * 1000:>9.1f}{results.errors[route]:>8}")
    every = [x for v in results.latency.values() for x in v]
    errors = sum(results.errors.values())
    print(f"  {'all':<16}{total:>9}{total / elapsed:>8.1f}{pct(every, 50) * 1000:>9.1f}"
          f"{pct(every, 95) * 1000:>9.1f}{pct(every, 99) * 1000:>9.1f}{errors:>8}")
    return {"throughput": total / elapsed, "p95": pct(every, 95), "errors": errors}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Load on the served app (PostgreSQL) against a minimal FTS5 app.")
    ap.add_argument("--database-url", default=os.environ.get(
        "BROKER_LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/broker_load"),
        help="PostgreSQL database to wipe and fill (created if missing)")
    ap.add_argument("--rate", type=float, default=30.0, help="open-loop arrivals per second")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    ap.add_argument("--clients", type=int, default=8, help="closed-loop users")
    ap.add_argument("--workers", type=int, default=2, help="app processes (gunicorn)")
    ap.add_argument("--threads", type=int, default=4, help="threads per app process")
    ap.add_argument("--sequential", type=int, default=300, help="one-client API searches for the latency ratio")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="broker-load-"))
    print(f"Preparing {args.database_url.rsplit('@', 1)[-1]} with the demo directory ...", flush=True)
    password = prepare_database(args.database_url, tmp / "instance")
    listings, clients = demo_ids(args.database_url)
    app_port, base_port = _free_port(), _free_port()
    app_url, base_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
    app = start([sys.executable, "-m", "broker", "serve", "--port", str(app_port), "--workers", str(args.workers),
                 "--threads", str(args.threads)], _env(args.database_url, tmp / "instance"), app_url, tmp / "app.log",
                "/api/v1/provisions?per_page=1")
    baseline = start([sys.executable, str(ROOT / "benchmarks" / "fts5_app.py"), "--database-url", args.database_url,
                      "--port", str(base_port), "--threads", str(args.threads)], dict(os.environ), base_url,
                     tmp / "baseline.log", "/api/v1/provisions?per_page=1")
    try:
        cookie = sign_in(app_url, "pa@demo.example", password)
        import json

        mismatched = []
        for term in TERMS:
            q = f"/api/v1/provisions?q={term.replace(' ', '+')}"
            ours = json.loads(Client(app_url).get(q)[1])["total"]
            theirs = json.loads(Client(base_url).get(q)[1])["total"]
            if ours != theirs:
                mismatched.append(f"{term!r}: app {ours}, baseline {theirs}")
        print(f"{len(listings)} listings, {len(clients)} young people on the PA's caseload; "
              f"{app.args[3:]}; totals agree on {len(TERMS) - len(mismatched)} of {len(TERMS)} queries"
              + (f" (differ: {'; '.join(mismatched)})" if mismatched else ""))

        api_only = ((r, p) for r, p in mixed_paths(listings, clients) if r == "API search")
        warm = mixed_paths(listings, clients)
        closed_loop(app_url, cookie, warm, 4, 3)  # warm caches and connections
        sequential(base_url, ((r, p) for r, p in mixed_paths(listings, clients) if r == "API search"), 50)

        ours = sequential(app_url, api_only, args.sequential)
        theirs = sequential(base_url, ((r, p) for r, p in mixed_paths(listings, clients) if r == "API search"),
                            args.sequential)
        print(f"\nOne client, {args.sequential} API searches each: app p50 {pct(ours, 50) * 1000:.2f} ms, "
              f"FTS5 baseline p50 {pct(theirs, 50) * 1000:.2f} ms: ratio {pct(ours, 50) / pct(theirs, 50):.2f} "
              f"(goal at most 2)")

        res, took = open_loop(app_url, cookie, mixed_paths(listings, clients), args.rate, args.seconds)
        fixed = report(f"Open loop: {args.rate:g} requests/s for {args.seconds:g} s (mixed routes)", res, took)
        res, took = closed_loop(app_url, cookie, mixed_paths(listings, clients), args.clients, args.seconds)
        sat = report(f"Closed loop: {args.clients} clients for {args.seconds:g} s (mixed routes, saturation)", res, took)
        base_paths = (("baseline API search", p) for r, p in mixed_paths(listings, clients) if r == "API search")
        res, took = closed_loop(base_url, "", base_paths, args.clients, args.seconds)
        base = report(f"Closed loop on the FTS5 baseline: {args.clients} clients for {args.seconds:g} s", res, took)

        print("\nGoals (this run):")
        print(f"  API search p50 / FTS5 p50     {pct(ours, 50) / pct(theirs, 50):6.2f}   goal <= 2")
        print(f"  saturation throughput         {sat['throughput']:6.1f}   goal >= 150 req/s "
              f"(FTS5 baseline {base['throughput']:.1f}; ratio {sat['throughput'] / base['throughput']:.2f})")
        print(f"  p95 at {args.rate:g} req/s             {fixed['p95'] * 1000:6.1f}   goal < 100 ms")
        print(f"  errors                        {fixed['errors'] + sat['errors']:6d}   goal 0")
    finally:
        stop(app)
        stop(baseline)


if __name__ == "__main__":
    main()
