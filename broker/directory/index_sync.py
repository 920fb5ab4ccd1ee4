"""The search index follows a change log written in the same transaction as each change.

Writing. Every flush notes which listings it touched (bulk SQL, which the ORM cannot
see, calls `touch()`); just before the transaction commits, one `listing_change` row per
listing goes into that same transaction. A change is committed with its log row or not
at all, so nothing depends on the process surviving its commit.

Following. Each index directory keeps, beside the Whoosh files, how far into the log it
has applied (`log_position.json`, written after the Whoosh commit: a crash in between only
means applying a few changes again, and reindexing a listing is idempotent). Before a
search, `ensure_current` asks the database one indexed question (the log's last id, and
how many rows lie past the position) and catches up when the answer differs from what
the index has applied; a background thread (`follow`) does the same twice a second, so
an idle node is current too and several nodes, each with its own index directory on one
database, agree within a second.

Gaps. Ids come from a sequence, and on PostgreSQL a transaction that took id 7 may commit
after one that took id 8. The position is therefore `done` (every id up to it applied or
given up) plus `seen` (ids above it already applied, with when each was first seen). An
id missing below a seen one is waited for GAP_SECONDS, then given up: log rows are
inserted at commit time, so a straggler commits within milliseconds, and an id that
never appears belonged to a rolled-back transaction.

Rebuilds. A missing, unreadable or foreign index (built from another database), a log
pruned or reset past the position, a bulk load (`paused`) or a long backlog rebuild the
whole index. Every writer of one index directory takes its lock file first, so changes
are applied in log order and a slow process never writes older rows over newer ones.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import bindparam, delete, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from broker.directory import search
from broker.directory.models import Intake, ListingChange, Location, Organisation, Provision
from broker.errors import DomainError

log = logging.getLogger(__name__)

GAP_SECONDS = 60.0
REBUILD_BACKLOG = 2000  # more changes than this to apply: a full rebuild is quicker
REBUILD_WINDOW = 1000  # ids below the head a rebuild still watches for stragglers
LOCK_WAIT_S = 30.0
FOLLOW_SECONDS = 0.5
POSITION_FILE = "log_position.json"
LOCK_FILE = ".catch-up.lock"
_KEEP = {POSITION_FILE, LOCK_FILE}

_PIDS, _ORGS, _BULK, _LOGGED = "listing_changes", "organisation_changes", "listing_changes_bulk", "listing_changes_logged"


# --------------------------------------------------------------------------- writing the log


def touch(session: Session, provision_ids) -> None:
    """Log these listings as changed in the session's transaction (for bulk SQL the ORM cannot see)."""
    session.info.setdefault(_PIDS, set()).update(provision_ids)


@contextmanager
def paused(session: Session):
    """A bulk load: log one 'rebuild everything' change instead of one per listing.

    The mark lasts until the transaction ends, so a commit after the block still logs it.
    """
    session.info[_BULK] = True
    yield


def _after_flush(session, flush_context):
    if session.info.get(_BULK):
        return
    pids, orgs = session.info.setdefault(_PIDS, set()), session.info.setdefault(_ORGS, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Provision):
            pids.add(obj.id)
        elif isinstance(obj, (Intake, Location)):
            pids.add(obj.provision_id)
        elif isinstance(obj, Organisation) and obj not in session.new:  # a new one's listings are logged themselves
            orgs.add(obj.id)


def _before_commit(session):
    session.flush()  # the last changes, so after_flush has noted them
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    if session.info.pop(_BULK, False):
        rows.append(dict(provision_id=None, organisation_id=None, everything=True, changed_at=now))
    rows += [dict(provision_id=p, organisation_id=None, everything=False, changed_at=now)
             for p in sorted(session.info.pop(_PIDS, set()) - {None})]
    rows += [dict(provision_id=None, organisation_id=o, everything=False, changed_at=now)
             for o in sorted(session.info.pop(_ORGS, set()) - {None})]
    if rows:
        session.execute(insert(ListingChange), rows)
        session.info[_LOGGED] = True


def _after_commit(session):
    if session.info.pop(_LOGGED, False):
        _checked_at.clear()  # the next query here checks again, so it sees this change
        _wake.set()  # this process's follower applies it now rather than at its next tick


