"""Fixtures: a real database (SQLite by default, PostgreSQL when BROKER_TEST_DATABASE_URL
says so), migrated once per run, emptied before each test; a fresh search index per test.

Run in parallel (`pytest -n 2`, pytest-xdist), each worker gets a database and a Redis
database of its own: PostgreSQL `<name>_gw1` beside `<name>` (created when missing), and
Redis `BROKER_TEST_REDIS_URL`'s number plus the worker's (10 plus it when unset), so that
workers never empty each other's data. Test modules read these variables when imported,
which is after this file."""
from __future__ import annotations

import os

import pytest
from cachelib import FileSystemCache
from sqlalchemy import create_engine, text

from broker import create_app
from broker.extensions import db

TEST_DB_ENV = "BROKER_TEST_DATABASE_URL"
TEST_REDIS_ENV = "BROKER_TEST_REDIS_URL"


def _own_databases_per_worker() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... under pytest-xdist
    # Test modules import this file a second time (as tests.conftest): move to the worker's
    # own databases only once, or gw1 would take `<name>_gw1_gw1` and Redis number + 2.
    if not worker or os.environ.get("BROKER_TEST_WORKER_DATABASES") == worker:
        return
    os.environ["BROKER_TEST_WORKER_DATABASES"] = worker
    n = int(worker.removeprefix("gw"))
    base_redis = os.environ.get(TEST_REDIS_ENV, "redis://127.0.0.1:6379/10")
    stem, _, number = base_redis.rpartition("/")
    os.environ[TEST_REDIS_ENV] = f"{stem}/{int(number or 0) + n}"
    url = os.environ.get(TEST_DB_ENV)
    if url and url.startswith("postgresql") and n:
        from sqlalchemy.engine import make_url

        base = make_url(url)
        mine = base.set(database=f"{base.database}_{worker}")
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": mine.database}):
                conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
        engine.dispose()
        os.environ[TEST_DB_ENV] = mine.render_as_string(hide_password=False)


_own_databases_per_worker()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get(TEST_DB_ENV)
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated to the latest schema through the real migrations."""
    url = _database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BROKER_INDEX_DIR": str(tmp_path_factory.mktemp("ix"))})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def app_config(database_url, tmp_path, **overrides) -> dict:
    """The configuration every test app shares; CSRF is tested on its own (tests/auth)."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BROKER_INDEX_DIR": str(tmp_path / "index"),
        "SESSION_CACHELIB": FileSystemCache(str(tmp_path / "sessions")),
        "WTF_CSRF_ENABLED": False,
        "BROKER_PASSWORD_PROFILE": "CHEAPEST",  # argon2id still, at test speed
        **overrides,
    }


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, SERVER_NAME="broker.test"))
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        _wait_for_jobs()
        db.engine.dispose()


def _wait_for_jobs(timeout_s: float = 120.0) -> None:
    # Jobs run in a thread of the app without Redis: let them finish before the next test empties the tables.
    import time

    from broker.jobs.models import Job

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if not conn.scalar(db.select(db.func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))):
                return
        time.sleep(0.05)


def _empty_tables():
    # Children first, so foreign keys never block the delete.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()
