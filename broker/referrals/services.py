"""Referrals: sending one holds a place on the intake; declining or withdrawing frees it.

A place is held with one conditional UPDATE (`places_taken = places_taken + 1 WHERE
places_taken < places`) and a rowcount check, so PAs racing for the last place can
never overbook it, on SQLite or PostgreSQL. Reading then writing overbooked 10x.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from flask import current_app
from sqlalchemy import select, update

from broker.audit import services as audit
from broker.auth.models import User
from broker.clients.models import Client
from broker.clients.services import consent_in_force, visible_to
from broker.directory import index_sync
from broker.directory.models import Intake, Provision
from broker.errors import Conflict, Forbidden, InputError, NotFound
from broker.extensions import db
from broker.inputs import check_date
from broker.insight.responsiveness import note_capacity_decline
from broker.referrals.models import DECLINE_REASONS, HOLDS_PLACE, Referral, ReferralEvent
from broker.taxonomy import category_label


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _event(referral: Referral, user: User, note: str = "") -> None:
    db.session.add(ReferralEvent(referral=referral, at=_now(), user_id=user.id, status=referral.status, note=note))


def _hold_place(intake: Intake) -> None:
    held = db.session.execute(
        update(Intake)
        .where(Intake.id == intake.id, Intake.places_taken < Intake.places)
        .values(places_taken=Intake.places_taken + 1)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:
        raise Conflict("intake", "the last place on this intake has just gone; choose another start date or listing")
    db.session.expire(intake, ["places_taken"])  # the UPDATE bypassed the ORM
    index_sync.touch(db.session, [intake.provision_id])


def _release_place(intake_id: int, provision_id: int) -> None:
    db.session.execute(
        update(Intake)
        .where(Intake.id == intake_id, Intake.places_taken > 0)
        .values(places_taken=Intake.places_taken - 1)
        .execution_options(synchronize_session=False)
    )
    index_sync.touch(db.session, [provision_id])


def send_referral(
    user: User, client: Client, need_id: int, intake_id: int, summary: str, risks: str = "",
    answer_by: Optional[dt.date] = None,
) -> Referral:
    """Send a structured referral for one of the client's open needs, holding a place."""
    today = dt.date.today()
    need = next((n for n in client.needs if n.id == need_id), None)
    if need is None or need.status != "open":
        raise InputError("need", "choose one of the young person's open needs")
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        raise NotFound("intake", f"no intake with id {intake_id}")
    provision: Provision = intake.provision
    if provision.status != "active":
        raise InputError("intake", "this listing has been withdrawn by its provider")
    if not intake.rolling and intake.start < today:
        raise InputError("intake", "this intake has already started; choose a later start date")
    if provision.category != need.category:
        raise InputError("need", f"this listing offers {category_label(provision.category).lower()}, "
                                 f"not {category_label(need.category).lower()}")
    if len((summary or "").strip()) < 20:
        raise InputError("summary", "give the provider some background: at least 20 characters")
    if not consent_in_force(client.id, provision.organisation_id, "referral"):
        raise Forbidden(
            "consent",
            f"record the young person's consent to share their details with {provision.organisation.name} first",
        )
    if answer_by is None:
        answer_by = today + dt.timedelta(days=current_app.config["BROKER_ANSWER_DAYS"])
    elif answer_by < today:
        raise InputError("answer_by", "must be today or later")
    else:
        check_date(answer_by, "answer_by")
    duplicate = db.session.scalar(
        select(Referral.id).where(
            Referral.client_id == client.id, Referral.intake_id == intake.id, Referral.status.in_(HOLDS_PLACE)
        )
    )
    if duplicate:
        raise Conflict("intake", f"this young person already has referral {duplicate} to this intake")

    _hold_place(intake)
    referral = Referral(
        client_id=client.id, need_id=need.id, provision_id=provision.id, intake_id=intake.id,
        organisation_id=provision.organisation_id, pa_id=user.id, status="sent",
        summary=summary.strip(), risks=(risks or "").strip(), answer_by=answer_by, sent_at=_now(),
    )
    db.session.add(referral)
    db.session.flush()
    _event(referral, user, "Referral sent")
    audit.record(user, "send", "referral", referral.id, client.id, intake=intake.id)
    return referral


