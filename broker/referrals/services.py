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
from broker.clients.services import consent_in_force, in_force, visible_to
from broker.directory import index_sync
from broker.directory.models import Intake, Provision
from broker.errors import Conflict, Forbidden, InputError, NotFound, Unprocessable
from broker.extensions import db
from broker.inputs import check_date
from broker.insight.responsiveness import note_capacity_decline
from broker.referrals import notices
from broker.referrals.models import DECLINE_REASONS, DESTINATIONS, HOLDS_PLACE, OUTCOMES, Referral, ReferralEvent
from broker.referrals.screening import screen
from broker.taxonomy import category_label


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _event(referral: Referral, user: Optional[User], note: str = "") -> None:
    """A step in the history; no user for the service's own steps (a hold lapsing)."""
    db.session.add(ReferralEvent(referral=referral, at=_now(), user_id=user.id if user else None,
                                 status=referral.status, note=note))


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


def _still(referral: Referral, statuses: tuple[str, ...], field: str) -> None:
    """Claim the referral in one of these statuses with a conditional UPDATE (which waits for,
    then sees, a concurrent change such as the hold lapsing), so a place is never freed by
    one and kept by another."""
    claimed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.status.in_(statuses))
        .values(status=Referral.status).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(referral, ["status"])
        raise Conflict(field, f"this referral is now {referral.status_label.lower()}; reload the page")


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
    answer_by: Optional[dt.date] = None, share_need_ids: tuple[int, ...] = (),
    override_reason: Optional[str] = None,
) -> Referral:
    """Send a structured referral for one of the client's open needs, holding a place.

    `share_need_ids`: the young person's other needs the PA chooses to share with the
    provider too (need to know); the provider sees no other need.

    A young person the listing's rules exclude is refused (screening.screen) unless the PA
    gives `override_reason`, which the referral keeps."""
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
    shared = _need_to_know(client, need, share_need_ids)
    if len((summary or "").strip()) < 20:
        raise InputError("summary", "give the provider some background: at least 20 characters")
    if not consent_in_force(client.id, provision.organisation_id, "referral"):
        raise Forbidden(
            "consent",
            f"record the young person's consent to share their details with {provision.organisation.name} first",
        )
    _check_apir(client, today)
    override_reason = screen(client, provision, intake, today, override_reason)
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
        summary=summary.strip(), risks=(risks or "").strip(), answer_by=answer_by, sent_at=_now(), shared_need_ids=shared,
        override_reason=override_reason,
    )
    db.session.add(referral)
    db.session.flush()
    _event(referral, user, "Referral sent" if not override_reason else "Referral sent although the listing's rules exclude them")
    audit.record(user, "send", "referral", referral.id, client.id, intake=intake.id,
                 **({"override": True} if override_reason else {}))
    notices.sent(referral)
    return referral


def _need_to_know(client: Client, need, share_need_ids) -> list[int]:
    """The other needs shared with the provider: each one of the young person's own, never the
    referral's need again. Returns their ids in the record's order."""
    wanted = set(share_need_ids or ())
    own = {n.id for n in client.needs}
    if wanted - own:
        raise InputError("share_need_ids", "choose only this young person's own needs to share")
    return [n.id for n in client.needs if n.id in wanted and n.id != need.id]


APIR_MONTHS = 6


def _check_apir(client: Client, today: dt.date) -> None:
    """APIR: a young person with acute (urgency 3) or complex needs is referred only on an
    assessment from the last six months."""
    from broker.clients.services import months_on

    if client.urgency < 3 and not client.complex_needs:
        return
    if client.assessment_date is None or months_on(client.assessment_date, APIR_MONTHS) < today:
        why = "urgent" if client.urgency >= 3 else "complex"
        raise Unprocessable(
            "assessment_date",
            f"a young person with {why} needs is referred only on an assessment from the last {APIR_MONTHS} months: "
            "assess them again and record the date",
        )


def shared_needs(referral: Referral) -> list:
    """The needs the provider may know about: the referral's own, then those the PA ticked."""
    extra = set(referral.shared_need_ids or ())
    return [referral.need] + [n for n in referral.client.needs if n.id in extra and n.id != referral.need_id]


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
    if not consent_in_force(referral.client_id, referral.organisation_id, "referral"):
        raise Conflict("decision", "the young person's consent to share with you is not in force; it cannot be answered now")
    _still(referral, ("sent", "more_info"), "decision")
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
    notices.answered(referral, decision)
    return referral