def _after_transaction_end(session, transaction):
    if transaction.parent is None:  # the outermost transaction: committed (logged) or rolled back
        for key in (_PIDS, _ORGS, _BULK, _LOGGED):
            session.info.pop(key, None)


def install() -> None:
    """Listen on every Flask-SQLAlchemy session; safe to call more than once."""
    for name, fn in (("after_flush", _after_flush), ("before_commit", _before_commit),
                     ("after_commit", _after_commit), ("after_transaction_end", _after_transaction_end)):
        if not event.contains(FlaskSession, name, fn):
            event.listen(FlaskSession, name, fn)


def prune(session: Session, keep_days: int) -> int:
    """Delete log rows older than keep_days; returns how many.

    The newest row is always kept, so an index whose position lies below the oldest row
    left knows the log was pruned past it (and rebuilds).
    """
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=keep_days)
    keep_from = session.scalar(select(func.min(ListingChange.id)).where(ListingChange.changed_at >= cutoff))
    if keep_from is None:
        keep_from = session.scalar(select(func.max(ListingChange.id)))
    if keep_from is None:
        return 0
    return session.execute(delete(ListingChange).where(ListingChange.id < keep_from)).rowcount


# --------------------------------------------------------------------------- the index's position


@dataclass
class Position:
    """How far into the log an index has applied (see the module docstring)."""

    database: str
    done: int = 0
    seen: dict[int, float] = field(default_factory=dict)

    def advance(self, now: float) -> bool:
        """Move `done` over applied ids and over gaps waited for long enough; True if it moved."""
        ids = sorted(self.seen)
        oldest_from = [0.0] * len(ids)  # oldest first-seen time among ids[j:]
        low = float("inf")
        for j in range(len(ids) - 1, -1, -1):
            low = min(low, self.seen[ids[j]])
            oldest_from[j] = low
        moved = False
        for j, i in enumerate(ids):
            if i != self.done + 1 and oldest_from[j] > now - GAP_SECONDS:
                break  # ids done+1 .. i-1 may still commit
            self.done = i
            del self.seen[i]
            moved = True
        return moved

    def waiting_since(self) -> Optional[float]:
        return min(self.seen.values()) if self.seen else None


_positions: dict[str, tuple[tuple, Position]] = {}


def read_position(index_dir: str, fresh: bool = False) -> Optional[Position]:
    """The position stored with the index, or None if there is none (or it cannot be read).

    Cached per process until the file changes (it is replaced, never rewritten in place).
    """
    path = os.path.join(index_dir, POSITION_FILE)
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _positions.get(index_dir)
    if cached and cached[0] == key and not fresh:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        pos = Position(str(data["database"]), int(data["done"]), {int(k): float(v) for k, v in data["seen"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    _positions[index_dir] = (key, pos)
    return Position(pos.database, pos.done, dict(pos.seen)) if fresh else pos


def _write_position(index_dir: str, pos: Position) -> None:
    path = os.path.join(index_dir, POSITION_FILE)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"database": pos.database, "done": pos.done, "seen": {str(k): v for k, v in pos.seen.items()}}, fh)
    os.replace(tmp, path)  # atomic: readers see the old position or the new one


def _identity(bind) -> str:
    """Which database an index was built from, so an index never follows another database's log."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


_CHECK = select(  # built once; two index lookups on the log's primary key
    select(func.max(ListingChange.id)).scalar_subquery(),
    select(func.count(ListingChange.id)).where(ListingChange.id > bindparam("done")).scalar_subquery(),
)


def _behind(session: Session, index_dir: str) -> bool:
    """The cheap check: one query on the log's primary key against the stored position."""
    pos = read_position(index_dir)
    if pos is None or pos.database != _identity(session.get_bind()):
        return True
    head, past = session.execute(_CHECK, {"done": pos.done}).one()
    if head is None:
        return bool(pos.done or pos.seen)
    if head < pos.done or past != len(pos.seen):
        return True
    waiting = pos.waiting_since()
    return waiting is not None and waiting < time.time() - GAP_SECONDS


# --------------------------------------------------------------------------- catching up


@contextmanager
def _locked(index_dir: str, wait: float):
    """Hold the index directory's catch-up lock (yields False if it stayed busy for `wait` s)."""
    os.makedirs(index_dir, exist_ok=True)
    fh = open(os.path.join(index_dir, LOCK_FILE), "a+")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.02)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def catch_up(index_dir: str, engine: Engine, wait: float = LOCK_WAIT_S, progress=None) -> Optional[str]:
    """Apply the change log to the index in index_dir.

    Returns what it did ("current", "applied N changes", "rebuilt: <why>"), or None when
    another process held the index for longer than `wait` seconds.
    """
    with _locked(index_dir, wait) as held:
        if not held:
            return None
        with Session(engine) as s:
            try:
                return _catch_up_locked(index_dir, s, progress)
            except Exception:  # noqa: BLE001 - a broken index is rebuilt, never left broken
                log.exception("catching up the search index in %s failed; rebuilding it", index_dir)
                s.rollback()
                return _rebuild_locked(index_dir, s, "the index could not be updated", progress)


