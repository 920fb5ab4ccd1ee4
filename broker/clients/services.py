"""Client records: who may see them, creating and changing them, needs and consent.

Every read and write of a client record is audited here, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from broker.audit import services as audit
from broker.councils import COUNCIL_CODES
from broker.taxonomy import CRITERIA
from broker.auth.models import User
from broker.clients.models import (
    CONSENT_PURPOSES, NEED_STATUSES, Client, ClientNeed, ClientPreference, ClientShare, Consent, ShareRequest,
)
from broker.directory.models import Organisation, Provision
from broker.errors import Conflict, InputError, NotFound
from broker.extensions import db
from broker.inputs import check_date, check_id
from broker.geography import Place, UnknownPlace, normalise_postcode, resolve_place

Consent_ = aliased(Consent)  # the decision itself, beside newer ones for the same agency and purpose

CLIENT_FIELDS = (
    "first_name", "last_name", "date_of_birth", "home_postcode", "available_from", "urgency",
    "max_travel_km", "assessment_date", "review_date", "summary", "risks", "complex_needs", "area", "criteria",
)


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _shared_ids(user: User):
    return select(ClientShare.client_id).where(ClientShare.user_id == user.id)


def caseload(user: User) -> list[Client]:
    """The PA's own clients and those explicitly shared with them; a team lead's PAs' clients."""
    if user.role not in ("pa", "lead"):
        return []
    return list(
        db.session.scalars(
            select(Client).where(visible_to(user)).order_by(Client.urgency.desc(), Client.last_name)
        )
    )


