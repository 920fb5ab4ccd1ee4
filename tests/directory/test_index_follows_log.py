"""The search index follows the listing change log: nothing is lost when a process dies after
its commit, a missing or broken index is rebuilt, and nodes with their own indexes agree."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from broker import create_app
from broker.directory import index_sync
from broker.directory.models import Intake, ListingChange, Provision
from broker.extensions import db
from tests.conftest import app_config
from tests.directory import factories as f

FIXTURES = Path(__file__).parent / "oruk_fixtures"
ROOT = Path(__file__).resolve().parents[2]


def total(http, query="") -> int:
    res = http.get(f"/api/v1/provisions?per_page=1&{query}")
    assert res.status_code == 200, res.get_data(as_text=True)
    return res.get_json()["total"]


def names(http, query="") -> list[str]:
    res = http.get(f"/api/v1/provisions?{query}")
    assert res.status_code == 200, res.get_data(as_text=True)
    return [r["name"] for r in res.get_json()["results"]]


def log_rows() -> list[tuple]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(ListingChange.provision_id, ListingChange.organisation_id, ListingChange.everything).order_by(ListingChange.id))]


# --------------------------------------------------------------------------- the log is written with the change


def test_a_commit_logs_each_listing_it_changed_and_a_rollback_logs_nothing(app):
    p = f.provision("Joinery")
    assert log_rows() == [(p.id, None, False)]
    p.name = "Joinery and carpentry"
    db.session.rollback()
    assert log_rows() == [(p.id, None, False)]
    p.organisation.name = "Renamed Ltd"
    db.session.commit()
    assert log_rows()[-1] == (None, p.organisation_id, False)


def test_bulk_sql_logs_the_listings_it_touches(app):
    p = f.provision("Welding")
    db.session.execute(update(Intake).where(Intake.provision_id == p.id).values(places=0))
    index_sync.touch(db.session, [p.id])
    db.session.commit()
    assert log_rows() == [(p.id, None, False), (p.id, None, False)]


def test_a_bulk_load_logs_one_rebuild(app):
    with index_sync.paused(db.session):
        f.provision("Bulk one", commit=False)
        f.provision("Bulk two", commit=False)
    db.session.commit()  # after the block: the mark lasts until the transaction ends
    assert log_rows() == [(None, None, True)]


# --------------------------------------------------------------------------- a process killed right after its commit

KILL_AFTER_COMMIT = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import event
    from flask_sqlalchemy.session import Session
    # The harshest moment to die: the database has committed, nothing after it has run.
    # (after_commit also fires when a savepoint is released: only the outermost commit counts.)
    event.listen(Session, "after_commit",
                 lambda session: None if session.in_nested_transaction() else os.kill(os.getpid(), signal.SIGKILL))
    {body}
""")


def _run_killed(body: str, env: dict) -> None:
    script = KILL_AFTER_COMMIT.format(body=textwrap.dedent(body))
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == -9, out.stderr  # SIGKILL, right after the commit


def _env(database_url: str, index_dir: Path, tmp_path: Path) -> dict:
    env = dict(os.environ, BROKER_DATABASE_URL=database_url, BROKER_INDEX_DIR=str(index_dir),
               BROKER_INSTANCE_PATH=str(tmp_path / "instance"))
    env.pop("BROKER_REDIS_URL", None)
    return env


def test_init_killed_after_loading_the_demo_loses_nothing(app, client, database_url, tmp_path):
    index_dir = Path(app.config["BROKER_INDEX_DIR"])
    _run_killed("from broker.cli import main; main(['init'])", _env(database_url, index_dir, tmp_path))
    in_db = db.session.scalar(select(func.count()).select_from(Provision).where(Provision.status == "active"))
    assert in_db > 300
    assert not (index_dir / index_sync.POSITION_FILE).exists()  # it died before any indexing
    assert total(client) == in_db  # the first search caught up from the log


def test_import_killed_after_its_commit_loses_nothing(app, client, database_url, tmp_path):
    index_dir = Path(app.config["BROKER_INDEX_DIR"])
    assert total(client) == 0  # this node's index is current (and empty) before the import
    from tests.directory.test_oruk_places import feed  # one service the importer places with confidence

    _run_killed(f"from broker.cli import main; main(['import-oruk', {feed(tmp_path)!r}])",
                _env(database_url, index_dir, tmp_path))
    names = db.session.scalars(select(Provision.name)).all()
    assert len(names) == 1
    assert total(client) == 1
    assert total(client, "q=" + names[0].split()[0]) == 1


def test_bulk_change_killed_after_its_commit_loses_nothing(app, client, database_url, tmp_path):
    full = f.provision("Plastering", intakes=[dict(start_in=7, places=5)])
    other = f.provision("Tiling", intakes=[dict(start_in=7, places=5)])
    assert total(client, "has_places=1") == 2
    _run_killed(f"""
        from sqlalchemy import update
        from broker import create_app
        from broker.directory import index_sync
        from broker.directory.models import Intake
        from broker.extensions import db
        with create_app().app_context():
            db.session.execute(update(Intake).where(Intake.provision_id == {full.id}).values(places_taken=Intake.places))
            index_sync.touch(db.session, [{full.id}])
            db.session.commit()
    """, _env(database_url, Path(app.config["BROKER_INDEX_DIR"]), tmp_path))
    assert total(client, "has_places=1") == 1
    assert names(client, "has_places=1") == ["Tiling"]
    assert other.id


# --------------------------------------------------------------------------- missing or broken index


