"""Casework: team leads and the PAs they supervise, the young person's plan and reviews,
case conferences and the actions they agree.

Every view or change of a young person's record here is audited, in the same transaction.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select

from broker.audit import services as audit
from broker.auth.models import User
from broker.casework.models import (
    CaseConference, ConferenceAction, ConferenceAttendee, PlanAction, Review, Supervision, SupervisionNote,
)
from broker.clients.models import Client, ClientShare
from broker.directory.models import Organisation
from broker.errors import Forbidden, InputError, NotFound
from broker.extensions import db
from broker.inputs import check_date, check_id

MAX_TEXT = 5000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _text(value, field: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InputError(field, "Enter " + field.replace("_", " ").split(".")[-1])
    if len(value) > limit:
        raise InputError(field, f"must be at most {limit} characters")
    return value


def _date(value, field: str, required: bool = True):
    if value is None:
        if required:
            raise InputError(field, "Enter a date")
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(field, "must be a date like 2027-01-31") from None
    if not isinstance(value, dt.date):
        raise InputError(field, "must be a date like 2027-01-31")
    return check_date(value, field)


# ---------------------------------------------------------------- team leads


def supervised_pa_ids(lead: User):
    """The ids of the PAs this lead supervises (a subquery)."""
    return select(Supervision.pa_id).where(Supervision.lead_id == lead.id)


def supervises(lead: User, pa_id: int) -> bool:
    if lead.role != "lead":
        return False
    return db.session.scalar(
        select(Supervision.id).where(Supervision.lead_id == lead.id, Supervision.pa_id == pa_id)
    ) is not None


def supervise(lead: User, pa: User) -> Supervision:
    """Make `lead` the team lead of `pa` (set up by an administrator or the demo)."""
    if lead.role != "lead":
        raise InputError("lead_id", "only a team lead supervises PAs")
    if pa.role != "pa":
        raise InputError("pa_id", "a team lead supervises Personal Advisers only")
    link = Supervision(lead_id=lead.id, pa_id=pa.id)
    db.session.add(link)
    db.session.flush()
    return link


def team(lead: User) -> list[User]:
    """The PAs this lead supervises, by name."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(supervised_pa_ids(lead))).order_by(User.name)))


def team_member(lead: User, pa_id: int) -> User:
    """One of the lead's PAs, else 404 (others' staff are not revealed)."""
    pa = db.session.get(User, pa_id)
    if pa is None or not supervises(lead, pa.id):
        raise NotFound("pa_id", f"no Personal Adviser {pa_id} in your team")
    return pa


def pa_caseload(lead: User, pa: User) -> list[Client]:
    """One supervised PA's own young people, most urgent first (audited as listed)."""
    from broker.clients.services import audit_listed

    team_member(lead, pa.id)
    rows = list(db.session.scalars(
        select(Client).where(Client.pa_id == pa.id).order_by(Client.urgency.desc(), Client.last_name, Client.id)))
    audit_listed(lead, rows)
    return rows


def reassign(lead: User, client: Client, to_pa_id) -> User:
    """Move a young person to another PA in the lead's team (audited, from and to)."""
    to_pa_id = check_id(to_pa_id, "pa_id")
    if not supervises(lead, client.pa_id):
        raise Forbidden("client_id", "only the lead of their Personal Adviser can reassign this young person")
    if not supervises(lead, to_pa_id):
        raise InputError("pa_id", "choose a Personal Adviser in your team")
    if to_pa_id == client.pa_id:
        raise InputError("pa_id", "they are already this Personal Adviser's")
    previous = client.pa_id
    client.pa_id = to_pa_id
    db.session.flush()
    audit.record(lead, "reassign", "client", client.id, client.id, from_pa=previous, to_pa=to_pa_id)
    return db.session.get(User, to_pa_id)


def add_supervision_note(lead: User, pa: User, text: str) -> SupervisionNote:
    team_member(lead, pa.id)
    note = SupervisionNote(lead_id=lead.id, pa_id=pa.id, written_at=_now(), text=_text(text, "text"))
    db.session.add(note)
    db.session.flush()
    audit.record(lead, "supervision_note", "account", pa.id, None, note=note.id)
    return note


def supervision_notes(lead: User, pa: User) -> list[SupervisionNote]:
    return list(db.session.scalars(
        select(SupervisionNote).where(SupervisionNote.lead_id == lead.id, SupervisionNote.pa_id == pa.id)
        .order_by(SupervisionNote.written_at.desc(), SupervisionNote.id.desc())))


def _team_clients(lead: User):
    return select(Client).where(Client.pa_id.in_(supervised_pa_ids(lead)))


def overdue_reviews(user: User, today: dt.date) -> list[Client]:
    """Young people (of a PA, or of a lead's PAs) whose review date has passed, oldest first."""
    from broker.clients.services import audit_listed, visible_to

    rows = list(db.session.scalars(
        select(Client).where(visible_to(user), Client.review_date.is_not(None), Client.review_date < today)
        .order_by(Client.review_date, Client.last_name)))
    audit_listed(user, rows)
    return rows