def referral_counts(client_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per client, how many referrals are in each status (one query for a whole caseload)."""
    from broker.referrals.models import Referral  # referrals build on clients: import here, not at the top

    rows = db.session.execute(
        select(Referral.client_id, Referral.status, func.count())
        .where(Referral.client_id.in_(client_ids))
        .group_by(Referral.client_id, Referral.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for client_id, status, n in rows:
        counts.setdefault(client_id, {})[status] = n
    return counts


def can_see(user: User, client: Client) -> bool:
    if user.role == "lead":
        from broker.casework.services import supervises

        return supervises(user, client.pa_id)
    if user.role != "pa":
        return False
    if client.pa_id == user.id:
        return True
    return db.session.scalar(
        select(ClientShare.id).where(ClientShare.client_id == client.id, ClientShare.user_id == user.id)
    ) is not None


def audit_listed(user: User, clients) -> None:
    """Every young person a list shows (caseload, home page, API) is audited as listed."""
    for c in clients:
        audit.record(user, "list", "client", c.id, c.id)


def list_caseload(user: User) -> list[Client]:
    """The whole caseload as the API gives it, audited."""
    rows = caseload(user)
    audit_listed(user, rows)
    return rows


def client_for(user: User, client_id: int, action: str = "view") -> Client:
    """The client record if this user may see it (audited), else 404: others' records are
    not revealed. The attempt is audited either way."""
    client = db.session.get(Client, client_id)
    if client is None or not can_see(user, client):
        audit.record_denial(user, action, "client", client_id, client.id if client else None,
                            reason="no such record" if client is None else "not theirs to see")
        raise NotFound("client_id", f"no young person {client_id} on your caseload")
    audit.record(user, action, "client", client.id, client.id)
    return client


MIN_AGE, MAX_AGE = 10, 25


def check_record(data: dict, today: dt.date | None = None) -> Optional[Place]:
    """The record's rules for every channel (form, API, demo): a UK postcode we can place, an
    age this service is for, a review on or after the assessment. Returns the home's place."""
    today = today or dt.date.today()
    place = None
    if data.get("home_postcode") is not None:
        try:
            data["home_postcode"] = normalise_postcode(data["home_postcode"])
            place = resolve_place(data["home_postcode"])
        except (ValueError, UnknownPlace):
            raise InputError("home_postcode", "Enter a full UK postcode, like LS9 8AB") from None
    born = data.get("date_of_birth")
    if born is not None:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if not MIN_AGE <= age <= MAX_AGE:
            raise InputError(
                "date_of_birth",
                f"Gives an age of {age}; this service is for young people aged 13 to 19 (up to 25 with SEND)",
            )
    for name in ("date_of_birth", "available_from", "assessment_date", "review_date"):
        if data.get(name) is not None:
            check_date(data[name], name)
    if "area" in data and not data["area"]:
        data["area"] = None  # the form's "where their home postcode is"
    if data.get("area") is not None and data["area"] not in COUNCIL_CODES:
        raise InputError("area", f"Choose a council: {', '.join(sorted(COUNCIL_CODES))}, or leave it empty to use the home postcode's")
    if data.get("criteria") is not None:
        unknown = [c for c in data["criteria"] if c not in CRITERIA]
        if not isinstance(data["criteria"], (list, tuple)) or unknown:
            raise InputError("criteria", f"Choose from: {', '.join(CRITERIA)}")
        data["criteria"] = sorted(set(data["criteria"]))
    assessed, review = data.get("assessment_date"), data.get("review_date")
    if assessed and review and review < assessed:
        raise InputError("review_date", "Review date must be on or after the assessment date")
    return place


def _apply(client: Client, data: dict) -> dict:
    place = check_record(data)
    changed = {}
    for name in CLIENT_FIELDS:
        if name in data:
            value = data[name]
            if name == "urgency":
                value = int(value)
            elif name == "complex_needs":
                value = bool(value)
            if getattr(client, name) != value:
                changed[name] = True  # which fields changed, never their values (they are personal)
                setattr(client, name, value)
    if place is not None:
        client.lat, client.lon = place.lat, place.lon
    return changed


def _same_person(first_name: str, last_name: str, born: dt.date):
    """Records with this name (any case, spaces trimmed) and date of birth, on anyone's caseload."""
    return select(Client).where(
        func.lower(Client.first_name) == (first_name or "").strip().lower(),
        func.lower(Client.last_name) == (last_name or "").strip().lower(),
        Client.date_of_birth == born,
    ).order_by(Client.id)


def create_client(user: User, data: dict) -> Client:
    """A new record. One with the name and date of birth of an existing record (anyone's) is
    refused as a possible duplicate, without saying whose or which, unless `confirm_new`."""
    data = dict(data)
    confirm_new = bool(data.pop("confirm_new", False))
    client = Client(pa_id=user.id, summary="", risks="")
    check_record(data)
    if not confirm_new and data.get("date_of_birth"):
        match = db.session.scalars(_same_person(data.get("first_name"), data.get("last_name"), data["date_of_birth"])).first()
        if match is not None:
            audit.record_denial(user, "create", "client", None, match.id, reason="possible duplicate")
            raise Conflict(
                "confirm_new",
                "A record with this name and date of birth already exists. If it is the same young person, ask their "
                "Personal Adviser to share it with you; if not, confirm this is a new record",
                error="possible_duplicate",
            )
    _apply(client, data)
    db.session.add(client)
    db.session.flush()
    if data.get("preferences") is not None:
        _set_preferences(client, data["preferences"])
    audit.record(user, "create", "client", client.id, client.id)
    return client


def update_client(user: User, client: Client, data: dict) -> Client:
    changed = _apply(client, data)
    if data.get("preferences") is not None and _set_preferences(client, data["preferences"]):
        changed["preferences"] = True
    audit.record(user, "update", "client", client.id, client.id, fields=sorted(changed))
    return client


def _set_preferences(client: Client, provision_ids: list[int]) -> bool:
    """The young person's own ranking of listings, best first; True if it changed."""
    if len(set(provision_ids)) != len(provision_ids):
        raise InputError("preferences", "name each listing once, best first")
    found = set(db.session.scalars(select(Provision.id).where(Provision.id.in_(provision_ids)))) if provision_ids else set()
    for n, pid in enumerate(provision_ids):
        if pid not in found:
            raise InputError(f"preferences[{n}]", f"no listing with id {pid}")
    if [p.provision_id for p in client.preferences] == list(provision_ids):
        return False
    client.preferences = []
    db.session.flush()  # the old ranks go before the new ones (one row per listing)
    client.preferences = [ClientPreference(provision_id=pid, rank=n + 1) for n, pid in enumerate(provision_ids)]
    return True


def add_need(user: User, client: Client, category: str, notes: str) -> ClientNeed:
    need = ClientNeed(client=client, category=category, notes=notes or "", recorded_on=dt.date.today())
    db.session.add(need)
    db.session.flush()
    audit.record(user, "add_need", "client", client.id, client.id, need=need.id, category=category)
    return need


def set_need_status(user: User, client: Client, need_id: int, status: str) -> ClientNeed:
    if status not in NEED_STATUSES:
        raise InputError("status", f"must be one of {', '.join(NEED_STATUSES)}")
    need = next((n for n in client.needs if n.id == need_id), None)
    if need is None:
        raise NotFound("need_id", f"{client.display_name} has no need {need_id}")
    need.status = status
    audit.record(user, "need_status", "client", client.id, client.id, need=need.id, status=status)
    return need


def months_on(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 = 28/29 Feb)."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def record_consent(
    user: User, client: Client, organisation_id: int, purpose: str, given: bool, note: str = "",
    expires_on: Optional[dt.date] = None,
) -> Consent:
    """Record the young person's decision. Given consent runs until `expires_on` (default
    BROKER_CONSENT_MONTHS from today). Withdrawing referral consent pauses that agency's open
    referrals at once; giving it again resumes them (broker.referrals.pausing)."""
    from flask import current_app

    from broker.referrals import pausing  # referrals build on clients: import here, not at the top

    if purpose not in CONSENT_PURPOSES:
        raise InputError("purpose", f"must be one of {', '.join(CONSENT_PURPOSES)}")
    organisation_id = check_id(organisation_id, "organisation_id")
    if db.session.get(Organisation, organisation_id) is None:
        raise InputError("organisation_id", f"no agency with id {organisation_id}")
    today = dt.date.today()
    if not given:
        expires_on = None
    elif expires_on is None:
        expires_on = months_on(today, current_app.config["BROKER_CONSENT_MONTHS"])
    else:
        check_date(expires_on, "expires_on")
        if expires_on < today:
            raise InputError("expires_on", "must be today or later")
    consent = Consent(
        client=client, organisation_id=organisation_id, purpose=purpose, given=given,
        recorded_at=_now(), recorded_by_id=user.id, note=note or "", expires_on=expires_on,
    )
    db.session.add(consent)
    audit.record(user, "consent", "client", client.id, client.id, organisation=organisation_id, purpose=purpose, given=given,
                 expires_on=expires_on)
    db.session.flush()
    if purpose == "referral":
        pausing.follow_consent(user, client.id, organisation_id, given)
    return consent


