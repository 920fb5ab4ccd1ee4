"""Write a feed's mapped services into the directory: whole records only, places held kept.

Each service is written inside its own savepoint: it comes in whole or, if the database
refuses any of it, not at all (and is reported). With `strict`, any problem anywhere
and nothing is written. The caller commits once (the CLI) or rolls back (a dry run).

Re-importing updates what changed and records each changed listing in its history
(source "feed", the summary naming the feed). Listings are found by their public id
(mapping.ServiceRecord.uid), so a re-import, or our own export read back, never
duplicates one. Services missing from a later feed are left as they are: a file may
hold one service only.

Places (docs/oruk.md, "Places and referrals"). An intake's places_taken counts places
held by referrals made here plus places the feed says went elsewhere
(places_taken_outside). A feed gives `maximum` and `available`; its taken
(maximum - available) replaces only the outside part:
    held    = places_taken - places_taken_outside        (referrals here)
    taken   = max(feed's taken, held)                     a feed cannot free a held place
    places  = max(feed's maximum, held)                   never fewer places than held
    outside = taken - held
written as one conditional UPDATE computed from the row as it is when written, like the
place hold itself, so a referral sent while the import runs is never lost or overbooked.
Intakes the feed no longer lists are removed (closed if past referrals point at them)
only while no referral holds a place on them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import case, delete, exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from broker.directory import index_sync
from broker.directory.models import NEEDS_REVIEW, Intake, Location, Organisation, Provision
from broker.directory.oruk.ids import derived_id
from broker.directory.oruk.mapping import CapacityRecord, Problem, ServiceRecord, map_service
from broker.directory.oruk.read import Feed

SOURCE = "feed"  # ProvisionChange.source of an Open Referral import
# Above this many services the CLI pauses per-commit reindexing and rebuilds the index once.
BULK_THRESHOLD = 500
_ORG_FIELDS = ("name", "description", "email", "phone", "website")
_FIELDS = ("name", "description", "min_age", "max_age", "cost", "eligibility", "application_process", "wait_time",
           "referral_route", "referral_contact", "referral_form_url", "areas", "schedules", "required_documents",
           "languages", "contacts", "service_areas")
_LOCATION_FIELDS = ("uid", "name", "address", "postcode", "lat", "lon")


_COUNTERS = ("organisations_added", "organisations_updated", "organisations_unchanged",
             "provisions_added", "provisions_updated", "provisions_unchanged")


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    strict: bool = False
    organisations_added: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    provisions_added: int = 0
    provisions_updated: int = 0
    provisions_unchanged: int = 0
    needs_review: list[str] = field(default_factory=list)  # where (name) of each service waiting for review
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False  # False: refused whole (strict, or nothing could be read)

    @property
    def services_left_out(self) -> int:
        return len({p.where for p in self.problems if p.left_out == "service"})


def import_feed(feed: Feed, session: Session, *, today: Optional[dt.date] = None, dry_run: bool = False,
                strict: bool = False, progress=None) -> ImportReport:
    """Map and write every service of `feed`; the caller commits (or rolls back a dry run)."""
    today = today or dt.date.today()
    report = ImportReport(feed.source, dry_run=dry_run, strict=strict, problems=list(feed.problems), notes=list(feed.notes))
    if not feed.readable:
        return report
    records = []
    for where, svc in feed.services:
        record, problems, notes = map_service(svc, where, today)
        report.problems += problems
        report.notes += notes
        if record is not None:
            records.append(record)
    report.problems = list(dict.fromkeys(report.problems))  # a place shared by two services is reported once
    if strict and report.problems:
        return report
    seen_orgs: set[str] = set()
    _begin(session)
    for record in records:
        counted = {name: getattr(report, name) for name in _COUNTERS}
        lengths, orgs_before = (len(report.needs_review), len(report.notes)), set(seen_orgs)
        try:
            with session.begin_nested():
                _write_service(session, record, today, report, seen_orgs)
        except SQLAlchemyError as exc:
            # Nothing of the record was written, so nothing of it is counted either.
            for name, value in counted.items():
                setattr(report, name, value)
            del report.needs_review[lengths[0]:], report.notes[lengths[1]:]
            seen_orgs.intersection_update(orgs_before)
            reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
            report.problems.append(Problem(record.where, "record", f"the database refused it: {reason}"))
            if strict:
                session.rollback()
                report.written = False
                return report
        if progress is not None:
            progress.update(1)
    report.written = True
    return report


def _begin(session: Session) -> None:
    """Open the real transaction before the first savepoint.

    Python's sqlite3 (legacy transaction control, before 3.12) sends no BEGIN before a
    SAVEPOINT, so releasing the first savepoint would commit by itself and a dry run or
    --strict could not be rolled back. IMMEDIATE takes the write lock now rather than
    failing to upgrade a read lock halfway through.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def status_for(record: ServiceRecord, held: Optional[Provision]) -> tuple[str, Optional[str], Optional[str], list, Optional[str]]:
    """(status, category, kind, requires, review_reason) for an imported service (docs/oruk.md, "Categories")."""
    place = record.placement
    if place.confident:
        return ("withdrawn" if record.status == "withdrawn" else "active"), place.category, place.kind, place.requires, None
    if held is not None and held.category and held.review_reason is None:
        # Placed before, by the feed or by someone who reviewed it: keep what they chose.
        return ("withdrawn" if record.status == "withdrawn" else "active"), held.category, held.kind, held.requires or [], None
    if held is not None and held.status == "withdrawn" and held.category is None and held.review_reason is None:
        return "withdrawn", None, None, [], None  # turned down at review: not for young people
    status = "withdrawn" if record.status == "withdrawn" else NEEDS_REVIEW
    return status, place.category, place.kind, [], place.reason