def referral_for(user: User, referral_id: int, action: str = "view") -> Referral:
    """The referral if this user is on either side of it, else 404; audited either way."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not can_see(user, referral):
        _deny(user, action, referral_id, referral)
    audit.record(user, action, "referral", referral.id, referral.client_id)
    return referral


def _deny(user: User, action: str, referral_id: int, referral: Optional[Referral]):
    """Refuse, as if the referral did not exist, and audit the attempt."""
    audit.record_denial(user, action, "referral", referral_id, referral.client_id if referral else None,
                        reason="no such record" if referral is None else "not theirs to see")
    raise NotFound("referral_id", f"no referral {referral_id} that you can see")


def can_see(user: User, referral: Referral) -> bool:
    from broker.clients.services import can_see as can_see_client

    if user.role == "provider":
        return user.organisation_id == referral.organisation_id
    if user.role == "pa":
        return can_see_client(user, referral.client)
    return False


def inbox(user: User) -> list[Referral]:
    """Referrals to the provider's own organisation, those awaiting an answer first."""
    rows = db.session.scalars(
        select(Referral).where(Referral.organisation_id == user.organisation_id).order_by(Referral.sent_at.desc())
    ).all()
    waiting = {"sent": 0, "more_info": 1}
    return sorted(rows, key=lambda r: (waiting.get(r.status, 2), r.answer_by))


def answer(user: User, referral: Referral, decision: str, reason: str = "", message: str = "") -> Referral:
    """The provider's answer: accept, decline (with a reason) or ask for more information."""
    if user.role != "provider" or user.organisation_id != referral.organisation_id:
        _deny(user, "answer", referral.id, referral)
    if referral.status not in ("sent", "more_info"):
        raise Conflict("decision", f"this referral is {referral.status_label.lower()}; it cannot be answered now")
    message = (message or "").strip()
    if decision == "accept":
        referral.status = "accepted"
    elif decision == "decline":
        if reason not in DECLINE_REASONS:
            raise InputError("reason", "choose a reason for declining")
        if reason == "other" and not message:
            raise InputError("message", "say why the referral is declined")
        referral.status, referral.decline_reason = "declined", reason
        note_capacity_decline(referral)
        _release_place(referral.intake_id, referral.provision_id)
    elif decision == "more_info":
        if not message:
            raise InputError("message", "say what information you need")
        referral.status = "more_info"
    else:
        raise InputError("decision", "must be accept, decline or more_info")
    referral.message = message
    referral.answered_at = _now()
    _event(referral, user, message or DECLINE_REASONS.get(reason, ""))
    audit.record(user, "answer", "referral", referral.id, referral.client_id, decision=decision)
    db.session.flush()
    return referral


def pa_update(user: User, referral: Referral, action: str, note: str = "") -> Referral:
    """The PA's side: reply with more information, withdraw, or mark as started."""
    from broker.clients.services import can_see as can_see_client

    if user.role != "pa" or not can_see_client(user, referral.client):
        _deny(user, action or "update", referral.id, referral)
    note = (note or "").strip()
    if action == "reply":
        if referral.status != "more_info":
            raise Conflict("action", "the provider has not asked for more information")
        if not note:
            raise InputError("note", "add the information the provider asked for")
        referral.summary = f"{referral.summary}\n\nMore information ({dt.date.today():%d %b %Y}): {note}"
        referral.status = "sent"
    elif action == "withdraw":
        if referral.status not in ("sent", "more_info", "accepted"):
            raise Conflict("action", f"a referral that is {referral.status_label.lower()} cannot be withdrawn")
        referral.status = "withdrawn"
        _release_place(referral.intake_id, referral.provision_id)
    elif action == "started":
        if referral.status != "accepted":
            raise Conflict("action", "only an accepted referral can start")
        referral.status = "started"
        referral.need.status = "met"
    else:
        raise InputError("action", "must be reply, withdraw or started")
    _event(referral, user, note)
    audit.record(user, action, "referral", referral.id, referral.client_id)
    db.session.flush()
    return referral


