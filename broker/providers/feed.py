"""The bulk vacancy feed: a CSV or JSON file of intakes, previewed then applied whole.

CSV columns (header row required; other columns such as `name` are ignored):

    provision_id,start,places,rolling
    12,2027-01-12,12,no
    12,2026-12-01,3,yes

JSON: `{"intakes": [{"provision_id": 12, "start": "2027-01-12", "places": 12, "rolling": false}, ...]}`
(or the bare list). Each listing named in the file gets exactly the file's upcoming
intakes; listings the file does not name are left alone.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict

from sqlalchemy import select

from broker.auth.models import User
from broker.directory.models import Provision
from broker.errors import Conflict, InputError
from broker.inputs import check_id, read_json
from broker.extensions import db
from broker.providers.models import FeedUpload
from broker.providers.services import (
    IntakeRow, Plan, Problem, apply_plans, check_row, describe, plan_intakes, record_change, refusal, snapshot,
)

COLUMNS = ("provision_id", "start", "places", "rolling")
MAX_ROWS = 5000
EXAMPLE_CSV = "provision_id,start,places,rolling,name\n{pid},{d1},12,no,Example course\n{pid},{d2},3,yes,Example course\n"


def _now():
    return dt.datetime.now(dt.timezone.utc)


def read_rows(filename: str, data: bytes) -> tuple[list[dict], list[Problem]]:
    """The file's rows as dicts with a `row` label, or the problems that stop it being read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem("", "file", f"is not UTF-8 text (bad byte at position {exc.start}); save it as 'CSV UTF-8' or JSON")]
    if not text.strip():
        return [], [Problem("", "file", "is empty")]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [Problem(f"line {line}", "file", "contains a NUL character (\\0); save the file again as text")]
    if filename.lower().endswith(".json") or text.lstrip()[:1] in "[{":
        try:
            body = read_json(text, "file", max_bytes=None)  # the upload limit applies
        except InputError as exc:
            return [], [Problem("", exc.field or "file", exc.message)]
        items = body.get("intakes") if isinstance(body, dict) else body
        if not isinstance(items, list):
            return [], [Problem("", "intakes", 'must be a list: {"intakes": [...]}')]
        rows = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                return [], [Problem(f"intakes[{n}]", "intake", "must be an object with provision_id, start, places, rolling")]
            rows.append({**{k: item.get(k) for k in COLUMNS}, "row": f"intakes[{n}]"})
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
        if missing:
            return [], [Problem("row 1", "header", f"missing column(s) {', '.join(missing)}; the header must be {','.join(COLUMNS)}")]
        rows = [{**{k: r.get(k) for k in COLUMNS}, "row": f"row {reader.line_num}"} for r in reader]
    if not rows:
        return [], [Problem("", "file", "has no intakes")]
    if len(rows) > MAX_ROWS:
        return [], [Problem("", "file", f"has {len(rows)} rows; send at most {MAX_ROWS} at a time")]
    return rows, []


def plan_feed(rows: list[dict], organisation_id: int, today: dt.date) -> tuple[list[Plan], list[Problem]]:
    """Check every row and plan every listing named; nothing is written."""
    problems: list[Problem] = []
    wanted: dict[int, list[IntakeRow]] = defaultdict(list)
    ids = set()
    pids = []
    for r in rows:
        raw_id = r["provision_id"]
        try:
            pid = check_id(raw_id if isinstance(raw_id, (int, str)) else None, "provision_id")
        except InputError:
            problems.append(Problem(r["row"], "provision_id", f"must be a listing's number, got {raw_id!r}"))
            pid = None
        pids.append(pid)
        if pid is not None:
            ids.add(pid)
    listings = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.id.in_(ids)))} if ids else {}
    for r, pid in zip(rows, pids):
        if pid is not None:
            p = listings.get(pid)
            if p is None:
                problems.append(Problem(r["row"], "provision_id", f"there is no listing {pid}"))
                pid = None
            elif p.organisation_id != organisation_id:
                problems.append(Problem(r["row"], "provision_id", f"listing {pid} belongs to another organisation"))
                pid = None
        intake = check_row(r["start"], r["places"], r["rolling"], r["row"], today, problems)
        if pid is not None and intake is not None:
            wanted[pid].append(intake)
    plans = [plan_intakes(listings[pid], intakes, today) for pid, intakes in sorted(wanted.items())]
    for plan in plans:
        problems.extend(plan.problems)
    return plans, problems


def stage(user: User, filename: str, data: bytes) -> tuple[FeedUpload | None, list[Plan], list[Problem]]:
    """Read and check an upload; keep it for applying only if it has no problems."""
    rows, problems = read_rows(filename, data)
    plans: list[Plan] = []
    if not problems:
        plans, problems = plan_feed(rows, user.organisation_id, dt.date.today())
    if problems:
        return None, plans, problems
    upload = FeedUpload(
        organisation_id=user.organisation_id, user_id=user.id, filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(), uploaded_at=_now(), rows=json.dumps(rows, default=str),
    )
    db.session.add(upload)
    db.session.flush()
    return upload, plans, []


def apply_upload(user: User, upload: FeedUpload) -> list[Plan]:
    """Apply a checked upload, all or nothing, re-checked against the directory as it is now."""
    if upload.applied_at is not None:
        raise refusal([Problem("", "file", "this upload has already been applied; upload the file again to re-apply")], Conflict)
    plans, problems = plan_feed(json.loads(upload.rows), upload.organisation_id, dt.date.today())
    if problems:
        raise refusal(problems, Conflict)  # the directory changed since the preview
    befores = {plan.provision.id: snapshot(plan.provision) for plan in plans if plan.changes}
    apply_plans([plan for plan in plans if plan.changes])
    today = dt.date.today()
    for plan in plans:
        if plan.changes:
            plan.provision.last_confirmed = today
            record_change(plan.provision, befores[plan.provision.id], "feed", f"{describe(plan)} ({upload.filename})", user)
    upload.applied_at = _now()
    return plans


CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS) else text


def export_csv(organisation_id: int, today: dt.date) -> str:
    """The organisation's upcoming intakes in the feed's own format, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, "places_taken", "name"])
    listings = db.session.scalars(
        select(Provision).where(Provision.organisation_id == organisation_id).order_by(Provision.id)
    )
    for p in listings:
        for i in p.upcoming_intakes(today):
            writer.writerow([safe_cell(v) for v in (p.id, i.start.isoformat(), i.places, "yes" if i.rolling else "no", i.places_taken, p.name)])
    return out.getvalue()