def _write_organisation(session: Session, record: ServiceRecord, report: ImportReport, seen: set[str]) -> Organisation:
    rec = record.organisation
    org = session.scalars(select(Organisation).where(or_(Organisation.uid == rec.uid, Organisation.key == rec.key))).first()
    first_time = rec.uid not in seen
    seen.add(rec.uid)
    if org is None:
        org = Organisation(uid=rec.uid, key=rec.key, **{f: getattr(rec, f) for f in _ORG_FIELDS})
        session.add(org)
        if first_time:
            report.organisations_added += 1
        return org
    changed = [f for f in _ORG_FIELDS if getattr(org, f) != getattr(rec, f)]
    for f in changed:
        setattr(org, f, getattr(rec, f))
    if first_time:
        if changed:
            report.organisations_updated += 1
        else:
            report.organisations_unchanged += 1
    return org


def _write_service(session: Session, record: ServiceRecord, today: dt.date, report: ImportReport, seen_orgs: set[str]) -> None:
    from broker.providers.services import record_change, snapshot

    org = _write_organisation(session, record, report, seen_orgs)
    p = session.scalars(
        select(Provision).where(or_(Provision.uid == record.uid, Provision.key == record.key))
        .options(selectinload(Provision.locations), selectinload(Provision.intakes), selectinload(Provision.organisation))
    ).first()
    status, category, kind, requires, reason = status_for(record, p)
    if p is None:
        p = Provision(uid=record.uid, key=record.key, organisation=org, status=status, category=category, kind=kind,
                      requires=requires, review_reason=reason, last_confirmed=record.last_confirmed or today,
                      **{f: getattr(record, f) for f in _FIELDS})
        p.locations = [Location(**{f: getattr(loc, f) for f in (*_LOCATION_FIELDS, "sal_uid")}) for loc in record.locations]
        session.add(p)
        session.flush()
        for cap in record.capacities or []:
            _add_intake(session, p, cap, today, report)
        session.flush()
        record_change(p, {}, SOURCE, f"Imported from {report.source}")
        report.provisions_added += 1
        if status == NEEDS_REVIEW:
            report.needs_review.append(record.where)
        return

    before = snapshot(p)
    changed = [f for f in _FIELDS if getattr(p, f) != getattr(record, f)]
    for f in changed:
        setattr(p, f, getattr(record, f))
    for name, value in (("status", status), ("category", category), ("kind", kind), ("requires", requires),
                        ("review_reason", reason)):
        if (getattr(p, name) or None) != (value or None):
            setattr(p, name, value)
            changed.append(name)
    if p.organisation is not org:
        p.organisation = org
        changed.append("organisation")
    if record.last_confirmed is not None and p.last_confirmed != record.last_confirmed:
        p.last_confirmed = record.last_confirmed
        changed.append("last_confirmed")
    if _write_locations(session, p, record):
        changed.append("locations")
    session.flush()
    if record.capacities is not None:
        changed += _write_intakes(session, p, record, today, report)
    if status == NEEDS_REVIEW:
        report.needs_review.append(record.where)
    if not changed:
        report.provisions_unchanged += 1
        return
    record_change(p, before, SOURCE, f"Open Referral feed {report.source}: changed {', '.join(dict.fromkeys(changed))}")
    report.provisions_updated += 1


def _write_locations(session: Session, p: Provision, record: ServiceRecord) -> bool:
    """Make the listing's places the feed's, updating rows in place (their public ids are unique)."""
    held = {loc.sal_uid: loc for loc in p.locations}
    wanted = {loc.sal_uid: loc for loc in record.locations}
    changed = False
    for sal_uid, loc in list(held.items()):
        if sal_uid not in wanted:
            p.locations.remove(loc)
            changed = True
    if changed:
        session.flush()  # the old rows go before any new row could take their ids
    for sal_uid, rec in wanted.items():
        loc = held.get(sal_uid)
        if loc is None:
            p.locations.append(Location(sal_uid=sal_uid, **{f: getattr(rec, f) for f in _LOCATION_FIELDS}))
            changed = True
            continue
        for f in _LOCATION_FIELDS:
            if getattr(loc, f) != getattr(rec, f):
                setattr(loc, f, getattr(rec, f))
                changed = True
    return changed