@dataclass
class ReferralView:
    """What one user may see of a referral and its history right now."""

    consent: bool  # the young person's referral consent for this provider is in force
    assessment: bool  # ... and their assessment consent
    client: dict  # the young person as this user may see them
    summary: Optional[str]  # the PA's background, with any further information they sent
    risks: Optional[str]
    need_notes: dict[str, str]
    history: list[dict] = field(default_factory=list)  # {"at", "status", "by", "note", "withheld"}


def shown_to(user: User, referral: Referral) -> ReferralView:
    """What this user may see of the referral right now: the referral page and both API
    answers show this and nothing else, so consent withdrawn hides things everywhere at once.

    The young person's PA (and PAs it is shared with) see everything. The provider sees
    the young person's details, the background and the PA's notes in the history only
    while referral consent is in force; risks and need notes only while assessment consent
    is in force too; and always the steps of the history and what its own staff wrote.
    Each piece is guarded by a scope, so a finer need-to-know can add scopes here.
    """
    client = referral.client
    org = referral.organisation_id
    consent = consent_in_force(client.id, org, "referral")
    assessment = consent and consent_in_force(client.id, org, "assessment")
    provider = user.role == "provider"
    if provider:
        scopes = ({"identity", "background"} if consent else set()) | ({"assessment"} if assessment else set())
    elif can_see(user, referral):
        scopes = {"identity", "background", "assessment"}
    else:
        scopes = set()

    if not provider:
        person = {"id": client.id, "name": client.display_name} if "identity" in scopes else {}
    else:
        # The API's provider answer carries the whole view under "client", as it always has.
        person = {"consent": consent, "assessment": assessment}
        if "identity" in scopes:
            person.update(
                name=client.display_name,
                age=client.age_on(dt.date.today()),
                area=client.home_postcode.split(" ")[0],
                needs=[n.category for n in client.open_needs] or [referral.need.category],
            )
        if "background" in scopes:
            person.update(summary=referral.summary)
        if "assessment" in scopes:
            person.update(risks=referral.risks, need_notes={n.category: n.notes for n in client.needs if n.notes})

    history = []
    for e in referral.events:
        # A note written by the provider's own staff is theirs to see; every other note
        # (the PA's background, replies and reasons) is the young person's information.
        own = provider and e.user.organisation_id == org
        shown = own or "background" in scopes
        history.append({"at": e.at, "status": e.status, "by": e.user.name, "note": e.note if shown else "",
                        "withheld": bool(e.note) and not shown})
    return ReferralView(
        consent=consent,
        assessment=assessment,
        client=person,
        summary=referral.summary if "background" in scopes else None,
        risks=referral.risks if "assessment" in scopes else None,
        need_notes={n.category: n.notes for n in client.needs if n.notes} if "assessment" in scopes else {},
        history=history,
    )


# ---- Lists for the home pages and the provider's inbox.

def audit_listed(user: User, referrals, names: Optional[dict[int, str]] = None) -> None:
    """Every referral a list shows with the young person's name is audited as listed (for a
    provider, `names` says whose name consent lets the list show)."""
    for r in referrals:
        if names is None or r.id in names:
            audit.record(user, "list", "referral", r.id, r.client_id)


def answers_received(user: User, today: dt.date, days: int = 14) -> list[Referral]:
    """Referrals for the PA's young people that providers accepted or declined in the last `days`."""
    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=dt.timezone.utc)
    rows = list(db.session.scalars(
        select(Referral).join(Client, Client.id == Referral.client_id)
        .where(visible_to(user), Referral.status.in_(("accepted", "declined")), Referral.answered_at >= since)
        .order_by(Referral.answered_at.desc())
    ))
    audit_listed(user, rows)
    return rows


def asked_for_more_information(user: User) -> list[Referral]:
    """The PA's referrals where the provider is waiting for more information, oldest answer-by first."""
    rows = list(db.session.scalars(
        select(Referral).join(Client, Client.id == Referral.client_id)
        .where(visible_to(user), Referral.status == "more_info")
        .order_by(Referral.answer_by, Referral.id)
    ))
    audit_listed(user, rows)
    return rows


