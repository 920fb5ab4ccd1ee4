"""Providers keep their own listings current: edits, confirmations, intake replacement.

One mechanism replaces a listing's upcoming intakes, whatever the channel (form, file
feed, API): `plan_intakes` works out what would change and every problem with it,
naming the row and field, without writing; `apply_plans` carries a plan out inside the
caller's transaction with conditional UPDATE/DELETE statements, so a referral holding a
place at the same moment can never leave places_taken above places. Any problem and
nothing is written: an upload is all or nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import delete, func, select, update

from broker.auth.models import User
from broker.councils import COUNCIL_CODES
from broker.directory import index_sync
from broker.directory.models import Intake, Provision
from broker.errors import Conflict, DomainError, InputError, NotFound
from broker.extensions import db
from broker.providers.models import OrganisationToken, ProvisionChange
from broker.taxonomy import CRITERIA, KINDS

MAX_PLACES = 1000
MAX_DAYS_AHEAD = 2 * 365
# Upcoming start dates one listing may have, on every channel; a rolling intake stands for
# "any day from", so even a course starting every week fits.
MAX_UPCOMING_INTAKES = 100


def _now():
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (`row`, e.g. "row 4" or "intakes[2]") and which field."""

    row: str
    field: str
    message: str

    def __str__(self):
        return f"{self.row}, {self.field}: {self.message}" if self.row else f"{self.field}: {self.message}"


def refusal(problems: list[Problem], kind: type[DomainError] = InputError) -> DomainError:
    """The domain error for these problems: the first names the field, `errors` lists them all."""
    first = problems[0]
    return kind(first.field, str(first), errors=[{"row": p.row, "field": p.field, "message": p.message} for p in problems])


def problems_of(exc: DomainError) -> list[Problem]:
    """The problems a refusal lists, for a page to show row by row."""
    return [Problem(e.get("row", ""), e.get("field") or "", e["message"]) for e in exc.errors or []] or [
        Problem("", exc.field or "", exc.message)
    ]


@dataclass
class IntakeRow:
    """A wanted intake of a listing: start, places, rolling; `row` says where it came from."""

    start: dt.date
    places: int
    rolling: bool
    row: str = ""


@dataclass
class Plan:
    """What replacing one listing's upcoming intakes would do."""

    provision: Provision
    add: list[IntakeRow] = field(default_factory=list)
    change: list[tuple[Intake, IntakeRow]] = field(default_factory=list)
    remove: list[Intake] = field(default_factory=list)
    unchanged: list[Intake] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.add) + len(self.change) + len(self.remove)


def snapshot(p: Provision) -> dict:
    return {
        "name": p.name, "description": p.description, "category": p.category, "min_age": p.min_age,
        "max_age": p.max_age, "cost": p.cost, "eligibility": p.eligibility, "referral_route": p.referral_route,
        "kind": p.kind, "areas": p.areas, "requires": p.requires,
        "referral_contact": p.referral_contact, "referral_form_url": p.referral_form_url, "status": p.status,
        "last_confirmed": p.last_confirmed.isoformat(),
        "intakes": [
            {"id": i.id, "start": i.start.isoformat(), "places": i.places, "places_taken": i.places_taken, "rolling": i.rolling}
            for i in sorted(p.intakes, key=lambda i: (i.start, i.rolling, i.id))
        ],
    }


def record_change(p: Provision, before: dict, source: str, summary: str, user: Optional[User] = None, token_id: Optional[int] = None) -> None:
    db.session.add(
        ProvisionChange(
            provision_id=p.id, at=_now(), user_id=user.id if user else None, token_id=token_id, source=source,
            summary=summary[:300], before=json.dumps(before), after=json.dumps(snapshot(p)),
        )
    )


def own_provisions(organisation_id: int) -> list[Provision]:
    return list(db.session.scalars(select(Provision).where(Provision.organisation_id == organisation_id).order_by(Provision.name)))


def provision_for(user: User, provision_id: int) -> Provision:
    """A listing of the provider's own organisation, else 404."""
    p = db.session.get(Provision, provision_id)
    if p is None or user.role != "provider" or p.organisation_id != user.organisation_id:
        raise NotFound("provision_id", f"your organisation has no listing {provision_id}")
    return p


def stale_listings(organisation_id: int, today: dt.date, stale_days: int) -> list[Provision]:
    cutoff = today - dt.timedelta(days=stale_days)
    return list(
        db.session.scalars(
            select(Provision)
            .where(Provision.organisation_id == organisation_id, Provision.status == "active", Provision.last_confirmed < cutoff)
            .order_by(Provision.last_confirmed)
        )
    )