def in_force(consent: Optional[Consent], today: Optional[dt.date] = None) -> bool:
    """A decision is consent in force if it was given and has not expired (expired counts as none)."""
    if consent is None or not consent.given:
        return False
    return consent.expires_on is None or consent.expires_on >= (today or dt.date.today())


def consent_in_force(client_id: int, organisation_id: int, purpose: str) -> bool:
    """Whether the young person's latest decision for this agency and purpose is 'given' and not expired."""
    latest = db.session.scalar(
        select(Consent)
        .where(Consent.client_id == client_id, Consent.organisation_id == organisation_id, Consent.purpose == purpose)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return in_force(latest)


def consents_by_agency(client: Client) -> list[dict]:
    """The latest decision per agency and purpose; `given` only while it is in force."""
    today = dt.date.today()
    latest: dict[tuple[int, str], Consent] = {}
    for c in client.consents:
        latest[(c.organisation_id, c.purpose)] = c  # ordered by id, so the last one wins
    return sorted(
        ({"organisation": c.organisation, "purpose": c.purpose, "given": in_force(c, today),
          "expired": c.given and not in_force(c, today), "expires_on": c.expires_on if c.given else None, "consent": c}
         for c in latest.values()),
        key=lambda row: (row["organisation"].name, row["purpose"]),
    )


def consents_expiring(within_days: int = 14, today: Optional[dt.date] = None, user: Optional[User] = None) -> list[Consent]:
    """Consent in force now that ends within `within_days` (soonest first), so the PA can ask the
    young person again; `user` limits it to that PA's young people (own and shared)."""
    today = today or dt.date.today()
    newer = select(Consent.id).where(
        Consent.client_id == Consent_.client_id, Consent.organisation_id == Consent_.organisation_id,
        Consent.purpose == Consent_.purpose, Consent.id > Consent_.id,
    ).correlate(Consent_)
    stmt = select(Consent_).where(
        Consent_.given.is_(True), Consent_.expires_on >= today, Consent_.expires_on <= today + dt.timedelta(days=within_days),
        ~newer.exists(),
    )
    if user is not None:
        stmt = stmt.join(Client, Client.id == Consent_.client_id).where(visible_to(user))
    return list(db.session.scalars(stmt.order_by(Consent_.expires_on, Consent_.id)))


def share_client(user: User, client: Client, email: str, purpose: str = "", consent: bool = False) -> User:
    """Share the record with another PA (e.g. a specialist team's), by their email, with the
    young person's consent to that sharing recorded: what it is for (`purpose`) and that they agreed."""
    if client.pa_id != user.id:
        raise InputError("email", "only the young person's own Personal Adviser can share their record")
    other = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if other is None or other.role != "pa" or not other.active:
        raise InputError("email", "no Personal Adviser has that email address")
    if other.id == user.id or can_see(other, client):
        raise InputError("email", "they can already see this record")
    purpose = (purpose or "").strip()
    if not purpose:
        raise InputError("purpose", "say what the young person agrees the record is shared for")
    if len(purpose) > 500:
        raise InputError("purpose", "must be 500 characters or fewer")
    if not consent:
        raise InputError("consent", f"record that the young person agrees to share their record with {other.name}")
    db.session.add(ClientShare(client_id=client.id, user_id=other.id, shared_by_id=user.id, shared_at=_now(), purpose=purpose))
    for request_ in db.session.scalars(select(ShareRequest).where(
            ShareRequest.client_id == client.id, ShareRequest.requested_by_id == other.id, ShareRequest.status == "open")):
        request_.status = "shared"
    audit.record(user, "share", "client", client.id, client.id, with_user=other.id, purpose=purpose, consent=True)
    return other


def request_share(user: User, first_name: str, last_name: str, date_of_birth: dt.date, note: str = "") -> None:
    """Ask the PA of any record with this name and date of birth to share it. The asker is
    told nothing about whether or which record matched; each request is audited."""
    check_date(date_of_birth, "date_of_birth")
    for match in db.session.scalars(_same_person(first_name, last_name, date_of_birth)):
        if can_see(user, match):
            continue
        already = db.session.scalar(select(ShareRequest.id).where(
            ShareRequest.client_id == match.id, ShareRequest.requested_by_id == user.id, ShareRequest.status == "open"))
        if already:
            continue
        asked = ShareRequest(client_id=match.id, requested_by_id=user.id, requested_at=_now(), note=(note or "").strip()[:500])
        db.session.add(asked)
        db.session.flush()
        audit.record(user, "request_share", "client", match.id, match.id, request=asked.id)


def share_requests(client: Client) -> list[ShareRequest]:
    """Open requests from other PAs to share this record, oldest first (its own PA sees them)."""
    return list(db.session.scalars(select(ShareRequest).where(
        ShareRequest.client_id == client.id, ShareRequest.status == "open").order_by(ShareRequest.id)))


def shared_with(client: Client) -> list[User]:
    return list(db.session.scalars(select(User).join(ClientShare, ClientShare.user_id == User.id).where(ClientShare.client_id == client.id)))




# ---- The caseload as a list to search, filter, sort and page, and the PA's home page.

CASELOAD_SORTS = {
    "urgency": "Most urgent first",
    "waiting": "Waiting longest first",
    "review": "Review due soonest",
    "name": "Name (A to Z)",
}
# The caseload's status filter: review due, no referral yet, or has a referral in a status.
CASELOAD_STATUSES = {
    "review_due": "Review due",
    "no_referral": "No referral yet",
}


@dataclass
class CaseloadQuery:
    """What the PA asked of their caseload (from the page's query string)."""

    q: str = ""
    status: str = ""
    need: str = ""
    urgency: Optional[int] = None
    sort: str = "urgency"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "CaseloadQuery":  # args: request.args
        """Unknown values fall back to "any" and the default sort: a list never refuses to show."""
        from broker.referrals.models import STATUSES
        from broker.taxonomy import CATEGORIES

        status = args.get("status", "")
        urgency = args.get("urgency", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            status=status if status in CASELOAD_STATUSES or status in STATUSES else "",
            need=args.get("need", "") if args.get("need", "") in CATEGORIES else "",
            urgency=int(urgency) if urgency in ("1", "2", "3") else None,
            sort=args.get("sort", "") if args.get("sort", "") in CASELOAD_SORTS else "urgency",
            page=args.get("page", 1, type=int),
        )

    def args(self) -> dict:
        """The query as it goes back into links (paging keeps the filters)."""
        return {"q": self.q, "status": self.status, "need": self.need, "urgency": self.urgency or "",
                "sort": "" if self.sort == "urgency" else self.sort}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.need or self.urgency)


