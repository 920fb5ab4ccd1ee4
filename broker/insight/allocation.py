"""Allocation runs: the matcher over every open need against current intakes, and what-if.

The problem (one `matching.Problem` for the whole scope):

- Young people: every client with an open need whose area (`home_area`) is in scope. Each is
  turned into a matcher client by `broker.clients.suggestions.matcher_client`, the same
  code PA suggestions use (contract version 2), so needs are one per category,
  ``available_from`` is ``max(available_from, today)``, and their area, criteria,
  birth date, when each need was recorded and their preferences go in.
- Provision: every active listing with an upcoming intake (rolling, or not yet started),
  wherever it is (young people cross council borders; the areas a listing serves and
  the matcher's travel limit decide), built by
  `broker.clients.suggestions.matcher_provision`: every site (distance to the nearest),
  areas, requirements; stale listings weigh `STALE_WEIGHT` as in suggestions. The
  figures count a listing in the council of its first site (`listing_area`).
- Places: an intake offers ``places - places_taken``, and a full intake stays in with 0
  places (the contract allows it), so a need that only full intakes could take is unmet
  for ``capacity``, not ``no_eligible_provision``. Accepted referrals are pinned
  (the young person has a place). Their place is already in ``places_taken`` and the
  matcher takes one place per pin again, so each pinned referral adds one back to its
  intake's places in the problem: a pinned place is counted once. Referrals awaiting an
  answer (sent, more information) keep their held place out of supply and their need in
  the problem (the provider may still decline). Started referrals have met their need,
  so neither appears. An accepted referral whose intake can no longer be joined (or
  whose listing was withdrawn) cannot be pinned; its need is left out as placed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

import matching
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.clients.suggestions import matcher_client, matcher_provision
from broker.directory.models import Provision
from broker.errors import InputError
from broker.extensions import db
from broker.inputs import parse_month
from broker.councils import area_centre, area_for_postcode, council_name
from broker.eligibility import age_on, client_area
from broker.insight.models import AllocationPlaceValue, AllocationProposal, AllocationRun, AllocationUnmet
from broker.referrals.models import Referral

WHAT_IF_PREFIX = "what-if"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def listing_area(p: Provision) -> str:
    """The council a listing is counted in for figures and what-if: that of its first site
    (a listing with several sites counts once). Who it serves is `Provision.areas`."""
    return area_for_postcode(p.locations[0].postcode)


@dataclass(frozen=True)
class NeedRef:
    """What a matcher need stands for, without naming the young person."""

    need_id: int
    category: str
    area: str
    month: str
    urgency: int


@dataclass
class AllocationProblem:
    """The matcher's problem plus what maps its ids back to needs and areas."""

    problem: matching.Problem
    pinned: list[tuple[str, str, str]]
    needs: dict[tuple[str, str], NeedRef]
    provision_areas: dict[str, str]
    # Every active listing with a site, whether or not it has free places, without intakes.
    listings: dict[str, matching.Provision] = field(default_factory=dict)
    area: Optional[str] = None
    build_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _scope_clients(area: Optional[str]) -> list[Client]:
    has_open = select(ClientNeed.client_id).where(ClientNeed.status == "open")
    clients = db.session.scalars(
        select(Client).where(Client.id.in_(has_open))
        .options(selectinload(Client.needs), selectinload(Client.preferences)).order_by(Client.id)
    ).all()
    return [c for c in clients if area is None or home_area(c) == area]


def home_area(c: Client) -> str:
    """The council a young person is counted in: the one whose services they use (the area
    their PA recorded, else their home postcode's). Every insight figure places them so
    (in SQL: `sql.area_code`)."""
    return council_name(client_area(c))


