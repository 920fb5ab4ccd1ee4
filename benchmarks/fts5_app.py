"""The baseline for benchmarks/load.py: a minimal waitress + SQLite FTS5 app serving the same
listings as the broker app, with the same totals for `GET /api/v1/provisions?q=...`.

It copies the active listings (name; description, eligibility, provider and need as the
body, as the broker's index does) and their intakes from the broker's database into an
SQLite file at start, then answers one route with the broker's JSON shape: total, and one
page of results with next start and places left. No framework, no ORM, no sessions, no
templates; a connection per request, as the Flask tutorial's `get_db` opens one.

    python benchmarks/fts5_app.py --database-url postgresql+psycopg://... --port 5399
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from broker.taxonomy import category_label  # noqa: E402

SCHEMA = """
CREATE TABLE listing (id INTEGER PRIMARY KEY, name TEXT, provider TEXT, category TEXT, last_confirmed TEXT);
CREATE TABLE intake (provision_id INTEGER, start TEXT, places INTEGER, taken INTEGER, rolling INTEGER);
CREATE INDEX intake_provision ON intake (provision_id);
CREATE VIRTUAL TABLE listing_text USING fts5(name, body, tokenize = 'porter unicode61');
"""


def load(database_url: str, path: Path) -> None:
    """Copy the broker's active listings into a fresh SQLite file."""
    path.unlink(missing_ok=True)
    out = sqlite3.connect(path)
    out.executescript(SCHEMA)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.id, p.name, p.description, p.eligibility, p.category, p.last_confirmed, o.name "
            "FROM provision p JOIN organisation o ON o.id = p.organisation_id WHERE p.status = 'active'"))
        for pid, name, desc, elig, cat, confirmed, org in rows:
            out.execute("INSERT INTO listing VALUES (?, ?, ?, ?, ?)", (pid, name, org, cat, str(confirmed)))
            out.execute("INSERT INTO listing_text (rowid, name, body) VALUES (?, ?, ?)",
                        (pid, name, " ".join([desc or "", elig or "", org, category_label(cat)])))
        for row in conn.execute(text("SELECT provision_id, start, places, places_taken, rolling FROM intake")):
            out.execute("INSERT INTO intake VALUES (?, ?, ?, ?, ?)", (row[0], str(row[1]), row[2], row[3], int(row[4])))
    engine.dispose()
    out.commit()
    out.close()


def make_app(path: Path, stale_days: int = 30):
    def app(environ, start_response):
        with closing(sqlite3.connect(path)) as c:
            return answer(c, environ, start_response)

    def answer(c, environ, start_response):
        if environ["PATH_INFO"] != "/api/v1/provisions":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        args = parse_qs(environ.get("QUERY_STRING", ""))
        q = " ".join(args.get("q", [""])).strip()
        per_page = min(int(args.get("per_page", ["20"])[0]), 100)
        page = max(int(args.get("page", ["1"])[0]), 1)
        words = " ".join(f'"{w}"' for w in q.replace('"', " ").split())
        if words:
            total = c.execute("SELECT count(*) FROM listing_text WHERE listing_text MATCH ?", (words,)).fetchone()[0]
            ids = [r[0] for r in c.execute(
                "SELECT rowid FROM listing_text WHERE listing_text MATCH ? ORDER BY bm25(listing_text, 3.0, 1.0) "
                "LIMIT ? OFFSET ?", (words, per_page, (page - 1) * per_page))]
        else:
            total = c.execute("SELECT count(*) FROM listing").fetchone()[0]
            ids = [r[0] for r in c.execute("SELECT id FROM listing ORDER BY id LIMIT ? OFFSET ?",
                                           (per_page, (page - 1) * per_page))]
        today = dt.date.today()
        marks = ",".join("?" * len(ids))
        listings = {r[0]: r for r in c.execute(f"SELECT * FROM listing WHERE id IN ({marks})", ids)} if ids else {}
        intakes: dict[int, list] = {}
        if ids:
            for pid, start, places, taken, rolling in c.execute(f"SELECT * FROM intake WHERE provision_id IN ({marks})", ids):
                intakes.setdefault(pid, []).append((dt.date.fromisoformat(start), places - taken, rolling))
        results = []
        for pid in ids:
            _id, name, provider, category, confirmed = listings[pid]
            upcoming = [(max(s, today) if r else s, left) for s, left, r in intakes.get(pid, []) if r or s >= today]
            confirmed_on = dt.date.fromisoformat(confirmed)
            results.append({
                "id": pid, "name": name, "provider": provider, "category": category, "distance_km": None,
                "next_start": min(s for s, _ in upcoming).isoformat() if upcoming else None,
                "places_left": sum(max(left, 0) for _, left in upcoming),
                "last_confirmed": confirmed, "stale": (today - confirmed_on).days > stale_days,
                "url": f"http://{environ.get('HTTP_HOST', 'localhost')}/provisions/{pid}",
            })
        body = json.dumps({"total": total, "results": results}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True, help="the broker's database, to copy the listings from")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5399)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args(argv)
    path = Path(tempfile.mkdtemp(prefix="fts5-baseline-")) / "listings.db"
    load(args.database_url, path)
    from waitress import serve

    print(f"FTS5 baseline on http://{args.host}:{args.port}/ from {path}", flush=True)
    serve(make_app(path), host=args.host, port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()