def visible_to(user: User):
    """The SQL condition for the young people this PA may see: their own and those shared with
    them; for a team lead, those of the PAs they supervise."""
    if user.role == "lead":
        from broker.casework.services import supervised_pa_ids

        return Client.pa_id.in_(supervised_pa_ids(user))
    if user.role != "pa":
        return Client.id.is_(None)
    return or_(Client.pa_id == user.id, Client.id.in_(_shared_ids(user)))


def _oldest_open_need():
    return (
        select(func.min(ClientNeed.recorded_on))
        .where(ClientNeed.client_id == Client.id, ClientNeed.status == "open")
        .correlate(Client)
        .scalar_subquery()
    )


def search_caseload(user: User, query: CaseloadQuery, today: dt.date):
    """One page of the PA's caseload (their own and shared young people), searched and filtered."""
    from broker.paging import paginate
    from broker.referrals.models import HOLDS_PLACE, Referral

    stmt = select(Client).where(visible_to(user))
    if query.q:
        words = query.q.lower()
        stmt = stmt.where(func.lower(Client.first_name + " " + Client.last_name).contains(words, autoescape=True))
    if query.urgency:
        stmt = stmt.where(Client.urgency == query.urgency)
    if query.need:
        stmt = stmt.where(Client.id.in_(
            select(ClientNeed.client_id).where(ClientNeed.category == query.need, ClientNeed.status == "open")))
    if query.status == "review_due":
        stmt = stmt.where(Client.review_date <= today)
    elif query.status == "no_referral":
        stmt = stmt.where(Client.id.not_in(select(Referral.client_id).where(Referral.status.in_(HOLDS_PLACE))))
    elif query.status:
        stmt = stmt.where(Client.id.in_(select(Referral.client_id).where(Referral.status == query.status)))
    order = {
        "urgency": (Client.urgency.desc(), Client.last_name, Client.first_name),
        "name": (Client.last_name, Client.first_name),
        # No review date sorts last; so does nobody waiting.
        "review": (Client.review_date.is_(None), Client.review_date, Client.last_name),
        "waiting": (_oldest_open_need().is_(None), _oldest_open_need(), Client.urgency.desc(), Client.last_name),
    }[query.sort]
    page = paginate(stmt.order_by(*order, Client.id), query.page)
    audit_listed(user, page.items)
    return page


def reviews_due(user: User, today: dt.date, within_days: int = 14) -> list[Client]:
    """The PA's young people whose review is overdue or due within `within_days`, soonest first."""
    rows = list(db.session.scalars(
        select(Client)
        .where(visible_to(user), Client.review_date.is_not(None), Client.review_date <= today + dt.timedelta(days=within_days))
        .order_by(Client.review_date, Client.last_name)
    ))
    audit_listed(user, rows)
    return rows


def waiting_longest(user: User, today: dt.date, limit: int = 5) -> list[tuple[Client, int]]:
    """The PA's young people with open needs, longest waiting first (since their oldest open need)."""
    oldest = _oldest_open_need()
    rows = db.session.execute(
        select(Client, oldest.label("since"))
        .where(visible_to(user), oldest.is_not(None))
        .order_by(oldest, Client.urgency.desc(), Client.last_name)
        .limit(limit)
    )
    waiting = [(client, max((today - since).days, 0)) for client, since in rows]
    audit_listed(user, [client for client, _ in waiting])
    return waiting
