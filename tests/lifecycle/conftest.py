"""A referral world for the lifecycle tests, and a real SMTP server (aiosmtpd) in this process."""
from __future__ import annotations

import time

import pytest

from broker import create_app
from broker.extensions import db
from tests.conftest import _empty_tables, _wait_for_jobs, app_config
from tests.directory import factories as f
from tests.people import factories as pf
from tests.servers import free_port


class Inbox:
    """What the SMTP server received: (envelope sender, recipients, message text)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"

    def wait_for(self, n: int, timeout_s: float = 20.0):
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


class SmtpServer:
    def __init__(self, port: int):
        from aiosmtpd.controller import Controller

        self.port, self.inbox = port, Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp(smtp_port):
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(database_url, tmp_path, smtp_port):
    """The app with e-mail on, sending to the test SMTP server's port."""
    app = create_app(app_config(database_url, tmp_path, SERVER_NAME="broker.test", BROKER_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                                BROKER_MAIL_FROM="broker@test.example", BROKER_BASE_URL="https://broker.test"))
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        _wait_for_jobs()
        db.engine.dispose()


def build_world():
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, category="training", at=f.LS1,
                         intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa", email="pat.adviser@council.example")
    pa.phone, pa.team = "0113 496 0000", "East Leeds Youth Team"
    provider = pf.user("provider", organisation=org)
    colleague = pf.user("provider", organisation=org)
    yp = pf.client(pa, needs=["training"], first_name="Jordan", last_name="Smithson", consent_to=[org])
    db.session.commit()
    return dict(org=org, course=course, intake=course.intakes[0], pa=pa, provider=provider, colleague=colleague, yp=yp)


def send(world, summary="Left college in October; keen on bricklaying and wants a start soon."):
    from broker.referrals.services import send_referral

    r = send_referral(world["pa"], world["yp"], world["yp"].needs[0].id, world["intake"].id, summary)
    db.session.commit()
    return r
