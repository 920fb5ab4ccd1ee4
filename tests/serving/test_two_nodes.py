"""The production shape, for real: two web nodes (gunicorn, each with its own index directory)
and a `broker worker` on one PostgreSQL and one Redis.

Runs on the PostgreSQL lane (BROKER_TEST_DATABASE_URL) with Redis at BROKER_TEST_REDIS_URL
(default redis://127.0.0.1:6379/1, which it empties).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from broker.auth.services import issue_token
from broker.extensions import db
from tests.insight.scenario import build
from tests.people import factories as pf
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BROKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def _call(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Node:
    """One `broker serve --workers 2` process tree with its own index directory."""

    def __init__(self, name: str, env: dict, tmp: Path):
        self.name, self.port = name, free_port()
        self.env = dict(env, BROKER_INDEX_DIR=str(tmp / f"index-{name}"), BROKER_INSTANCE_PATH=str(tmp / f"instance-{name}"))
        self.log = tmp / f"{name}.log"
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Node":
        cmd = [sys.executable, "-m", "broker", "serve", "--workers", "2", "--threads", "4", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if _call("GET", f"{self.url}/api/v1/provisions?per_page=1")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"node {self.name} did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def finds(self, query: str, provision_id: int) -> bool:
        """Whether this node's search lists that listing (search may add partial matches)."""
        status, body = _call("GET", f"{self.url}/api/v1/provisions?per_page=100&{query}")
        assert status == 200, body
        return provision_id in {r["id"] for r in body["results"]}


@pytest.fixture
def shape(app, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the two-node shape runs on PostgreSQL (BROKER_TEST_DATABASE_URL)")
    import redis

    conn = redis.from_url(REDIS_URL)
    conn.ping()  # no Redis is a failure here, not a skip: this is the lane that tests it
    conn.flushdb()
    env = dict(os.environ, BROKER_DATABASE_URL=database_url, BROKER_REDIS_URL=REDIS_URL, SECRET_KEY="two-node-test-" * 4)
    worker_log = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "broker", "worker"], cwd=ROOT, stdout=worker_log.open("a"),
                              stderr=subprocess.STDOUT,
                              env=dict(env, BROKER_INDEX_DIR=str(tmp_path / "index-worker"),
                                       BROKER_INSTANCE_PATH=str(tmp_path / "instance-worker")))
    nodes = [Node("a", env, tmp_path), Node("b", env, tmp_path)]
    try:
        yield nodes, worker, conn
    finally:
        for n in nodes:
            n.stop()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        conn.flushdb()


def _until(check, timeout_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if check():
            return time.monotonic() - t0
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout_s} s")


def test_two_nodes_and_a_worker_on_postgresql_and_redis(shape):
    nodes, worker, redis_conn = shape
    s = build()
    org = s.provisions["A"].organisation
    provider = pf.user("provider", "staff@aire.example", organisation=org)
    provider_token, manager_token = issue_token(provider)[0], issue_token(s.manager)[0]
    db.session.commit()
    a, b = (n.start() for n in nodes)
    listing = s.provisions["A"]  # Leeds Construction: 2 places, 1 held by an accepted referral
    start = listing.intakes[0].start.isoformat()
    with_places = "q=construction&has_places=1"
    assert a.finds(with_places, listing.id) and b.finds(with_places, listing.id)

    # A change through node A shows in node B's search within a second.
    status, body = _call("PUT", f"{a.url}/api/v1/provisions/{listing.id}/intakes", provider_token,
                         {"intakes": [{"start": start, "places": 1, "rolling": False}]})
    assert status == 200, body
    assert _until(lambda: not b.finds(with_places, listing.id), 1.0) < 1.0

    # A node that was down shows what changed meanwhile, with no reindex.
    b.stop()
    status, body = _call("PUT", f"{a.url}/api/v1/provisions/{listing.id}/intakes", provider_token,
                         {"intakes": [{"start": start, "places": 6, "rolling": False}]})
    assert status == 200, body
    b.start()
    assert b.finds(with_places, listing.id)

    # An allocation run posted through node A runs on the worker; node B reports it to done.
    status, body = _call("POST", f"{a.url}/api/v1/allocation-runs", manager_token, {})
    assert status == 202, body
    job_id, status_url = body["id"], body["status_url"].replace(a.url, b.url)
    seen = []

    def done():
        code, report = _call("GET", status_url, manager_token)
        assert code == 200, report
        seen.append(report)
        return report["status"] in ("done", "failed")

    _until(done, 60)
    last = seen[-1]
    assert last["status"] == "done", (last, worker.poll())
    assert last["progress"] == 1.0 and last["needs"] == 6 and last["met"] + last["unmet"] == 6
    assert {r["status"] for r in seen} <= {"queued", "running", "done"}
    from rq.job import Job as RqJob

    # The worker ran it. RQ records "finished" just after the job's own last write (done), so
    # a loaded machine can show "started" for a moment: wait for it.
    rq_job = RqJob.fetch(f"broker-job-{job_id}", connection=redis_conn)
    _until(lambda: rq_job.get_status(refresh=True) == "finished", 10)
