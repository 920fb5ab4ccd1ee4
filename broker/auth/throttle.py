"""Per-account lockout with backoff after failed sign-ins, shared by every process.

After `BROKER_LOCKOUT_AFTER` failures in a row for one email address, sign-in with that
address is refused for 1 minute, then 2, 4, 8 ... up to `BROKER_LOCKOUT_MAX_MINUTES`
with each further failure; a successful sign-in starts the count again. Attempts while
locked are refused before the password is checked and do not lengthen the lock. The count
lives in the database (table sign_in_throttle), so several processes and machines share it
with or without Redis. The per-address limit (Flask-Limiter, on both sign-in routes) is
the other half: it slows one address trying many accounts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import Optional

from flask import current_app, has_request_context, request
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from broker import unit_of_work
from broker.audit import services as audit
from broker.auth.models import SignInThrottle, User
from broker.errors import DomainError
from broker.extensions import db


class SignInLocked(DomainError):
    """Too many failed sign-ins in a row for this address: 429, with Retry-After in seconds."""

    status, error = 429, "too_many_attempts"

    def __init__(self, field: str, message: str, retry_after: int):
        super().__init__(field, message)
        self.headers = {"Retry-After": str(retry_after)}


def _key(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    # SQLite hands back naive datetimes; every time here is UTC.
    return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


def lock_minutes(failures: int) -> float:
    """How long `failures` failures in a row lock the address (0: not locked)."""
    after = current_app.config["BROKER_LOCKOUT_AFTER"]
    if failures < after:
        return 0
    return min(2.0 ** (failures - after), current_app.config["BROKER_LOCKOUT_MAX_MINUTES"])


def refuse_if_locked(email: str) -> None:
    row = db.session.get(SignInThrottle, _key(email))
    until = _aware(row.locked_until) if row is not None else None
    if until is None or until <= _now():
        return
    wait = max(1, math.ceil((until - _now()).total_seconds() / 60))
    user = db.session.scalar(select(User).where(User.email == email))
    _audit(user, "sign_in_locked")
    raise SignInLocked(
        "email",
        f"too many failed sign-ins with this email address: try again in {wait} minute{'s' if wait != 1 else ''}, "
        "or ask an administrator to check the account",
        retry_after=int((until - _now()).total_seconds()) + 1,
    )


def count_failure(email: str, user: Optional[User]) -> None:
    """Count a failed sign-in, and audit it, in a write that survives the request's rollback."""
    key, now = _key(email), _now()
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]

    def write():
        # One atomic statement, so failures in several processes at once are all counted.
        stmt = dialect_insert(SignInThrottle).values(email_digest=key, failures=1, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["email_digest"],
            set_={"failures": SignInThrottle.failures + 1, "last_failure_at": now},
        ).returning(SignInThrottle.failures)
        failures = db.session.execute(stmt).scalar_one()
        minutes = lock_minutes(failures)
        if minutes:
            db.session.execute(
                update(SignInThrottle).where(SignInThrottle.email_digest == key)
                .values(locked_until=now + dt.timedelta(minutes=minutes))
            )

    unit_of_work.keep(write)
    _audit(user, "sign_in_failed")


def forget_failures(email: str) -> None:
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email_digest == _key(email)))


def _audit(user: Optional[User], action: str) -> None:
    # The account tried, if there is one; never the password, nor an address without an account.
    address = request.remote_addr if has_request_context() else None
    audit.record_denial(user, action, "account", user.id if user else None, address=address)