def awaiting_answer(organisation_id: int) -> list[Referral]:
    """Referrals the provider has still to answer, the soonest answer-by date first."""
    return list(db.session.scalars(
        select(Referral).where(Referral.organisation_id == organisation_id, Referral.status == "sent")
        .order_by(Referral.answer_by, Referral.sent_at)
    ))


def consented_names(referrals: list[Referral]) -> dict[int, str]:
    """Per referral id, the young person's name where their consent to share it with the
    provider is in force right now (one query for a whole list)."""
    from broker.clients.models import Consent

    if not referrals:
        return {}
    pairs = {(r.client_id, r.organisation_id) for r in referrals}
    latest: dict[tuple[int, int], bool] = {}
    rows = db.session.scalars(
        select(Consent)
        .where(Consent.client_id.in_({c for c, _ in pairs}), Consent.organisation_id.in_({o for _, o in pairs}),
               Consent.purpose == "referral")
        .order_by(Consent.recorded_at, Consent.id)
    )
    for c in rows:
        latest[(c.client_id, c.organisation_id)] = c.given  # the latest decision wins
    return {r.id: r.client.display_name for r in referrals if latest.get((r.client_id, r.organisation_id))}


INBOX_SORTS = {"answer_by": "Answer needed soonest", "newest": "Newest first", "start": "Start date soonest"}
INBOX_DUE = {"overdue": "Overdue", "soon": "Due in the next 2 days"}


@dataclass
class InboxQuery:
    q: str = ""
    status: str = ""
    need: str = ""
    due: str = ""
    sort: str = "answer_by"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "InboxQuery":  # args: request.args; unknown values mean "any"
        from broker.referrals.models import STATUSES
        from broker.taxonomy import CATEGORIES

        pick = lambda name, allowed, default="": args.get(name, "") if args.get(name, "") in allowed else default  # noqa: E731
        return cls(q=(args.get("q") or "").strip()[:100], status=pick("status", STATUSES), need=pick("need", CATEGORIES),
                   due=pick("due", INBOX_DUE), sort=pick("sort", INBOX_SORTS, "answer_by"), page=args.get("page", 1, type=int))

    def args(self) -> dict:
        return {"q": self.q, "status": self.status, "need": self.need, "due": self.due,
                "sort": "" if self.sort == "answer_by" else self.sort}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.need or self.due)


def search_inbox(user: User, query: InboxQuery, today: dt.date):
    """One page of referrals to the provider's organisation. A name matches only where the
    young person's consent to share it is in force, as everywhere a provider looks."""
    from broker.clients.models import ClientNeed
    from broker.paging import page_of

    stmt = select(Referral).where(Referral.organisation_id == user.organisation_id)
    if query.status:
        stmt = stmt.where(Referral.status == query.status)
    if query.need:
        stmt = stmt.where(Referral.need_id.in_(select(ClientNeed.id).where(ClientNeed.category == query.need)))
    if query.due == "overdue":
        stmt = stmt.where(Referral.status == "sent", Referral.answer_by < today)
    elif query.due == "soon":
        stmt = stmt.where(Referral.status == "sent", Referral.answer_by >= today, Referral.answer_by <= today + dt.timedelta(days=2))
    rows = list(db.session.scalars(stmt.order_by(Referral.sent_at.desc(), Referral.id.desc())))
    names = consented_names(rows)
    if query.q:
        words = query.q.lower().removeprefix("referral").strip()
        rows = [r for r in rows if words == str(r.id) or words in names.get(r.id, "").lower() or words in r.provision.name.lower()]
    waiting = {"sent": 0, "more_info": 1}
    if query.sort == "answer_by":
        rows.sort(key=lambda r: (waiting.get(r.status, 2), r.answer_by))
    elif query.sort == "start":
        rows.sort(key=lambda r: (r.intake.joinable_from(today), r.id))
    page = page_of(rows, query.page)
    page.extra["names"] = names
    audit_listed(user, page.items, names)
    return page