def test_a_deleted_index_directory_is_rebuilt_not_a_500(app, client):
    import shutil

    f.provision("Bricklaying")
    assert total(client, "q=bricklaying") == 1
    shutil.rmtree(app.config["BROKER_INDEX_DIR"])
    assert total(client, "q=bricklaying") == 1
    assert client.get("/?q=bricklaying").status_code == 200


def test_an_index_with_missing_files_is_rebuilt_not_a_500(app, client):
    f.provision("Roofing")
    f.provision("Roof repairs")
    assert total(client, "q=roof") == 2
    index_dir = Path(app.config["BROKER_INDEX_DIR"])
    for segment_file in index_dir.glob("*.seg"):
        segment_file.unlink()
    assert total(client, "q=roof") == 2
    assert index_sync.index_sound(str(index_dir))


def test_an_unreadable_position_or_another_databases_index_is_rebuilt(app, client):
    f.provision("Scaffolding")
    assert total(client, "q=scaffolding") == 1
    position = Path(app.config["BROKER_INDEX_DIR"]) / index_sync.POSITION_FILE
    position.write_text("{not json")
    assert total(client, "q=scaffolding") == 1
    text = position.read_text().replace(db.engine.url.render_as_string(hide_password=True), "sqlite:///elsewhere.db")
    position.write_text(text)
    db.session.execute(update(Provision).values(name="Scaffold towers"))
    db.session.commit()  # an ORM-invisible rename: only a rebuild from this database finds it
    assert total(client, "q=towers") == 1


def test_a_log_pruned_past_the_index_means_a_rebuild(app, client):
    p = f.provision("Glazing")
    assert total(client, "q=glazing") == 1
    position = Path(app.config["BROKER_INDEX_DIR"]) / index_sync.POSITION_FILE
    stopped_at = position.read_text()
    for n in range(3):
        p.name = f"Stained glass {n}"
        db.session.commit()
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    db.session.execute(update(ListingChange).values(changed_at=old))
    db.session.commit()
    assert index_sync.prune(db.session, keep_days=7) == 3  # all but the newest
    db.session.commit()
    position.write_text(stopped_at)  # as if this node had been down all along
    assert total(client, "q=glazing") == 0 and total(client, "q=stained") == 1


# --------------------------------------------------------------------------- gaps: commits out of id order


def test_an_id_committed_after_a_higher_one_is_still_applied(app, client):
    late, early = f.provision("Upholstery"), f.provision("Saddlery")
    assert total(client, "q=upholstery") == 1
    head = db.session.scalar(select(func.max(ListingChange.id)))
    # Id head+2 commits first; head+1 (taken earlier by a slower transaction) commits after it.
    db.session.execute(update(Provision).where(Provision.id == early.id).values(name="Saddlery and harness"))
    db.session.execute(insert(ListingChange).values(id=head + 2, provision_id=early.id, everything=False,
                                                    changed_at=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    assert total(client, "q=harness") == 1
    pos = index_sync.read_position(app.config["BROKER_INDEX_DIR"])
    assert pos.done == head and set(pos.seen) == {head + 2}  # head+1 is waited for
    db.session.execute(update(Provision).where(Provision.id == late.id).values(name="Upholstery and soft furnishing"))
    db.session.execute(insert(ListingChange).values(id=head + 1, provision_id=late.id, everything=False,
                                                    changed_at=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    assert total(client, "q=furnishing") == 1
    pos = index_sync.read_position(app.config["BROKER_INDEX_DIR"])
    assert pos.done == head + 2 and not pos.seen


def test_a_gap_that_never_fills_is_given_up_after_a_while():
    pos = index_sync.Position("db", done=10, seen={12: 1000.0, 13: 1000.0})
    assert not pos.advance(now=1000.0 + index_sync.GAP_SECONDS - 1) and pos.done == 10
    assert pos.advance(now=1000.0 + index_sync.GAP_SECONDS + 1)
    assert pos.done == 13 and not pos.seen
    fresh = index_sync.Position("db", done=10, seen={11: 5.0, 14: 5.0})
    fresh.advance(now=6.0)
    assert fresh.done == 11 and set(fresh.seen) == {14}


# --------------------------------------------------------------------------- several nodes, one database


def test_two_nodes_with_their_own_indexes_agree(app, database_url, tmp_path):
    nodes = [create_app(app_config(database_url, tmp_path / name, SERVER_NAME="broker.test")) for name in ("a", "b")]
    a, b = (n.test_client() for n in nodes)
    assert total(a) == total(b) == 0
    p = f.provision("Horticulture", intakes=[dict(start_in=7, places=2)])
    assert total(a, "q=horticulture") == total(b, "q=horticulture") == 1
    p.status = "withdrawn"
    db.session.commit()
    assert total(a, "q=horticulture") == total(b, "q=horticulture") == 0
    for n in nodes:
        with n.app_context():
            db.engine.dispose()


def test_the_follower_thread_keeps_an_idle_node_current(app, database_url, tmp_path):
    node = create_app(app_config(database_url, tmp_path / "idle", SERVER_NAME="broker.test"))
    stop = index_sync.follow(node, interval=0.1)
    f.provision("Beekeeping")
    index_dir = node.config["BROKER_INDEX_DIR"]
    head = db.session.scalar(select(func.max(ListingChange.id)))
    # On PostgreSQL an id skipped by an earlier test's rolled-back insert is waited for up to
    # 60 s (it may yet commit), so allow for that wait, not only for the thread's interval.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pos = index_sync.read_position(index_dir)
        if pos is not None and pos.done >= head:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the follower did not catch up within 90 s")
    from broker.directory import search

    assert search.search(index_dir, search.SearchQuery(text="beekeeping")).total == 1  # no query-time catch-up
    stop.set()