def rebuild(index_dir: str, engine: Engine, progress=None) -> int:
    """Rebuild the whole index from the database; returns the number of documents."""
    with _locked(index_dir, LOCK_WAIT_S * 20) as held:
        if not held:
            raise DomainError(None, "another process has held the search index for 10 minutes", status=503,
                              error="index_busy")
        with Session(engine) as s:
            return _rebuild(index_dir, s, progress)


def _catch_up_locked(index_dir: str, s: Session, progress) -> str:
    pos = read_position(index_dir, fresh=True)
    if pos is None:
        return _rebuild_locked(index_dir, s, "no position stored with the index", progress)
    if pos.database != _identity(s.get_bind()):
        return _rebuild_locked(index_dir, s, "the index was built from another database", progress)
    lo, hi = s.execute(select(func.min(ListingChange.id), func.max(ListingChange.id))).one()
    if hi is None:
        if pos.done or pos.seen:
            return _rebuild_locked(index_dir, s, "the change log was emptied", progress)
        return "current"
    if hi < pos.done:
        return _rebuild_locked(index_dir, s, "the change log was reset", progress)
    if pos.done + 1 < lo:
        return _rebuild_locked(index_dir, s, "the change log was pruned past the index", progress)
    rows = s.execute(
        select(ListingChange.id, ListingChange.provision_id, ListingChange.organisation_id, ListingChange.everything)
        .where(ListingChange.id > pos.done).order_by(ListingChange.id)
    ).all()
    new = [r for r in rows if r.id not in pos.seen]
    if any(r.everything for r in new):
        return _rebuild_locked(index_dir, s, "a bulk load", progress)
    if len(new) > REBUILD_BACKLOG:
        return _rebuild_locked(index_dir, s, f"{len(new)} changes behind", progress)
    now = time.time()
    if new:
        _reindex(s, index_dir, {r.provision_id for r in new} - {None}, {r.organisation_id for r in new} - {None})
        pos.seen.update({r.id: now for r in new})
    if pos.advance(now) or new:
        _write_position(index_dir, pos)
    return f"applied {len(new)} changes" if new else "current"


def _reindex(s: Session, index_dir: str, pids: set[int], org_ids: set[int]) -> None:
    """Rewrite the index documents of these listings (and of every listing of these organisations)."""
    if org_ids:
        pids = pids | set(s.scalars(select(Provision.id).where(Provision.organisation_id.in_(org_ids))))
    found = s.scalars(
        select(Provision).where(Provision.id.in_(pids))
        .options(selectinload(Provision.locations), selectinload(Provision.intakes), selectinload(Provision.organisation))
    ).all()
    search.update_provisions(index_dir, found, pids - {p.id for p in found})


def _rebuild_locked(index_dir: str, s: Session, why: str, progress) -> str:
    log.warning("rebuilding the search index in %s: %s", index_dir, why)
    docs = _rebuild(index_dir, s, progress)
    return f"rebuilt ({why}): {docs} documents"


def _rebuild(index_dir: str, s: Session, progress) -> int:
    # Read the log's head first: whatever those rows changed is visible to the reads below.
    lo, hi = s.execute(select(func.min(ListingChange.id), func.max(ListingChange.id))).one()
    done = max((hi or 0) - REBUILD_WINDOW, (lo or 1) - 1, 0)
    recent = s.scalars(select(ListingChange.id).where(ListingChange.id > done)).all()
    search.forget_index(index_dir)
    if not index_sound(index_dir):
        _clear(index_dir)
    stmt = (select(Provision)
            .options(selectinload(Provision.locations), selectinload(Provision.intakes), selectinload(Provision.organisation))
            .execution_options(yield_per=1000))
    docs = search.rebuild(index_dir, s.scalars(stmt), progress)
    now = time.time()
    pos = Position(_identity(s.get_bind()), done, {i: now for i in recent})
    pos.advance(now)
    _write_position(index_dir, pos)
    return docs