def confirm(p: Provision, user: User) -> None:
    """The provider says the listing is still correct as it stands."""
    before = snapshot(p)
    p.last_confirmed = dt.date.today()
    record_change(p, before, "confirm", "Confirmed as still correct", user)


LISTING_FIELDS = (
    "name", "description", "kind", "areas", "requires", "eligibility", "min_age", "max_age", "cost", "referral_route",
    "referral_contact", "referral_form_url", "status",
)


def check_rules(p: Provision, data: dict) -> None:
    """Who a listing is for, as structure: a kind of its category, council codes served
    (none: anywhere), criteria from the taxonomy."""
    if "kind" in data:
        data["kind"] = data["kind"] or None
        kinds = KINDS.get(p.category or "", {})
        if data["kind"] is not None and data["kind"] not in kinds:
            raise InputError("kind", f"choose one of: {', '.join(kinds)}" if kinds else "leave it empty for this category")
    if "areas" in data:
        areas = data["areas"] or []
        if any(a not in COUNCIL_CODES for a in areas):
            raise InputError("areas", "choose from the councils listed")
        data["areas"] = sorted(set(areas)) or None
    if "requires" in data:
        if any(c not in CRITERIA for c in data["requires"] or []):
            raise InputError("requires", "choose from: " + ", ".join(CRITERIA))
        data["requires"] = sorted(set(data["requires"] or []))


def update_listing(p: Provision, data: dict, rows: list[IntakeRow], user: User) -> None:
    """Save the listing form: its details and its upcoming intakes together, or nothing."""
    before = snapshot(p)
    check_rules(p, data)
    changed = [name for name in LISTING_FIELDS if name in data and getattr(p, name) != data[name]]
    plan = plan_intakes(p, rows, dt.date.today())
    if plan.problems:
        raise refusal(plan.problems)
    for name in changed:
        setattr(p, name, data[name])
    apply_plans([plan])
    p.last_confirmed = dt.date.today()  # a provider who has just saved it has checked it
    parts = ([f"changed {', '.join(changed)}"] if changed else []) + ([describe(plan)] if plan.changes else [])
    record_change(p, before, "form", "; ".join(parts) or "Saved without changes (confirmed)", user)


def check_row(raw_start, raw_places, raw_rolling, row: str, today: dt.date, problems: list[Problem], prefix: str = "") -> Optional[IntakeRow]:
    """Validate one wanted intake from any channel; append problems naming the field."""
    ok = True
    rolling = False
    if raw_rolling is None or raw_rolling == "":
        rolling = False
    elif isinstance(raw_rolling, bool):
        rolling = raw_rolling
    elif str(raw_rolling).strip().lower() in {"yes", "true", "1", "y"}:
        rolling = True
    elif str(raw_rolling).strip().lower() in {"no", "false", "0", "n"}:
        rolling = False
    else:
        problems.append(Problem(row, prefix + "rolling", f"must be yes or no, got {raw_rolling!r}"))
        ok = False
    start = None
    try:
        start = dt.date.fromisoformat(str(raw_start).strip()) if not isinstance(raw_start, dt.date) else raw_start
    except ValueError:
        problems.append(Problem(row, prefix + "start", f"must be a date as YYYY-MM-DD, got {raw_start!r}"))
        ok = False
    if start is not None:
        if start < today and not rolling:
            problems.append(Problem(row, prefix + "start", f"{start.isoformat()} is in the past; list only intakes still to start"))
            ok = False
        elif start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            problems.append(Problem(row, prefix + "start", f"{start.isoformat()} is more than two years ahead"))
            ok = False
    places = None
    if isinstance(raw_places, bool):
        raw_places = "not a number"
    try:
        places = int(str(raw_places).strip()) if not isinstance(raw_places, int) else raw_places
        if isinstance(raw_places, float) or (isinstance(raw_places, str) and "." in raw_places):
            raise ValueError
    except ValueError:
        problems.append(Problem(row, prefix + "places", f"must be a whole number, got {raw_places!r}"))
        ok = False
    if places is not None and not 0 <= places <= MAX_PLACES:
        problems.append(Problem(row, prefix + "places", f"must be between 0 and {MAX_PLACES}, got {places}"))
        ok = False
    return IntakeRow(start, places, rolling, row) if ok else None


