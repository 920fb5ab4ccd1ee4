"""Starting a referral from a listing (its page or a search result): the PA chooses one of
their young people with an open need in the listing's category, and a start date, then
finishes on the same refer page as from the suggestions, so every check of sending applies."""
from __future__ import annotations

import datetime as dt

from broker.clients import services
from broker.clients.models import Client, ClientNeed
from broker.errors import InputError
from broker.taxonomy import category_label


def who_can_be_referred(user, provision) -> list[tuple[Client, ClientNeed, bool]]:
    """(young person, open need in the listing's category, consent to share in force) on the caseload, audited as listed."""
    rows = [(c, n) for c in services.caseload(user) for n in c.open_needs if n.category == provision.category]
    services.audit_listed(user, {c.id: c for c, _ in rows}.values())
    return [(c, n, services.consent_in_force(c.id, provision.organisation_id, "referral")) for c, n in rows]


def person_need_choices(rows) -> list[tuple[str, str]]:
    return [
        (f"{c.id}:{n.id}", f"{c.display_name}: {category_label(n.category).lower()} need recorded {n.recorded_on.strftime('%-d %b %Y')}"
                           + ("" if consent else " (no consent recorded to share with this provider)"))
        for c, n, consent in rows
    ]


def intake_choices(provision, today: dt.date) -> list[tuple[str, str]]:
    out = []
    for i in provision.upcoming_intakes(today):
        if i.places_left <= 0:
            continue
        when = f"Any day from {i.joinable_from(today).strftime('%-d %b %Y')}" if i.rolling else i.start.strftime("%-d %b %Y")
        out.append((str(i.id), f"{when} ({i.places_left} {'place' if i.places_left == 1 else 'places'} left)"))
    return out


def chosen(rows, person_need: str) -> tuple[Client, ClientNeed]:
    """The young person and need picked; one without consent is sent back to have it recorded first."""
    for c, n, consent in rows:
        if f"{c.id}:{n.id}" == person_need:
            if not consent:
                raise InputError("person_need", f"No consent recorded for sharing {c.display_name}'s details with this provider: record it on their record first")
            return c, n
    raise InputError("person_need", "Choose one of your young people with an open need of this kind")