def index_sound(index_dir: str) -> bool:
    """Whether the Whoosh index in index_dir opens and every segment's files can be read."""
    from whoosh import index as whoosh_index

    try:
        if not whoosh_index.exists_in(index_dir):
            return False
        ix = whoosh_index.open_dir(index_dir)  # not the cached handle: the files as they are now
        with ix.searcher() as searcher:
            for leaf, _ in searcher.reader().leaf_readers():
                for _fields in leaf.all_stored_fields():
                    pass
                for name in ix.schema.names():
                    f = ix.schema[name]
                    if f.column_type is not None:
                        leaf.column_reader(name)[0] if leaf.doc_count_all() else None
                    if f.indexed:
                        next(iter(leaf.lexicon(name)), None)
        return True
    except Exception:  # noqa: BLE001 - any failure to read means it must be rebuilt
        return False


def _clear(index_dir: str) -> None:
    """Remove the index files (keeping the lock we hold) so a fresh index can be created."""
    search.forget_index(index_dir)
    for name in os.listdir(index_dir):
        if name in _KEEP:
            continue
        path = os.path.join(index_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)


# --------------------------------------------------------------------------- searching


# A check answered "current" this recently is trusted for the next query in this process,
# unless this process has since committed a change (read-your-writes stays exact).
FRESH_S = 0.1
_checked_at: dict[str, float] = {}


def ensure_current(index_dir: str, session: Session, engine: Engine) -> None:
    """Catch the index up with the change log if the cheap check says it is behind."""
    if time.monotonic() - _checked_at.get(index_dir, -FRESH_S) < FRESH_S:
        return
    if not _behind(session, index_dir):
        _checked_at[index_dir] = time.monotonic()
        return
    if catch_up(index_dir, engine) is None and read_position(index_dir) is None:
        raise DomainError(None, "The search index is being rebuilt; try again in a minute.", status=503,
                          error="index_rebuilding")


def search_current(sq: search.SearchQuery) -> search.SearchPage:
    """Search the index after catching it up; an index found broken is rebuilt, not a 500."""
    from broker.extensions import db

    index_dir = current_app.config["BROKER_INDEX_DIR"]
    ensure_current(index_dir, db.session, db.engine)
    try:
        return search.search(index_dir, sq)
    except Exception:
        search.forget_index(index_dir)
        if index_sound(index_dir):
            raise  # the index is fine: a fault in the search itself
        log.exception("the search index in %s is broken; rebuilding it", index_dir)
        with _locked(index_dir, LOCK_WAIT_S) as held:
            if held and not index_sound(index_dir):
                with Session(db.engine) as s:
                    _rebuild_locked(index_dir, s, "the index could not be read", None)
        return search.search(index_dir, sq)


# --------------------------------------------------------------------------- following in the background

_wake = threading.Event()
_followers: dict[tuple[int, str], threading.Event] = {}
_followers_lock = threading.Lock()


def follow(app, interval: float = FOLLOW_SECONDS) -> threading.Event:
    """Keep app's index current from a daemon thread of this process (one per process and
    index); returns the event that stops it."""
    index_dir = app.config["BROKER_INDEX_DIR"]
    key = (os.getpid(), index_dir)
    with _followers_lock:
        if key in _followers:
            return _followers[key]
        stop = _followers[key] = threading.Event()
    threading.Thread(target=_follow, args=(app, index_dir, interval, stop), name="index-follower", daemon=True).start()
    return stop


def _follow(app, index_dir: str, interval: float, stop: threading.Event) -> None:
    from broker.extensions import db

    with app.app_context():
        while not stop.is_set():
            _wake.wait(interval)
            _wake.clear()
            try:
                with Session(db.engine) as s:
                    behind = _behind(s, index_dir)
                if behind:
                    catch_up(index_dir, db.engine, wait=interval)
            except Exception:  # noqa: BLE001 - keep following; the next query checks again
                log.exception("index follower: catching up %s failed", index_dir)
                stop.wait(5)
    with _followers_lock:
        _followers.pop((os.getpid(), index_dir), None)