def build_allocation_problem(today: dt.date | None = None, area: Optional[str] = None) -> AllocationProblem:
    """One matcher problem over every open need in `area` (None: everywhere), as the module says."""
    t0 = time.perf_counter()
    today = today or dt.date.today()
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    clients = _scope_clients(area)
    client_ids = {c.id for c in clients}

    provisions = db.session.scalars(
        select(Provision)
        .where(Provision.status == "active")
        .options(selectinload(Provision.intakes), selectinload(Provision.locations))
        .order_by(Provision.id)
    ).all()
    upcoming = {i.id: p for p in provisions if p.locations for i in p.upcoming_intakes(today)}

    # Accepted referrals: pin those whose intake is in the problem, once per (client, category).
    pins: dict[tuple[int, str], int] = {}
    placed_elsewhere: set[tuple[int, str]] = set()
    pins_per_intake: Counter[int] = Counter()
    accepted = db.session.scalars(
        select(Referral).where(Referral.status == "accepted").options(selectinload(Referral.need)).order_by(Referral.id)
    ).all()
    for r in accepted:
        if r.client_id not in client_ids or r.need.status != "open":
            continue
        key = (r.client_id, r.need.category)
        if key in pins or key in placed_elsewhere:
            continue
        if r.intake_id in upcoming:
            pins[key] = r.intake_id
            pins_per_intake[r.intake_id] += 1
        else:
            placed_elsewhere.add(key)

    m_clients, needs, pinned = [], {}, []
    for c in clients:
        m_client = matcher_client(c, today)
        keep = tuple(k for k in m_client.needs if (c.id, k) not in placed_elsewhere)
        if not keep:
            continue
        m_clients.append(dataclasses.replace(m_client, needs=keep))
        c_area, c_month = home_area(c), month_of(m_client.available_from)
        for k in keep:
            first = next(n for n in c.open_needs if n.category == k)
            needs[(m_client.id, k)] = NeedRef(first.id, k, c_area, c_month, c.urgency)
            if (c.id, k) in pins:
                pinned.append((m_client.id, k, str(pins[(c.id, k)])))

    m_provisions, provision_areas, listings = [], {}, {}
    for p in provisions:
        if not p.locations:
            continue
        listing = matcher_provision(p, today, stale_days, pins_per_intake)
        provision_areas[listing.id] = listing_area(p)
        listings[listing.id] = dataclasses.replace(listing, intakes=())
        if listing.intakes:  # full ones included (0 places)
            m_provisions.append(listing)
    problem = matching.Problem(as_of=today, clients=tuple(m_clients), provisions=tuple(m_provisions), version=2, report=frozenset({"marginal_values"}))
    return AllocationProblem(problem, pinned, needs, provision_areas, listings, area, time.perf_counter() - t0)


def figures(ap: AllocationProblem, alloc: matching.Allocation, problem: matching.Problem | None = None) -> dict:
    """The run's figures: counts, urgency-weighted counts and means; no one is named."""
    problem = problem or ap.problem
    urgency = {c.id: c.urgency for c in problem.clients}
    total = sum(len(c.needs) for c in problem.clients)
    waits = [p.wait_days for p in alloc.placements]
    kms = [p.distance_km for p in alloc.placements]
    reasons = Counter(u.reason for u in alloc.unmet)
    keep = ("solver", "mode", "candidate_arcs", "seconds", "gap_bound", "optimal")
    return {
        "young_people": len(problem.clients),
        "needs": total,
        "met": len(alloc.placements),
        "pinned": sum(1 for p in alloc.placements if p.pinned),
        "unmet": len(alloc.unmet),
        "unmet_capacity": reasons.get("capacity", 0),
        "unmet_no_eligible": reasons.get("no_eligible_provision", 0),
        "urgency_needs": sum(c.urgency * len(c.needs) for c in problem.clients),
        "urgency_met": sum(urgency[p.client] for p in alloc.placements),
        "mean_wait_days": round(statistics.fmean(waits), 2) if waits else None,
        "mean_km": round(statistics.fmean(kms), 2) if kms else None,
        "objective": alloc.objective,
        "provisions": len(problem.provisions),
        "intakes": sum(len(p.intakes) for p in problem.provisions),
        "places": sum(i.places for p in problem.provisions for i in p.intakes),
        "solver": {k: alloc.stats[k] for k in keep if k in alloc.stats},
    }


def solve(ap: AllocationProblem, problem: matching.Problem | None = None) -> matching.Allocation:
    return matching.solve(problem or ap.problem, pinned=ap.pinned)