def _free_uid(session: Session, p: Provision, uid: str) -> str:
    taken = session.scalar(select(Intake.provision_id).where(Intake.uid == uid))
    return uid if taken is None or taken == p.id else derived_id(p.uid, "capacity", uid)


def _add_intake(session: Session, p: Provision, cap: CapacityRecord, today: dt.date, report: ImportReport) -> bool:
    start = cap.start or today
    if start < today and not cap.rolling:
        report.notes.append(f"{cap.where}: the intake starting {start} has already started; not listed")
        return False
    taken = cap.maximum - cap.available
    session.add(Intake(uid=_free_uid(session, p, cap.uid), provision_id=p.id, start=start, places=cap.maximum,
                       places_taken=taken, places_taken_outside=taken, rolling=cap.rolling))
    return True


def _match(p: Provision, caps: list[CapacityRecord], today: dt.date) -> tuple[list[tuple[CapacityRecord, Optional[Intake]]], list[Intake]]:
    """Pair each capacity with an intake we hold (by id, then start, then the one rolling intake), and what is left over."""
    free = list(p.intakes)
    pairs = []
    for cap in caps:
        found = next((i for i in free if i.uid == cap.uid), None)
        if found is None and cap.start is not None:
            found = next((i for i in free if (i.start, i.rolling) == (cap.start, cap.rolling)), None)
        if found is None and cap.start is None:
            found = next((i for i in sorted(free, key=lambda i: i.start) if i.rolling), None)
        if found is not None:
            free.remove(found)
        pairs.append((cap, found))
    leftover = [i for i in free if i.rolling or i.start >= today]  # started intakes are history
    return pairs, leftover


def _note_held(report: ImportReport, cap: CapacityRecord, intake: Intake, feed_taken: int) -> None:
    if intake.places_held > feed_taken:
        report.notes.append(f"{cap.where}: the feed says {cap.available} of {cap.maximum} places are free, but referrals "
                            f"here hold {intake.places_held}; {intake.places_left} left")


def _write_intakes(session: Session, p: Provision, record: ServiceRecord, today: dt.date, report: ImportReport) -> list[str]:
    from broker.referrals.models import Referral

    pairs, leftover = _match(p, record.capacities or [], today)
    changed = []
    for cap, intake in pairs:
        if intake is None:
            if _add_intake(session, p, cap, today, report):
                changed.append("intakes added")
            continue
        feed_taken = cap.maximum - cap.available
        held = intake.places_held
        start, rolling = (cap.start, cap.rolling) if cap.start is not None else (intake.start, intake.rolling)
        want = (max(cap.maximum, held), max(feed_taken, held), start, rolling)
        if (intake.places, intake.places_taken, intake.start, intake.rolling) == want:
            _note_held(report, cap, intake, feed_taken)
            continue
        # Computed from the row as it is when written: a referral sent meanwhile is counted.
        held_now = case((Intake.places_taken > Intake.places_taken_outside, Intake.places_taken - Intake.places_taken_outside), else_=0)
        taken_now = case((held_now > feed_taken, held_now), else_=feed_taken)
        session.execute(
            update(Intake).where(Intake.id == intake.id)
            .values(places=case((held_now > cap.maximum, held_now), else_=cap.maximum), places_taken=taken_now,
                    places_taken_outside=taken_now - held_now, start=start, rolling=rolling)
            .execution_options(synchronize_session=False)
        )
        session.refresh(intake)
        _note_held(report, cap, intake, feed_taken)
        changed.append("places")
    for intake in leftover:
        referenced = session.scalar(select(exists().where(Referral.intake_id == intake.id)))
        if referenced and (intake.places, intake.places_taken) == (0, 0):
            continue
        stmt = (
            update(Intake).values(places=0, places_taken=0, places_taken_outside=0) if referenced  # closed, not deleted
            else delete(Intake)
        ).where(Intake.id == intake.id, Intake.places_taken <= Intake.places_taken_outside)
        if session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1:
            changed.append("intakes removed")
        else:
            report.notes.append(f"{record.where}: kept the intake starting {intake.start}, which the feed no longer lists: "
                                f"referrals hold {intake.places_held} place(s) on it")
    if changed:
        index_sync.touch(session, [p.id])
        session.flush()
        for intake in p.intakes:
            session.expire(intake)
        session.expire(p, ["intakes"])
    return changed
