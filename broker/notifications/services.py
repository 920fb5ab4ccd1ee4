"""Telling users: in-app notices, each with an e-mail in the outbox when SMTP is configured."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import func, select, update

from broker.auth.models import User
from broker.extensions import db
from broker.notifications.models import MailOutbox, Notification

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def short_name(client) -> str:
    """How a notice names a young person: first name and initial, nothing more."""
    return f"{client.first_name} {client.last_name[:1]}.".strip() if client.last_name else client.first_name


def staff_of(organisation_id: int) -> list[User]:
    """The active provider staff of an organisation: whoever answers its referrals."""
    return list(db.session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.role == "provider", User.active.is_(True))
        .order_by(User.id)
    ))


def notify(users: Iterable[User], kind: str, subject: str, body: str = "", link: str = "",
           key: Optional[str] = None) -> list[Notification]:
    """Tell these users, in the current transaction: an in-app notice each, and an e-mail
    when SMTP is configured. With `key`, a user already told under that key is not told again.

    Subject and body must name a young person by `short_name` at most and carry nothing
    else personal: e-mail leaves the service. `link` is the page to act on (a path).
    """
    made: list[tuple[Notification, User]] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        if key is not None and db.session.scalar(
            select(Notification.id).where(Notification.user_id == user.id, Notification.key == key)
        ):
            continue
        note = Notification(user_id=user.id, kind=kind, subject=subject[:200], body=body, link=link, key=key,
                            created_at=_now())
        db.session.add(note)
        made.append((note, user))
    if made:
        db.session.flush()
        if current_app.config.get("BROKER_SMTP_URL"):
            from broker.notifications import mail

            for note, user in made:
                db.session.add(MailOutbox(notification_id=note.id, to_address=user.email, subject=note.subject,
                                          body=mail.text_of(note), created_at=_now()))
            mail.send_after_commit()
    return [note for note, _ in made]


# ---- The user's own list.

def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def for_user(user: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def mark_read(user: User, notification_id: Optional[int] = None) -> int:
    """Mark one of the user's notices read (or all of them); returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=_now()).execution_options(synchronize_session=False)).rowcount
