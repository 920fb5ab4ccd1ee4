"""Replacing a listing's intakes again and again never trips over ids the database reuses,
and on SQLite an id once used never comes back for tables whose ids are named elsewhere."""
import datetime as dt

import pytest
from sqlalchemy import select, text

from broker.directory.models import Intake
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf
from tests.providers.test_listings import _org_token, form_for, login

TODAY = dt.date.today()


def _day(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def test_api_can_replace_the_last_intake_again_and_again(app, client):
    org = f.organisation("Aire Training Ltd")
    p = f.provision("Plastering course", org=org, intakes=[dict(start_in=30, places=4)])
    token = _org_token(client, pf.user("provider", organisation=org))
    headers = {"Authorization": f"Bearer {token}"}
    seen_ids = {i.id for i in p.intakes}
    for n in range(40, 80, 10):
        # Each replacement deletes the newest intake and adds one: SQLite would hand the new
        # row the deleted row's id.
        resp = client.put(f"/api/v1/provisions/{p.id}/intakes", headers=headers, json={"intakes": [{"start": _day(n), "places": 3}]})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        (intake,) = resp.get_json()["intakes"]
        assert intake["start"] == _day(n) and intake["places"] == 3
        (row,) = db.session.scalars(select(Intake).where(Intake.provision_id == p.id)).all()
        assert row.id not in seen_ids  # a new intake never takes an old one's id
        seen_ids.add(row.id)
        db.session.expire_all()


def test_edit_form_can_replace_the_last_intake_again_and_again(app, client):
    org = f.organisation("Aire Training Ltd")
    p = f.provision("Plastering course", org=org, intakes=[dict(start_in=30, places=4)])
    login(client, pf.user("provider", organisation=org))
    for n in range(40, 70, 10):
        resp = client.post(f"/provider/listings/{p.id}/edit", data=form_for(p, **{"intake-0-start": _day(n), "intake-0-places": "5"}))
        assert resp.status_code == 302, resp.get_data(as_text=True)
        db.session.expire_all()
        assert [(i.start.isoformat(), i.places) for i in p.intakes] == [(_day(n), 5)]


def test_sqlite_tables_whose_ids_are_named_elsewhere_are_autoincrement(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never reuse ids")
    protected = sorted(t.name for t in db.metadata.sorted_tables if t.kwargs.get("sqlite_autoincrement"))
    # The migrated schema, not only the models, must say so.
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    assert {"intake", "referral", "referral_event", "client", "api_token", "audit_event", "consent", "provision"} <= set(protected)
    assert [t for t in protected if "AUTOINCREMENT" not in rows[t]] == []
