import datetime as dt

import pytest

from broker.casework.services import supervise
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf


@pytest.fixture
def team(app):
    """A lead supervising two PAs, and a PA outside the team, each with young people."""
    lead = pf.user("lead")
    pa1, pa2, outsider = pf.user("pa"), pf.user("pa"), pf.user("pa")
    supervise(lead, pa1)
    supervise(lead, pa2)
    db.session.commit()
    today = dt.date.today()
    overdue = pf.client(pa1, first_name="Ollie", last_name="Overdue", urgency=1, assessment_date=today - dt.timedelta(days=60),
                        review_date=today - dt.timedelta(days=3))
    complex_case = pf.client(pa2, first_name="Cara", last_name="Complex", urgency=3)
    theirs = pf.client(outsider, first_name="Nadia", last_name="Notours", urgency=3, assessment_date=today - dt.timedelta(days=60),
                       review_date=today - dt.timedelta(days=3))
    org = f.organisation("Aire Training Ltd")
    db.session.commit()
    return dict(lead=lead, pa1=pa1, pa2=pa2, outsider=outsider, overdue=overdue, complex=complex_case, theirs=theirs, org=org)


def sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


def token(client, user) -> dict:
    got = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD}).get_json()
    return {"Authorization": f"Bearer {got['token']}"}