def plan_intakes(p: Provision, rows: list[IntakeRow], today: dt.date) -> Plan:
    """Work out how to make the listing's upcoming intakes exactly `rows` (nothing is written).

    Intakes already started (and not rolling) are history and stay as they are. An
    intake is matched by its start day and whether it is rolling, so places held by
    referrals stay with it.
    """
    plan = Plan(provision=p)
    if len(rows) > MAX_UPCOMING_INTAKES:
        plan.problems.append(
            Problem("", "intakes", f"{len(rows)} start dates is more than {MAX_UPCOMING_INTAKES}; list at most {MAX_UPCOMING_INTAKES} (a rolling intake covers any day from its start)")
        )
        return plan
    seen: dict[tuple, str] = {}
    for r in rows:
        key = (r.start, r.rolling)
        if key in seen:
            plan.problems.append(Problem(r.row, "start", f"{r.start.isoformat()} is listed twice (also {seen[key]})"))
        seen[key] = r.row
    current = {(i.start, i.rolling): i for i in p.upcoming_intakes(today)}
    for r in rows:
        existing = current.get((r.start, r.rolling))
        if existing is None:
            plan.add.append(r)
        elif r.places < existing.places_taken:
            plan.problems.append(
                Problem(r.row, "places", f"{existing.places_taken} places on this intake are held by referrals; set at least {existing.places_taken}")
            )
        elif r.places != existing.places:
            plan.change.append((existing, r))
        else:
            plan.unchanged.append(existing)
    for key, existing in current.items():
        if key not in seen:
            if existing.places_taken:
                plan.problems.append(
                    Problem("", "intakes", f"the intake starting {existing.start.isoformat()} has {existing.places_taken} places held by referrals; keep it in the list")
                )
            else:
                plan.remove.append(existing)
    return plan


def apply_plans(plans: list[Plan]) -> None:
    """Carry out plans inside the caller's unit of work; raise Conflict (the request rolls back) if a
    referral took a place between planning and writing."""
    from broker.referrals.models import Referral

    for plan in plans:
        p = plan.provision
        for existing, r in plan.change:
            done = db.session.execute(
                update(Intake)
                .where(Intake.id == existing.id, Intake.places_taken <= r.places)
                .values(places=r.places)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                raise refusal([Problem(r.row, "places", "a referral has just taken a place on this intake; reload and try again")], Conflict)
            db.session.expire(existing)  # the UPDATE bypassed the ORM: reload it when next read
        for existing in plan.remove:
            referenced = db.session.scalar(select(func.count()).select_from(Referral).where(Referral.intake_id == existing.id))
            stmt = (
                update(Intake).where(Intake.id == existing.id, Intake.places_taken == 0).values(places=0)
                if referenced  # past referrals point at it: close it rather than delete it
                else delete(Intake).where(Intake.id == existing.id, Intake.places_taken == 0)
            )
            if db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:
                raise refusal([Problem("", "intakes", f"a referral has just taken a place on the intake starting {existing.start.isoformat()}")], Conflict)
            if referenced:
                db.session.expire(existing)
            else:
                # The row is gone: the session must forget it too, or an intake added below
                # that the database gives the same id would clash with it in the identity map.
                db.session.expunge(existing)
        # Reload the listing's intakes from the database when next read (without the deleted ones).
        db.session.expire(p, ["intakes"])
        for r in plan.add:
            db.session.add(Intake(provision_id=p.id, start=r.start, places=r.places, places_taken=0, rolling=r.rolling))
        index_sync.touch(db.session, [p.id])
        db.session.flush()


def describe(plan: Plan) -> str:
    parts = []
    if plan.add:
        parts.append(f"added {len(plan.add)} intake(s)")
    if plan.change:
        parts.append(f"changed places on {len(plan.change)}")
    if plan.remove:
        parts.append(f"removed {len(plan.remove)}")
    return ", ".join(parts) or "no change"


def replace_intakes(p: Provision, rows: list[IntakeRow], source: str, user: Optional[User] = None, token_id: Optional[int] = None) -> Plan:
    """Replace one listing's upcoming intakes (API); any problem raises InputError listing them all."""
    plan = plan_intakes(p, rows, dt.date.today())
    if plan.problems:
        raise refusal(plan.problems)
    before = snapshot(p)
    apply_plans([plan])
    p.last_confirmed = dt.date.today()
    record_change(p, before, source, describe(plan) if plan.changes else "Confirmed unchanged", user, token_id)
    return plan


# ---------------------------------------------------------------------------- tokens

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, label: str) -> str:
    token = "org_" + secrets.token_urlsafe(32)
    db.session.add(
        OrganisationToken(organisation_id=user.organisation_id, label=label.strip()[:100] or "API token",
                          token_hash=_digest(token), created_by_id=user.id, created_at=_now())
    )
    return token


def revoke_token(user: User, token_id: int) -> None:
    row = db.session.get(OrganisationToken, token_id)
    if row is None or row.organisation_id != user.organisation_id:
        raise NotFound("token_id", f"your organisation has no token {token_id}")
    row.revoked_at = _now()


def organisation_for_token(token: str) -> Optional[OrganisationToken]:
    row = db.session.scalar(select(OrganisationToken).where(OrganisationToken.token_hash == _digest(token)))
    return row if row is not None and row.revoked_at is None else None