def pa_update(user: User, referral: Referral, action: str, note: str = "", destination: str = "",
              on: Optional[dt.date] = None) -> Referral:
    """The PA's side: reply with more information, withdraw, mark as started, or record the
    outcome (completed or left early, with where the young person went next)."""
    from broker.clients.services import can_see as can_see_client

    if user.role != "pa" or not can_see_client(user, referral.client):
        _deny(user, action or "update", referral.id, referral)
    note = (note or "").strip()
    if action in ("reply", "withdraw") and referral.status in ("sent", "more_info"):
        _still(referral, ("sent", "more_info"), "action")  # not lapsing at this moment
    if action == "reply":
        if referral.status != "more_info":
            raise Conflict("action", "the provider has not asked for more information")
        if not note:
            raise InputError("note", "add the information the provider asked for")
        referral.summary = f"{referral.summary}\n\nMore information ({dt.date.today():%d %b %Y}): {note}"
        referral.status = "sent"
    elif action == "withdraw":
        if referral.status not in ("sent", "more_info", "accepted", "paused"):
            raise Conflict("action", f"a referral that is {referral.status_label.lower()} cannot be withdrawn")
        referral.status = "withdrawn"
        _release_place(referral.intake_id, referral.provision_id)
    elif action == "started":
        if referral.status != "accepted":
            raise Conflict("action", "only an accepted referral can start")
        referral.status = "started"
        referral.need.status = "met"
    elif action in OUTCOMES:
        _record_outcome(referral, action, note, destination, on)
    else:
        raise InputError("action", "must be reply, withdraw, started, completed or left_early")
    _event(referral, user, note)
    audit.record(user, action, "referral", referral.id, referral.client_id)
    db.session.flush()
    if action == "reply":
        notices.replied(referral)
    return referral


def _record_outcome(referral: Referral, action: str, note: str, destination: str, on: Optional[dt.date]) -> None:
    """Completed or left early: only after it started, with where they went next and when."""
    if referral.status != "started":
        raise Conflict("action", "record how it ended once the young person has started")
    if destination not in DESTINATIONS:
        raise InputError("destination", "choose where the young person went next")
    if action == "left_early" and not note:
        raise InputError("note", "say why they left early")
    on = on or dt.date.today()
    check_date(on, "outcome_on")
    if on > dt.date.today():
        raise InputError("outcome_on", "must be today or earlier")
    referral.status, referral.destination, referral.outcome_on, referral.outcome_note = action, destination, on, note


def lapse_unanswered(today: dt.date, grace_days: int) -> list[Referral]:
    """Referrals still unanswered `grace_days` after their answer-by date lapse, and their
    places go back to the pool. Each is claimed with a conditional UPDATE on its status,
    so a provider answering at that moment, or a second run, never frees a place twice."""
    from sqlalchemy import and_

    cutoff = today - dt.timedelta(days=grace_days)
    due = list(db.session.scalars(
        select(Referral.id).where(Referral.status.in_(("sent", "more_info")), Referral.answer_by <= cutoff)
        .order_by(Referral.id)
    ))
    lapsed = []
    for referral_id in due:
        claimed = db.session.execute(
            update(Referral).where(and_(Referral.id == referral_id, Referral.status.in_(("sent", "more_info"))))
            .values(status="lapsed", answered_at=_now()).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        referral = db.session.get(Referral, referral_id)
        db.session.refresh(referral, ["status", "answered_at"])
        _release_place(referral.intake_id, referral.provision_id)
        _event(referral, None, f"Not answered by {referral.answer_by:%d %b %Y}; the place was freed")
        db.session.flush()
        notices.lapsed(referral)
        lapsed.append(referral)
    return lapsed


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
    shared_needs: list[str] = field(default_factory=list)  # the other needs shared with the provider


def shown_to(user: User, referral: Referral) -> ReferralView:
    """What this user may see of the referral right now: the referral page and both API
    answers show this and nothing else, so consent withdrawn hides things everywhere at once.

    The young person's PA (and PAs it is shared with) see everything. The provider sees
    the young person's details, the background and the PA's notes in the history only
    while referral consent is in force; risks and need notes only while assessment consent
    is in force too; and always the steps of the history and what its own staff wrote.
    Each piece is guarded by a scope, so a finer need-to-know can add scopes here. Need to
    know: of the young person's needs the provider sees only the referral's own and those the
    PA chose to share with it (`shared_needs`), never the rest; a paused referral shows the
    provider only that it is paused.
    """
    client = referral.client
    org = referral.organisation_id
    consent = consent_in_force(client.id, org, "referral")
    assessment = consent and consent_in_force(client.id, org, "assessment")
    provider = user.role == "provider"
    if provider and referral.status == "paused":
        consent = assessment = False  # paused: the provider sees only that it is paused
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
                needs=[n.category for n in shared_needs(referral)],
            )
        if "background" in scopes:
            person.update(summary=referral.summary)
        if "assessment" in scopes:
            person.update(risks=referral.risks, need_notes=_need_notes(referral))

    history = []
    for e in referral.events:
        # A note written by the provider's own staff is theirs to see; every other note
        # (the PA's background, replies and reasons) is the young person's information.
        own = provider and (e.user is None or e.user.organisation_id == org)  # the service's own notes are for both
        shown = own or "background" in scopes or e.user is None
        history.append({"at": e.at, "status": e.status, "by": e.user.name if e.user else "The service",
                        "note": e.note if shown else "",
                        "withheld": bool(e.note) and not shown})
    return ReferralView(
        consent=consent,
        assessment=assessment,
        client=person,
        summary=referral.summary if "background" in scopes else None,
        risks=referral.risks if "assessment" in scopes else None,
        need_notes=(_need_notes(referral) if provider else {n.category: n.notes for n in client.needs if n.notes})
        if "assessment" in scopes else {},
        history=history,
        shared_needs=[n.category for n in shared_needs(referral)[1:]] if "identity" in scopes else [],
    )


