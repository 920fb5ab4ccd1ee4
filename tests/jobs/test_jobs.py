"""Background jobs: the allocation-run API, what a job records, claims, lost jobs, due jobs and RQ."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from broker import create_app
from broker.auth.services import issue_token
from broker.errors import InputError
from broker.extensions import db
from broker.jobs import due, enqueue, job_kind
from broker.jobs.models import DueRun, Job
from broker.jobs.runner import run_job
from tests.conftest import app_config
from tests.insight.scenario import build
from tests.people import factories as pf

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BROKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@job_kind("test-counts", title="Counting", roles=("manager",))
def _counts(ctx, upto: int) -> dict:
    ctx.progress(0, upto, "Counting")
    for _ in range(upto):
        ctx.advance()
    return {"counted": upto}


@job_kind("test-refuses", title="Refusing", roles=("manager",))
def _refuses(ctx) -> dict:
    db.session.add(Job(kind="written-then-rolled-back", created_at=dt.datetime.now(dt.timezone.utc)))
    db.session.flush()
    raise InputError("places", "must be a whole number")


@job_kind("test-breaks", title="Breaking", roles=("manager",))
def _breaks(ctx) -> dict:
    raise ZeroDivisionError("a bug")


def _auth(user) -> dict:
    token = issue_token(user)[0]
    db.session.commit()  # as the sign-in request would: another node must see the token
    return {"Authorization": f"Bearer {token}"}


def _poll(http, url, headers, timeout_s=60) -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = http.get(url, headers=headers).get_json()
        seen.append(body)
        if body["status"] in ("done", "failed"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{url} not finished after {timeout_s} s: {seen[-1]}")


def test_an_allocation_run_posted_through_the_api_runs_and_reports(app, client):
    s = build()
    headers = _auth(s.manager)
    res = client.post("/api/v1/allocation-runs", json={}, headers=headers)
    assert res.status_code == 202
    body = res.get_json()
    assert set(body) == {"id", "status_url"} and res.headers["Location"] == body["status_url"]
    seen = _poll(client, body["status_url"], headers)
    last = seen[-1]
    assert last["status"] == "done" and last["progress"] == 1.0 and last["error"] is None
    assert (last["needs"], last["met"], last["unmet"]) == (6, 5, 1)
    assert all(b["status"] in ("queued", "running", "done") for b in seen)
    assert last["run_id"] is not None and last["area"] is None


def test_allocation_run_api_needs_a_manager_and_names_a_bad_area(app, client):
    pa, manager = pf.user("pa"), pf.user("manager")
    assert client.post("/api/v1/allocation-runs", json={}).status_code == 401
    assert client.post("/api/v1/allocation-runs", json={}, headers=_auth(pa)).status_code == 403
    res = client.post("/api/v1/allocation-runs", json={"area": "Narnia"}, headers=_auth(manager))
    assert res.status_code == 400 and res.get_json()["field"] == "area"
    assert db.session.scalar(select(db.func.count()).select_from(Job)) == 0
    assert client.get("/api/v1/allocation-runs/999999", headers=_auth(manager)).status_code == 404


def test_a_job_keeps_progress_and_result(app):
    manager = pf.user("manager")
    job = enqueue("test-counts", manager, upto=5)
    db.session.commit()
    job_id = job.id
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job.finished:
            break
        time.sleep(0.05)
    assert (job.status, job.progress, job.result, job.created_by_id) == ("done", 1.0, {"counted": 5}, manager.id)
    assert job.started_at is not None and job.finished_at >= job.started_at


def test_a_failed_job_rolls_back_its_writes_and_keeps_the_reason(app):
    refuses = Job(kind="test-refuses", status="queued", created_at=dt.datetime.now(dt.timezone.utc))
    breaks = Job(kind="test-breaks", status="queued", created_at=dt.datetime.now(dt.timezone.utc))
    db.session.add_all([refuses, breaks])
    db.session.commit()
    assert run_job(refuses.id) == "failed" and run_job(breaks.id) == "failed"
    db.session.expire_all()
    assert refuses.error == "must be a whole number"
    assert "failed unexpectedly (ZeroDivisionError)" in breaks.error
    assert db.session.scalar(select(db.func.count()).select_from(Job).where(Job.kind == "written-then-rolled-back")) == 0


def test_a_job_runs_once_however_often_it_is_sent(app):
    job = Job(kind="test-counts", params_json='{"upto": 1}', status="queued", created_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(job)
    db.session.commit()
    assert run_job(job.id) == "done"
    assert run_job(job.id) == "skipped"


def test_lost_jobs_fails_a_job_whose_worker_died_and_resends_one_never_sent(app):
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    died = Job(kind="test-counts", params_json='{"upto": 1}', status="running", created_at=long_ago,
               started_at=long_ago, heartbeat_at=long_ago)
    never_sent = Job(kind="test-counts", params_json='{"upto": 2}', status="queued", created_at=long_ago)
    db.session.add_all([died, never_sent])
    db.session.commit()
    assert due.run_due(only=["lost-jobs"]) == [("lost-jobs", "done", "1 lost, 1 sent again")]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.expire_all()
        if never_sent.finished:
            break
        time.sleep(0.05)
    assert died.status == "failed" and "stopped before it finished" in died.error
    assert never_sent.status == "done" and never_sent.result == {"counted": 2}


def test_due_jobs_run_once_per_interval_and_a_failure_does_not_stop_the_others(app, monkeypatch):
    ran = []
    monkeypatch.setitem(due.DUE, "test-hourly", due.DueJob("test-hourly", dt.timedelta(hours=1), "hourly",
                                                           lambda: ran.append("hourly") or "ok"))
    monkeypatch.setitem(due.DUE, "test-broken", due.DueJob("test-broken", dt.timedelta(hours=1), "broken",
                                                           lambda: 1 / 0))
    first = dict((n, o) for n, o, _ in due.run_due(only=["test-broken", "test-hourly"]))
    assert first == {"test-broken": "failed", "test-hourly": "done"}
    assert dict((n, o) for n, o, _ in due.run_due(only=["test-hourly"])) == {"test-hourly": "not due"}
    assert ran == ["hourly"]
    db.session.execute(update(DueRun).where(DueRun.name == "test-hourly")
                       .values(last_started_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=61)))
    db.session.commit()
    assert dict((n, o) for n, o, _ in due.run_due(only=["test-hourly"])) == {"test-hourly": "done"}
    assert ran == ["hourly", "hourly"]
    broken = db.session.get(DueRun, "test-broken")
    assert broken.last_status == "failed" and "ZeroDivisionError" in broken.last_note


def test_the_registered_due_jobs_run_from_the_command_line(app, database_url, tmp_path):
    env = dict(os.environ, BROKER_DATABASE_URL=database_url, BROKER_INSTANCE_PATH=str(tmp_path / "instance"),
               BROKER_INDEX_DIR=str(tmp_path / "index"))
    env.pop("BROKER_REDIS_URL", None)
    out = subprocess.run([sys.executable, "-m", "broker", "run-due"], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("index-catch-up", "lost-jobs", "prune-listing-changes", "stale-reminders"):
        assert f"{name}" in out.stdout and "done" in out.stdout
    again = subprocess.run([sys.executable, "-m", "broker", "run-due", "--only", "stale-reminders"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert "stale-reminders" in again.stdout and "not due" in again.stdout


# --------------------------------------------------------------------------- RQ on Redis


@pytest.fixture
def redis_url():
    import redis

    conn = redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()


def test_an_allocation_run_on_rq_is_run_by_broker_worker(app, database_url, redis_url, tmp_path):
    s = build()
    node = create_app(app_config(database_url, tmp_path, SERVER_NAME="broker.test", BROKER_REDIS_URL=redis_url))
    http = node.test_client()
    headers = _auth(s.manager)
    res = http.post("/api/v1/allocation-runs", json={"area": "Bradford"}, headers=headers)
    assert res.status_code == 202
    status_url = res.get_json()["status_url"]
    time.sleep(0.3)
    assert http.get(status_url, headers=headers).get_json()["status"] == "queued"  # nobody runs it but a worker
    env = dict(os.environ, BROKER_DATABASE_URL=database_url, BROKER_REDIS_URL=redis_url,
               BROKER_INSTANCE_PATH=str(tmp_path / "instance"), BROKER_INDEX_DIR=str(tmp_path / "worker-index"))
    out = subprocess.run([sys.executable, "-m", "broker", "worker", "--burst"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    body = http.get(status_url, headers=headers).get_json()
    assert body["status"] == "done", body
    assert (body["area"], body["needs"], body["met"]) == ("Bradford", 1, 1)
    with node.app_context():
        db.engine.dispose()
