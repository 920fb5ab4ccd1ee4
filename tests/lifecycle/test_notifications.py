"""Nobody has to keep checking a screen: each side hears of the other's steps, in the app
and (with SMTP configured) by e-mail that names the young person by first name and initial."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from broker.extensions import db
from broker.jobs.due import run_due
from broker.notifications.models import MailOutbox, Notification
from broker.referrals import services as referrals
from tests.conftest import _wait_for_jobs
from tests.lifecycle.conftest import SmtpServer, build_world, send
from tests.people import factories as pf


def login(client, user):
    resp = client.post("/login", data={"email": user.email, "password": pf.PASSWORD})
    assert resp.status_code == 302


def kinds_for(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)))


@pytest.fixture
def world(app):
    return build_world()


def test_each_side_hears_of_the_others_steps_in_the_app(app, client, world):
    r = send(world)
    assert kinds_for(world["provider"]) == ["referral-sent"] and kinds_for(world["colleague"]) == ["referral-sent"]
    assert kinds_for(world["pa"]) == []
    assert db.session.scalar(select(func.count()).select_from(MailOutbox)) == 0  # no SMTP: in the app only

    referrals.answer(world["provider"], r, "more_info", message="Which days can they attend?")
    db.session.commit()
    assert kinds_for(world["pa"]) == ["referral-more-info"]
    referrals.pa_update(world["pa"], r, "reply", "Mondays and Wednesdays.")
    db.session.commit()
    assert kinds_for(world["provider"]) == ["referral-sent", "referral-reply"]
    referrals.answer(world["provider"], r, "decline", reason="capacity")
    db.session.commit()
    assert kinds_for(world["pa"]) == ["referral-more-info", "referral-declined"]
    declined = db.session.scalars(select(Notification).where(Notification.kind == "referral-declined")).one()
    assert "No places left" in declined.body and "Jordan S." in declined.subject and "Smithson" not in declined.subject


def test_header_counts_unread_and_the_list_marks_them_read(app, client, world):
    r = send(world)
    referrals.answer(world["provider"], r, "accept")
    db.session.commit()
    login(client, world["pa"])
    home = client.get("/home").get_data(as_text=True)
    assert 'id="header-notifications"' in home and '<span class="app-count">1</span>' in home

    page = client.get("/notifications").get_data(as_text=True)
    assert "Accepted: Jordan S.&#39;s referral" in page and "1 unread" in page
    note = db.session.scalars(select(Notification).where(Notification.user_id == world["pa"].id)).one()
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/referrals/{r.id}")
    assert '<span class="app-count">' not in client.get("/home").get_data(as_text=True)

    # Someone else's notice is not theirs to open or mark.
    other = db.session.scalars(select(Notification).where(Notification.user_id == world["provider"].id)).first()
    assert client.post(f"/notifications/{other.id}/read").status_code == 404
    assert client.post(f"/notifications/{other.id}/open").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, other.id).read_at is None


def test_notifications_over_the_api(app, client, world):
    send(world)
    token = client.post("/api/v1/auth/token", json={"email": world["provider"].email, "password": pf.PASSWORD}).get_json()["token"]
    body = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["unread"] == 1
    (n,) = body["notifications"]
    assert n["kind"] == "referral-sent" and n["read"] is False and n["link"].startswith("/referrals/")
    assert client.get("/api/v1/notifications").status_code == 401


def test_email_goes_by_smtp_after_commit_with_nothing_personal(mail_app, smtp):
    world = build_world()
    r = send(world)
    messages = smtp.inbox.wait_for(2)
    assert sorted(to for _, (to,), _ in messages) == sorted([world["provider"].email, world["colleague"].email])
    mail_from, _, text = messages[0]
    assert mail_from == "broker@test.example"
    assert "New referral: Jordan S. for Level 1 Construction" in text
    assert f"https://broker.test/referrals/{r.id}" in text
    for personal in ("Smithson", "LS9", "bricklaying", "Anxious"):  # surname, postcode, background, risks
        assert personal not in text
    db.session.expire_all()
    assert all(row.sent_at is not None for row in db.session.scalars(select(MailOutbox)))


def test_a_failed_smtp_server_loses_nothing_and_the_due_job_sends_later(mail_app, smtp_port):
    world = build_world()  # the SMTP server is not running yet
    r = send(world)
    _wait_for_jobs()  # the send-mail job queued by the commit has tried, and failed
    db.session.expire_all()
    rows = db.session.scalars(select(MailOutbox)).all()
    assert len(rows) == 2 and all(row.sent_at is None and row.last_error for row in rows)
    assert db.session.get(type(r), r.id).status == "sent"  # the referral itself stands

    server = SmtpServer(smtp_port).start()
    try:
        assert ("send-mail", "done", "2 sent, 0 failed") in run_due(["send-mail"], force=True)
        assert len(server.inbox.wait_for(2)) == 2
        assert ("send-mail", "done", "0 sent, 0 failed") in run_due(["send-mail"], force=True)  # nothing twice
        assert len(server.inbox.messages) == 2
    finally:
        server.stop()