def _need_notes(referral: Referral) -> dict[str, str]:
    return {n.category: n.notes for n in shared_needs(referral) if n.notes}


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
    today = dt.date.today()
    for c in rows:
        latest[(c.client_id, c.organisation_id)] = in_force(c, today)  # the latest decision wins; expired is none
    return {r.id: r.client.display_name for r in referrals
            if r.status != "paused" and latest.get((r.client_id, r.organisation_id))}


INBOX_SORTS = {"answer_by": "Answer needed soonest", "newest": "Newest first", "start": "Start date soonest"}
INBOX_DUE = {"overdue": "Overdue", "soon": "Due in the next 2 days"}


@dataclass
class InboxQuery:
    q: str = ""
    status: str = ""
    need: str = ""
    due: str = ""
    listing: Optional[int] = None  # one of the organisation's listings (provision id)
    sort: str = "answer_by"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "InboxQuery":  # args: request.args; unknown values mean "any"
        from broker.referrals.models import STATUSES
        from broker.taxonomy import CATEGORIES

        pick = lambda name, allowed, default="": args.get(name, "") if args.get(name, "") in allowed else default  # noqa: E731
        return cls(q=(args.get("q") or "").strip()[:100], status=pick("status", STATUSES), need=pick("need", CATEGORIES),
                   due=pick("due", INBOX_DUE), listing=args.get("listing", None, type=int),
                   sort=pick("sort", INBOX_SORTS, "answer_by"), page=args.get("page", 1, type=int))

    def args(self) -> dict:
        return {"q": self.q, "status": self.status, "need": self.need, "due": self.due, "listing": self.listing or "",
                "sort": "" if self.sort == "answer_by" else self.sort}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.need or self.due or self.listing)


def inbox_listings(user: User) -> list[tuple[int, str]]:
    """The organisation's listings that have referrals, for the inbox's listing filter."""
    rows = db.session.execute(
        select(Provision.id, Provision.name).where(Provision.id.in_(
            select(Referral.provision_id).where(Referral.organisation_id == user.organisation_id)))
        .order_by(Provision.name, Provision.id)
    )
    return [(pid, name) for pid, name in rows]


def search_inbox(user: User, query: InboxQuery, today: dt.date):
    """One page of referrals to the provider's organisation. A name matches only where the
    young person's consent to share it is in force, as everywhere a provider looks."""
    from broker.clients.models import ClientNeed
    from broker.paging import page_of

    stmt = select(Referral).where(Referral.organisation_id == user.organisation_id)
    if query.status:
        stmt = stmt.where(Referral.status == query.status)
    if query.listing:
        stmt = stmt.where(Referral.provision_id == query.listing)
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
    # The list names a young person by first name and initial (the page has the rest).
    from broker.notifications import short_name

    page.extra["short_names"] = {r.id: short_name(r.client) for r in page.items if r.id in names}
    audit_listed(user, page.items, names)
    return page


def latest_outcomes(client_ids: list[int]) -> dict[int, Referral]:
    """Per young person, their latest placement that ended with an outcome (one query)."""
    rows = db.session.scalars(
        select(Referral).where(Referral.client_id.in_(client_ids), Referral.status.in_(OUTCOMES))
        .order_by(Referral.outcome_on, Referral.id)
    )
    return {r.client_id: r for r in rows}  # the latest wins
