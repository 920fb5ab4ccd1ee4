"""Seeing what each side sees: a user's API token and signed-in pages."""
from __future__ import annotations

import json

from tests.people import factories as pf


def api(client, user) -> dict:
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": pf.PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, user) -> None:
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


def provider_sees(client, provider, referral_id: int) -> dict[str, str]:
    """Everything a provider gets about a referral: both API answers, the referral page, the inbox and home."""
    headers = api(client, provider)
    listed = client.get("/api/v1/referrals", headers=headers)
    record = client.get(f"/api/v1/referrals/{referral_id}", headers=headers)
    sign_in(client, provider)
    page = client.get(f"/referrals/{referral_id}")
    inbox = client.get("/inbox")
    home = client.get("/")
    for resp in (listed, record, page, inbox, home):
        assert resp.status_code == 200, resp.status_code
    return {"api list": json.dumps(listed.get_json()), "api record": json.dumps(record.get_json()),
            "page": page.get_data(as_text=True), "inbox": inbox.get_data(as_text=True), "home": home.get_data(as_text=True),
            "record": record.get_json()}