def unanswered_referrals(lead: User, today: dt.date) -> list:
    """Referrals from the lead's PAs that no provider has answered yet, longest waiting first."""
    from broker.referrals.models import Referral

    rows = list(db.session.scalars(
        select(Referral).where(Referral.pa_id.in_(supervised_pa_ids(lead)), Referral.status == "sent",
                               Referral.answered_at.is_(None))
        .order_by(Referral.answer_by, Referral.sent_at)))
    for r in rows:
        audit.record(lead, "list", "referral", r.id, r.client_id)
    return rows


# ---------------------------------------------------------------- specialist involvement


def _specialist_involved():
    """SQL: the record is shared with a PA in a specialist team."""
    return exists(
        select(ClientShare.id).join(User, User.id == ClientShare.user_id)
        .where(ClientShare.client_id == Client.id, User.specialist_team.is_not(None))
    )


def is_complex():
    """SQL: a complex case. Urgency 3 is how the assessment marks acute or complex needs."""
    return Client.urgency == 3


def without_specialist(client_ids: list[int]) -> set[int]:
    """Of these young people, the complex cases with no specialist involved (one query)."""
    if not client_ids:
        return set()
    return set(db.session.scalars(
        select(Client.id).where(Client.id.in_(client_ids), is_complex(), ~_specialist_involved())))


def complex_without_specialist(user: User) -> list[Client]:
    """A PA's (or a lead's PAs') complex cases that no specialist is involved in."""
    from broker.clients.services import audit_listed, visible_to

    rows = list(db.session.scalars(
        select(Client).where(visible_to(user), is_complex(), ~_specialist_involved())
        .order_by(Client.last_name, Client.id)))
    audit_listed(user, rows)
    return rows


# ---------------------------------------------------------------- plan and reviews


def plan(client: Client) -> list[PlanAction]:
    """The plan's actions: still to do first (soonest due), then those done."""
    return list(db.session.scalars(
        select(PlanAction).where(PlanAction.client_id == client.id)
        .order_by(PlanAction.done_on.is_not(None), PlanAction.due, PlanAction.id)))


def add_plan_action(user: User, client: Client, what: str, who: str, due) -> PlanAction:
    action = PlanAction(client_id=client.id, what=_text(what, "what"), who=_text(who, "who", limit=200),
                        due=_date(due, "due"), created_by_id=user.id)
    db.session.add(action)
    db.session.flush()
    audit.record(user, "plan_action", "client", client.id, client.id, plan_action=action.id)
    return action


def mark_plan_action_done(user: User, client: Client, action_id: int, today: dt.date | None = None) -> PlanAction:
    action = db.session.get(PlanAction, action_id)
    if action is None or action.client_id != client.id:
        raise NotFound("action_id", f"{client.display_name}'s plan has no action {action_id}")
    action.done_on = today or dt.date.today()
    audit.record(user, "plan_action_done", "client", client.id, client.id, plan_action=action.id)
    return action


def reviews(client: Client) -> list[Review]:
    return list(db.session.scalars(
        select(Review).where(Review.client_id == client.id).order_by(Review.held_on.desc(), Review.id.desc())))


def record_review(user: User, client: Client, held_on, outcome: str, next_review) -> Review:
    """Record a review held; the next review date becomes the record's review date."""
    held_on = _date(held_on, "held_on")
    if held_on > dt.date.today():
        raise InputError("held_on", "A review is recorded once held: the date cannot be in the future")
    next_review = _date(next_review, "next_review", required=False)
    if next_review is not None and next_review <= held_on:
        raise InputError("next_review", "The next review must be after this one")
    review = Review(client_id=client.id, held_on=held_on, outcome=_text(outcome, "outcome"),
                    next_review=next_review, recorded_by_id=user.id)
    db.session.add(review)
    client.review_date = next_review
    db.session.flush()
    audit.record(user, "review", "client", client.id, client.id, review=review.id)
    return review


# ---------------------------------------------------------------- case conferences


def _user_ids(values, field: str) -> list[User]:
    users = []
    for i, value in enumerate(values or []):
        uid = check_id(value, f"{field}[{i}]")
        user = db.session.get(User, uid)
        if user is None or not user.active:
            raise InputError(f"{field}[{i}]", f"no user with id {uid}")
        if user not in users:
            users.append(user)
    return users


