"""Sending the outbox by SMTP (Flask-Mailman), after the transaction that wrote it commits.

`notify` writes each e-mail as an outbox row beside its notice and queues one "send-mail"
job for the transaction (broker.jobs: it runs only once that transaction commits); the
`send-mail` due job sends whatever is still unsent every minute, so a failed or slow SMTP
server delays mail but never loses it or half-writes a change. Each row is claimed with a
conditional UPDATE before it is sent, so two senders never send it twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import or_, select, update

from broker.extensions import db
from broker.jobs import due_job, enqueue, job_kind
from broker.notifications.models import MailOutbox, Notification

log = logging.getLogger(__name__)

CLAIM_FOR = dt.timedelta(minutes=5)  # a sender that died mid-send: its rows are retried after this
_QUEUED = "send_mail_queued"


def smtp_settings(url: str) -> dict:
    """Flask-Mailman's settings from BROKER_SMTP_URL: smtp://[user:pass@]host:port
    (smtp+starttls:// upgrades the connection; smtps:// is TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError("BROKER_SMTP_URL must look like smtp://host:port")
    return {
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "MAIL_USE_SSL": parts.scheme == "smtps",
        "MAIL_USE_TLS": parts.scheme == "smtp+starttls",
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_TIMEOUT": 10,
        # Always the real server: Flask-Mailman would keep mail in memory under TESTING.
        "MAIL_BACKEND": "smtp",
    }


def init_app(app) -> None:
    from flask_mailman import Mail

    url = app.config.get("BROKER_SMTP_URL")
    if url:
        app.config.update(smtp_settings(url))
        app.config.setdefault("MAIL_DEFAULT_SENDER", app.config.get("BROKER_MAIL_FROM"))
    Mail(app)


def text_of(note: Notification) -> str:
    base = (current_app.config.get("BROKER_BASE_URL") or "").rstrip("/")
    parts = [note.body]
    if note.link:
        parts.append(f"Open it here: {base}{note.link}")
    parts.append(f"All your notifications: {base}/notifications")
    return "\n\n".join(p for p in parts if p)


def send_after_commit() -> None:
    """Queue one sending job for this transaction's e-mails (it starts after commit)."""
    if not db.session.info.get(_QUEUED):
        db.session.info[_QUEUED] = True
        enqueue("send-mail")


def _forget_flag(session, *args):
    session.info.pop(_QUEUED, None)


def install() -> None:
    from flask_sqlalchemy.session import Session as FlaskSession
    from sqlalchemy import event

    for name in ("after_commit", "after_rollback"):
        if not event.contains(FlaskSession, name, _forget_flag):
            event.listen(FlaskSession, name, _forget_flag)


def send_pending(limit: int = 200) -> tuple[int, int]:
    """Send unsent e-mails, oldest first; returns (sent, failed). Commits per e-mail."""
    if not current_app.config.get("BROKER_SMTP_URL"):
        return 0, 0
    from flask_mailman import EmailMessage

    now = dt.datetime.now(dt.timezone.utc)
    ids = list(db.session.scalars(
        select(MailOutbox.id).where(MailOutbox.sent_at.is_(None),
                                    or_(MailOutbox.claimed_at.is_(None), MailOutbox.claimed_at < now - CLAIM_FOR))
        .order_by(MailOutbox.id).limit(limit)
    ))
    db.session.commit()
    sent = failed = 0
    connection = None
    try:
        for row_id in ids:
            claimed = db.session.execute(
                update(MailOutbox).where(MailOutbox.id == row_id, MailOutbox.sent_at.is_(None),
                                         or_(MailOutbox.claimed_at.is_(None), MailOutbox.claimed_at < now - CLAIM_FOR))
                .values(claimed_at=dt.datetime.now(dt.timezone.utc), attempts=MailOutbox.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            if claimed != 1:
                continue  # another sender has it
            row = db.session.get(MailOutbox, row_id)
            try:
                if connection is None:
                    connection = _open_connection()
                EmailMessage(row.subject, row.body, current_app.config.get("BROKER_MAIL_FROM"), [row.to_address],
                             connection=connection).send()
            except Exception as exc:  # noqa: BLE001 - the row stays unsent; the next run retries it
                log.warning("could not send e-mail %s: %s", row_id, exc)
                row.claimed_at, row.last_error = None, f"{type(exc).__name__}: {exc}"[:2000]
                db.session.commit()
                failed += 1
                connection = None
                continue
            row.sent_at, row.last_error = dt.datetime.now(dt.timezone.utc), ""
            db.session.commit()
            sent += 1
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
    return sent, failed


def _open_connection():
    from flask_mailman import Mail  # noqa: F401  (the extension is on the app)

    mail = current_app.extensions["mailman"]
    connection = mail.get_connection(fail_silently=False)
    connection.open()
    return connection


@job_kind("send-mail", title="Send e-mail notifications", roles=("admin",))
def send_mail_job(ctx) -> dict:
    sent, failed = send_pending()
    return {"sent": sent, "failed": failed}


@due_job("send-mail", every=dt.timedelta(minutes=1), title="Send e-mail notifications still in the outbox")
def send_mail_due() -> str:
    sent, failed = send_pending()
    return f"{sent} sent, {failed} failed"