def run_allocation(
    user: Optional[User] = None,
    area: Optional[str] = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> AllocationRun:
    """Run the matcher over every open need in `area` (None: all) and store the run and its unmet needs."""
    step = progress or (lambda _label: None)
    today = today or dt.date.today()
    t0 = time.perf_counter()
    ap = build_allocation_problem(today, area)
    step("problem built")
    alloc = solve(ap)
    step("matcher solved")
    figs = figures(ap, alloc)
    figs["build_seconds"] = round(ap.build_seconds, 3)
    run = AllocationRun(
        started_at=dt.datetime.now(dt.timezone.utc), as_of=today, started_by_id=user.id if user else None, area=area,
    )
    ages = {c.id: _age_on(c, today) for c in ap.problem.clients}
    for u in alloc.unmet:
        ref = ap.needs[(u.client, u.need)]
        run.unmet.append(AllocationUnmet(need_id=ref.need_id, category=ref.category, area=ref.area, month=ref.month,
                                         reason=u.reason, blocked_by=u.blocked_by, age_band=age_band(ages.get(u.client))))
    for pl in alloc.placements:
        if not pl.pinned:  # a pinned placement is an accepted referral already
            db.session.add(AllocationProposal(run=run, need_id=ap.needs[(pl.client, pl.need)].need_id, provision_id=int(pl.provision),
                                              intake_id=int(pl.intake), start=pl.start, wait_days=pl.wait_days))
    run.place_values = place_values(ap, alloc, today)
    step("marginal values read")
    figs["seconds"] = round(time.perf_counter() - t0, 3)
    run.figures_json = json.dumps(figs)
    db.session.add(run)
    db.session.flush()
    step("run stored")
    return run


RUN_STEPS = 4
AGE_BANDS = ((13, 15, "13-15"), (16, 17, "16-17"), (18, 19, "18-19"))
NOT_GIVEN = "Not given"
# Needs met by one more place is found by re-running the matcher, so only for the intakes where it helps most.
EXTRA_MET_TOP = 3


def _age_on(c: matching.Client, day: dt.date) -> Optional[int]:
    """A matcher client's age in whole years on `day` (version 2 clients carry a birth date)."""
    return c.age if c.birth_date is None else age_on(c.birth_date, day)


def age_band(age: Optional[float]) -> Optional[str]:
    """13-15, 16-17 or 18-19 (None outside them or unknown)."""
    if age is None:
        return None
    for lo, hi, label in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return None


def band_on(born: Optional[dt.date], day: dt.date) -> str:
    """A young person's age band on `day`, as figures group them (NOT_GIVEN outside the bands or with no birth date)."""
    return (age_band(age_on(born, day)) if born else None) or NOT_GIVEN


def with_one_more_place(problem: matching.Problem, intake_id: str) -> matching.Problem:
    provisions = tuple(
        dataclasses.replace(p, intakes=tuple(dataclasses.replace(i, places=i.places + 1) if i.id == intake_id else i
                                             for i in p.intakes))
        if any(i.id == intake_id for i in p.intakes) else p
        for p in problem.provisions
    )
    return dataclasses.replace(problem, provisions=provisions)


def place_values(ap: AllocationProblem, alloc: matching.Allocation, today: dt.date) -> list[AllocationPlaceValue]:
    """Every intake where one more place would add value (the matcher's marginal values), highest first;
    the top EXTRA_MET_TOP also say how many more needs that place meets (the matcher re-run with it)."""
    values = alloc.marginal_values or {}
    where = {i.id: (p, i) for p in ap.problem.provisions for i in p.intakes}
    rows = []
    for intake_id, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or intake_id not in where:
            continue
        p, i = where[intake_id]
        start = max(i.start, today) if i.rolling else i.start
        extra = None
        if len(rows) < EXTRA_MET_TOP:
            extra = len(solve(ap, with_one_more_place(ap.problem, intake_id)).placements) - len(alloc.placements)
        rows.append(AllocationPlaceValue(
            provision_id=int(p.id), intake_id=int(intake_id), category=p.category, area=ap.provision_areas[p.id],
            month=month_of(start), marginal_value=round(value, 2), extra_met=extra,
        ))
    return rows


def latest_run() -> Optional[AllocationRun]:
    return db.session.scalar(select(AllocationRun).order_by(AllocationRun.started_at.desc(), AllocationRun.id.desc()).limit(1))


def recent_runs(limit: int = 10) -> list[AllocationRun]:
    return list(db.session.scalars(select(AllocationRun).order_by(AllocationRun.started_at.desc(), AllocationRun.id.desc()).limit(limit)))


def proposals_for(client: Client) -> tuple[Optional[AllocationRun], list[AllocationProposal]]:
    """What the latest run covering this young person's area proposes for their open needs (for their PA)."""
    area = home_area(client)
    run = db.session.scalar(
        select(AllocationRun).where((AllocationRun.area.is_(None)) | (AllocationRun.area == area))
        .order_by(AllocationRun.started_at.desc(), AllocationRun.id.desc()).limit(1))
    if run is None:
        return None, []
    open_ids = [n.id for n in client.open_needs]
    rows = db.session.scalars(
        select(AllocationProposal).where(AllocationProposal.run_id == run.id, AllocationProposal.need_id.in_(open_ids))
        .options(selectinload(AllocationProposal.provision)).order_by(AllocationProposal.id)
    ).all()
    return run, list(rows)


def where_places_help(run: Optional[AllocationRun] = None, limit: int = 20) -> list[AllocationPlaceValue]:
    """The run's intakes where one more place adds most value, highest first (latest run by default)."""
    run = run or latest_run()
    if run is None:
        return []
    return list(db.session.scalars(
        select(AllocationPlaceValue).where(AllocationPlaceValue.run_id == run.id)
        .order_by(AllocationPlaceValue.marginal_value.desc(), AllocationPlaceValue.id).limit(limit)
    ))


# --------------------------------------------------------------------------- what-if


def add_places(ap: AllocationProblem, category: str, area: str, start: dt.date, places: int) -> matching.Problem:
    """The problem with `places` more places in `category` in `area`, joinable from `start`.

    The places are new rolling intakes starting on `start` (a month's 1st), spread as
    evenly as possible over the area's active listings in that category, in id order
    (the first listings get the remainder). An area with no such listing gets one new
    listing at the centre of the area, open to every age.
    """
    in_problem = {p.id: p for p in ap.problem.provisions}
    targets = [
        in_problem.get(pid) or ap.listings[pid]
        for pid in what_if_targets(ap, category, area)
    ]
    provisions = list(ap.problem.provisions)
    if not targets:
        centre = area_centre(area)
        if centre is None:
            raise InputError("area", f"no centre known for {area!r}")
        provisions.append(matching.Provision(
            id=f"{WHAT_IF_PREFIX}-{category}-{area}", category=category, location=matching.Location(*centre),
            intakes=(matching.Intake(id=f"{WHAT_IF_PREFIX}-{category}-{area}-1", start=start, places=places, rolling=True),),
        ))
        return dataclasses.replace(ap.problem, provisions=tuple(provisions))
    share, extra = divmod(places, len(targets))
    added = {}
    for j, p in enumerate(targets):
        n = share + (1 if j < extra else 0)
        if n:
            added[p.id] = dataclasses.replace(
                p, intakes=p.intakes + (matching.Intake(id=f"{WHAT_IF_PREFIX}-{p.id}", start=start, places=n, rolling=True),)
            )
    provisions = [added.get(p.id, p) for p in provisions] + [p for pid, p in added.items() if pid not in in_problem]
    return dataclasses.replace(ap.problem, provisions=tuple(provisions))


def what_if_targets(ap: AllocationProblem, category: str, area: str) -> list[str]:
    """Ids of the listings that would get the added places (empty: a new listing at the area centre)."""
    # Listings with no free intake (all full) still take new places: they are real capacity.
    return sorted((pid for pid, p in ap.listings.items() if p.category == category and ap.provision_areas[pid] == area), key=int)


WHAT_IF_STEPS = 3


def what_if(category: str, area: str, month: str, places: int, today: dt.date | None = None,
            scope: Optional[str] = None, progress: Callable[[str], None] | None = None) -> dict:
    """How many more needs the matcher would meet, and the change in mean wait, with `places` more places.

    `progress` is told what comes next after each of WHAT_IF_STEPS steps."""
    step = progress or (lambda _label: None)
    from broker.taxonomy import CATEGORIES
    from broker.councils import areas

    today = today or dt.date.today()
    if category not in CATEGORIES:
        raise InputError("category", f"choose one of: {', '.join(CATEGORIES)}")
    if area not in areas():
        raise InputError("area", f"choose one of: {', '.join(areas())}")
    start = parse_month(month, "month", InputError)
    if start < today.replace(day=1):
        raise InputError("month", "must be this month or later")
    if not isinstance(places, int) or isinstance(places, bool) or not 1 <= places <= 1000:
        raise InputError("places", "must be a whole number from 1 to 1000")
    ap = build_allocation_problem(today, scope)
    step("Solving with today's places")
    base_alloc = solve(ap)
    base = figures(ap, base_alloc)
    step("Solving with the added places")
    changed = add_places(ap, category, area, start, places)
    after_alloc = solve(ap, changed)
    after = figures(ap, after_alloc, changed)
    step("Done")
    delta_wait = None
    if base["mean_wait_days"] is not None and after["mean_wait_days"] is not None:
        delta_wait = round(after["mean_wait_days"] - base["mean_wait_days"], 2)
    would_meet = newly_met(ap, base_alloc, after_alloc)
    delta_met = after["met"] - base["met"]
    return {
        "category": category, "area": area, "month": month, "places": places, "scope": scope,
        "targets": what_if_targets(ap, category, area),
        "before": base, "after": after,
        "delta_met": delta_met, "extra_met": delta_met,
        "delta_urgency_met": after["urgency_met"] - base["urgency_met"],
        "delta_mean_wait_days": delta_wait, "mean_wait_change_days": delta_wait,
        "would_meet": would_meet,
        "why_none": [] if would_meet else why_none(ap, base_alloc, category, area, start),
    }


def _need_words(ap: AllocationProblem, key: tuple[str, str]) -> dict:
    ref = ap.needs[key]
    return {"category": ref.category, "area": ref.area, "month": ref.month, "urgency": ref.urgency}


def newly_met(ap: AllocationProblem, before: matching.Allocation, after: matching.Allocation) -> list[dict]:
    """The needs met with the added places that were not met without them (no one named), most urgent first."""
    was = {(p.client, p.need) for p in before.placements}
    now = [(p.client, p.need) for p in after.placements if (p.client, p.need) not in was]
    out = [_need_words(ap, k) for k in now]
    return sorted(out, key=lambda n: (-n["urgency"], n["category"], n["area"], n["month"]))


def why_none(ap: AllocationProblem, before: matching.Allocation, category: str, area: str, start: dt.date) -> list[str]:
    """Why the added places meet no one, in words: who in that need is unmet today, and what keeps them out."""
    from broker.taxonomy import category_label

    need = category_label(category).lower()
    unmet = [u for u in before.unmet if u.need == category]
    if not unmet:
        return [f"Nobody waiting for {need} is unmet today: every such need the matcher can place already has a place."]
    out = []
    reasons = Counter((ap.needs[(u.client, u.need)].area, u.blocked_by or "capacity") for u in unmet)
    for (where, reason), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        if reason == "capacity":
            place = "here" if where == area else f"in {where}"
            out.append(f"{n} waiting for {need} {place} could take some place, but not one of the added places "
                       f"(from {month_of(start)}): those listings' ages, distance or start rule them out, or the wait "
                       "would cost more than the place is worth")
        else:
            rule = {"age": "no service is for their age", "area": "they live outside every service's area",
                    "criteria": "they are not among those any service is for", "distance": "they live too far away",
                    "category": "no such service is listed", "exclude": "they have ruled out every service",
                    "start": "every intake begins before they can start", "wait": "they would wait over a year"}.get(reason, reason)
            out.append(f"{n} waiting for {need} in {where} are kept out by a rule, not by places: {rule}")
    return out