def convene(user: User, client: Client, data: dict) -> CaseConference:
    """Record a case conference for the young person, with who came and the actions agreed."""
    if user.role != "pa":
        raise Forbidden("client_id", "a Personal Adviser convenes case conferences")
    held_on = _date(data.get("held_on"), "held_on")
    attendees = _user_ids(data.get("attendee_user_ids"), "attendee_user_ids")
    agencies = []
    for i, value in enumerate(data.get("attendee_organisation_ids") or []):
        oid = check_id(value, f"attendee_organisation_ids[{i}]")
        org = db.session.get(Organisation, oid)
        if org is None:
            raise InputError(f"attendee_organisation_ids[{i}]", f"no agency with id {oid}")
        if org not in agencies:
            agencies.append(org)
    conference = CaseConference(
        client_id=client.id, convened_by_id=user.id, held_on=held_on,
        notes=_text(data.get("notes"), "notes", required=False),
        decisions=_text(data.get("decisions"), "decisions", required=False), created_at=_now(),
    )
    for attendee in attendees:
        conference.attendees.append(ConferenceAttendee(user_id=attendee.id))
    for org in agencies:
        conference.attendees.append(ConferenceAttendee(organisation_id=org.id))
    for i, row in enumerate(data.get("actions") or []):
        field = f"actions[{i}]"
        owner_id = check_id(row.get("owner_user_id"), f"{field}.owner_user_id")
        owner = db.session.get(User, owner_id)
        if owner is None or not owner.active:
            raise InputError(f"{field}.owner_user_id", f"no user with id {owner_id}")
        due = _date(row.get("due"), f"{field}.due")
        if due < held_on:
            raise InputError(f"{field}.due", "An action is due on or after the conference")
        conference.actions.append(ConferenceAction(what=_text(row.get("what"), f"{field}.what"), owner_user_id=owner.id, due=due))
    db.session.add(conference)
    db.session.flush()
    audit.record(user, "conference", "client", client.id, client.id, conference=conference.id,
                 actions=[a.id for a in conference.actions])
    return conference


def conferences(client: Client) -> list[CaseConference]:
    return list(db.session.scalars(
        select(CaseConference).where(CaseConference.client_id == client.id)
        .order_by(CaseConference.held_on.desc(), CaseConference.id.desc())))


def conference_view(user: User, conference_id: int) -> dict:
    """A conference as this user may see it (audited), else 404.

    The young person's PA (or their lead, or a PA they share with) and colleagues who
    attended see it all. Provider staff of an agency that attended see what consent covers for their agency: with referral
    consent the young person's name, the decisions and the actions; with assessment
    consent the notes too. Without consent in force they see nothing."""
    from broker.clients.services import can_see, consent_in_force

    conference = db.session.get(CaseConference, conference_id)
    client = db.session.get(Client, conference.client_id) if conference else None
    attended = conference is not None and any(a.user_id == user.id for a in conference.attendees)
    # Colleagues who were in the room see the record of it; provider staff only what consent covers.
    full = client is not None and (can_see(user, client) or (attended and user.role != "provider"))
    referral = assessment = full
    agency_attended = (
        conference is not None and user.role == "provider" and user.organisation_id is not None
        and (attended or any(a.organisation_id == user.organisation_id for a in conference.attendees))
    )
    if not full and agency_attended:
        referral = consent_in_force(client.id, user.organisation_id, "referral")
        assessment = referral and consent_in_force(client.id, user.organisation_id, "assessment")
    if not referral:
        audit.record_denial(user, "view", "conference", conference_id, client.id if client else None,
                            reason="no such conference" if conference is None else "not theirs to see")
        raise NotFound("conference_id", f"no case conference {conference_id} you may see")
    audit.record(user, "view", "conference", conference.id, client.id, consent="full" if full else "agency")
    return {"conference": conference, "client": client, "full": full, "show_notes": assessment}


def my_actions(user: User, include_done: bool = False) -> list[ConferenceAction]:
    """The conference actions this user owns, soonest due first (each young person named is audited)."""
    stmt = select(ConferenceAction).where(ConferenceAction.owner_user_id == user.id)
    if not include_done:
        stmt = stmt.where(ConferenceAction.done_on.is_(None))
    rows = list(db.session.scalars(stmt.order_by(ConferenceAction.due, ConferenceAction.id)))
    for a in rows:
        audit.record(user, "list", "conference", a.conference_id, a.conference.client_id)
    return rows


def action_client_name(user: User, action: ConferenceAction) -> str | None:
    """The young person's name on an action, if its owner may see it: colleagues were given the
    action about them by name; provider staff see it only with consent for their agency."""
    from broker.clients.services import consent_in_force

    client = db.session.get(Client, action.conference.client_id)
    if user.role == "provider":
        return client.display_name if consent_in_force(client.id, user.organisation_id, "referral") else None
    return client.display_name


def mark_action_done(user: User, action_id: int, today: dt.date | None = None) -> ConferenceAction:
    action = db.session.get(ConferenceAction, action_id)
    if action is None or action.owner_user_id != user.id:
        raise NotFound("action_id", f"no action {action_id} of yours")
    action.done_on = today or dt.date.today()
    audit.record(user, "action_done", "conference", action.conference_id, action.conference.client_id, conference_action=action.id)
    return action
