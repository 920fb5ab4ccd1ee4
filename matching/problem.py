"""The placement problem and its allocation as dataclasses (docs/matching-problem.md,
version 1, and docs/matching-problem-v2.md, version 2).

`parse_problem` turns a contract problem (JSON already loaded into a dict) into a
`Problem`, applying the contract's defaults and rejecting anything that breaks it
with a `ProblemError` naming the field by its JSON path, e.g.
``clients[3].needs[1].since: must be a date YYYY-MM-DD``.

`allocation_to_dict` turns an `Allocation` back into the contract's JSON shape of
the problem's version.

The web app builds `Problem` directly (with ``version=2`` for the current contract; the
dataclass default is 1, the rules callers written before version 2 expect). Version 2
fields default to "nothing applies" (no birth date, no area, no criteria, no
preferences, one site, any area); version 1 differs only in the value formula (no
waited or preference terms, wait cost not multiplied by urgency) and in the JSON.

Extension to version 1 (inert when absent): a provision may carry ``"weight"`` in
[0, 1], which multiplies the urgency part of a placement's value (version 2 has it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

VERSIONS = (1, 2)
LATEST_VERSION = 2
MAX_WAIT_DAYS = 365  # the wait rule
MAX_WAITED_DAYS = 365  # waited_days is capped here
DEFAULT_MAX_TRAVEL_KM = 25.0
DEFAULT_URGENCY = 1
MARGINAL_VALUES = "marginal_values"  # the one `report` value version 2 defines

# Version 2's rules, in the order they are checked (`blocked_by` and `suggest` name them so).
RULES = ("category", "age", "area", "criteria", "distance", "exclude", "start", "wait")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ProblemError(ValueError):
    """A problem that breaks the contract; `field` is a JSON path such as ``clients[3].age``."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Weights:
    """What an urgency point, a day of waiting, a km of travel, a day already waited and a
    preference are worth."""

    urgency_value: float = 1000.0
    wait_day_cost: float = 1.0
    km_cost: float = 2.0
    waited_day_value: float = 1.0  # version 2
    preference_value: float = 50.0  # version 2


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Client:
    """A young person with one or more needs (categories).

    `age` is in whole years on every day; `birth_date`, when given, wins (age on the day a
    placement would start). Neither: no age limit applies. `since` maps a need's category
    to the day it was recorded (default: the problem's `as_of`). `prefers` ranks provision
    ids, best first. `available_from` None means the problem's `as_of`.
    """

    id: str
    location: Location
    age: float | None = None
    available_from: date | None = None
    urgency: int = DEFAULT_URGENCY
    needs: tuple[str, ...] = ()
    max_travel_km: float = DEFAULT_MAX_TRAVEL_KM
    exclude: frozenset[str] = frozenset()
    birth_date: date | None = None
    area: str | None = None
    criteria: frozenset[str] = frozenset()
    prefers: tuple[str, ...] = ()
    since: Mapping[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Intake:
    """A start date of a provision with a number of places."""

    id: str
    start: date
    places: int
    rolling: bool = False


@dataclass(frozen=True)
class Provision:
    """Something on offer in one category, at one or more sites, with its intakes.

    `location` is its (first) site; `locations`, when given, lists every site (distance
    is to the nearest). `areas` None serves anywhere; `requires` lists criteria a young
    person must meet; `weight` in [0, 1] multiplies the urgency part of the value.
    """

    id: str
    category: str
    location: Location | None = None
    intakes: tuple[Intake, ...] = ()
    min_age: float | None = None
    max_age: float | None = None
    weight: float = 1.0
    locations: tuple[Location, ...] = ()
    areas: frozenset[str] | None = None
    requires: frozenset[str] = frozenset()

    def __post_init__(self):
        if self.location is None:
            if not self.locations:
                raise ValueError(f"provision {self.id!r} has no location")
            object.__setattr__(self, "location", self.locations[0])

    @property
    def sites(self) -> tuple[Location, ...]:
        """Every site: `locations` if given, else the one `location`."""
        if not self.locations:
            return (self.location,)
        if self.location in self.locations:
            return self.locations
        return (self.location, *self.locations)


@dataclass(frozen=True)
class Problem:
    as_of: date
    clients: tuple[Client, ...]
    provisions: tuple[Provision, ...]
    weights: Weights = Weights()
    # 1 keeps version 1's value (the wait cost not multiplied by urgency, no waited or
    # preference terms) for callers written for it; pass version=2 for the current contract.
    version: int = 1
    report: frozenset[str] = frozenset()  # {"marginal_values"} asks for marginal values


@dataclass(frozen=True)
class Placement:
    client: str
    need: str
    provision: str
    intake: str
    start: date
    wait_days: int
    distance_km: float  # unrounded (nearest site); rounded to 2 dp only when written out
    value: float  # unrounded
    pinned: bool = False


@dataclass(frozen=True)
class Unmet:
    client: str
    need: str
    reason: str  # "no_eligible_provision" or "capacity"
    blocked_by: str | None = None  # for no_eligible_provision: the first rule no intake passes


@dataclass
class Allocation:
    placements: list[Placement]
    unmet: list[Unmet]
    stats: dict[str, Any] = field(default_factory=dict)
    version: int = LATEST_VERSION
    marginal_values: dict[str, float] | None = None  # intake id -> value of one more place

    @property
    def objective(self) -> float:
        """Sum of the placements' values as written out (each rounded to 2 dp)."""
        return round(sum(round(p.value, 2) for p in self.placements), 2)


# --------------------------------------------------------------------------- parsing


def _is_number(x: Any) -> bool:
    # bool is an int in Python but never a number in JSON terms.
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _number(obj: dict, key: str, path: str, *, default: Any = ..., minimum: float | None = None,
            maximum: float | None = None) -> Any:
    if key not in obj or (obj[key] is None and default is not ...):
        if default is ...:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    x = obj[key]
    if not _is_number(x):
        raise ProblemError(f"{path}.{key}", "must be a number")
    if minimum is not None and x < minimum:
        raise ProblemError(f"{path}.{key}", f"must be at least {minimum:g}")
    if maximum is not None and x > maximum:
        raise ProblemError(f"{path}.{key}", f"must be at most {maximum:g}")
    return float(x)


def _string(obj: dict, key: str, path: str, *, default: Any = ...) -> Any:
    if key not in obj or (obj[key] is None and default is not ...):
        if default is ...:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    x = obj[key]
    if not isinstance(x, str) or not x:
        raise ProblemError(f"{path}.{key}", "must be a non-empty string")
    return x


def _parse_date(x: Any, path: str) -> date:
    if not isinstance(x, str) or not _DATE_RE.match(x):
        raise ProblemError(path, "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(x)
    except ValueError:
        raise ProblemError(path, f"is not a real date ({x})") from None


def _date(obj: dict, key: str, path: str, *, default: Any = ...) -> Any:
    if key not in obj or (obj[key] is None and default is not ...):
        if default is ...:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    return _parse_date(obj[key], f"{path}.{key}")


def _object(x: Any, path: str) -> dict:
    if not isinstance(x, dict):
        raise ProblemError(path, "must be an object")
    return x


def _list(obj: dict, key: str, path: str, *, default: list | None = None) -> list:
    if key not in obj or (obj[key] is None and default is not None):
        if default is None:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    x = obj[key]
    if not isinstance(x, list):
        raise ProblemError(f"{path}.{key}", "must be a list")
    return x


def _strings(obj: dict, key: str, path: str, what: str) -> list[str]:
    items = _list(obj, key, path, default=[])
    for j, s in enumerate(items):
        if not isinstance(s, str) or not s:
            raise ProblemError(f"{path}.{key}[{j}]", f"must be {what} (a non-empty string)")
    return items


def _point(raw: Any, path: str) -> Location:
    loc = _object(raw, path)
    lat = _number(loc, "lat", path)
    lon = _number(loc, "lon", path)
    if not -90.0 <= lat <= 90.0:
        raise ProblemError(f"{path}.lat", "must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:
        raise ProblemError(f"{path}.lon", "must be between -180 and 180")
    return Location(lat, lon)


def _location(obj: dict, path: str) -> Location:
    if "location" not in obj:
        raise ProblemError(f"{path}.location", "is required")
    return _point(obj["location"], f"{path}.location")


def _weights(raw: Any, version: int) -> Weights:
    if raw is None:
        return Weights()
    w = _object(raw, "weights")
    d = Weights()
    extra = {}
    if version >= 2:
        extra = dict(waited_day_value=_number(w, "waited_day_value", "weights", default=d.waited_day_value),
                     preference_value=_number(w, "preference_value", "weights", default=d.preference_value))
    return Weights(
        urgency_value=_number(w, "urgency_value", "weights", default=d.urgency_value),
        wait_day_cost=_number(w, "wait_day_cost", "weights", default=d.wait_day_cost),
        km_cost=_number(w, "km_cost", "weights", default=d.km_cost),
        **extra,
    )


def _urgency(c: dict, path: str) -> int:
    urgency = c.get("urgency", DEFAULT_URGENCY)
    if urgency is None:
        urgency = DEFAULT_URGENCY
    if not _is_number(urgency) or urgency != int(urgency) or not 1 <= urgency <= 3:
        raise ProblemError(f"{path}.urgency", "must be an integer 1..3")
    return int(urgency)


def _needs_v1(c: dict, path: str) -> tuple[str, ...]:
    needs: list[str] = []
    for j, k in enumerate(_list(c, "needs", path)):
        if not isinstance(k, str) or not k:
            raise ProblemError(f"{path}.needs[{j}]", "must be a non-empty string")
        if k in needs:
            # Placements are identified by (client, need): a repeated need would be ambiguous.
            raise ProblemError(f"{path}.needs[{j}]", f"repeats need {k!r}")
        needs.append(k)
    return tuple(needs)


def _needs_v2(c: dict, path: str, as_of: date) -> tuple[tuple[str, ...], dict[str, date]]:
    needs: list[str] = []
    since: dict[str, date] = {}
    for j, raw in enumerate(_list(c, "needs", path)):
        here = f"{path}.needs[{j}]"
        if isinstance(raw, dict):
            k = _string(raw, "category", here)
            day = _date(raw, "since", here, default=None)
            if day is not None and day > as_of:
                raise ProblemError(f"{here}.since", f"must not be after as_of ({as_of.isoformat()})")
        elif isinstance(raw, str) and raw:
            k, day = raw, None
        else:
            raise ProblemError(here, "must be a category (a non-empty string) or {\"category\": ..., \"since\": ...}")
        if k in needs:
            continue  # a category listed twice is one need: the first entry counts
        needs.append(k)
        if day is not None:
            since[k] = day
    return tuple(needs), since


def _client(raw: Any, path: str, as_of: date, version: int) -> Client:
    c = _object(raw, path)
    exclude = _list(c, "exclude", path, default=[])
    for j, p in enumerate(exclude):
        if not isinstance(p, str):
            raise ProblemError(f"{path}.exclude[{j}]", "must be a provision id (string)")
    common = dict(
        id=_string(c, "id", path),
        location=_location(c, path),
        available_from=_date(c, "available_from", path, default=as_of),
        urgency=_urgency(c, path),
        max_travel_km=_number(c, "max_travel_km", path, default=DEFAULT_MAX_TRAVEL_KM, minimum=0),
        exclude=frozenset(exclude),
    )
    if version == 1:
        return Client(age=_number(c, "age", path), needs=_needs_v1(c, path), **common)
    needs, since = _needs_v2(c, path, as_of)
    prefers = _strings(c, "prefers", path, "a provision id")
    seen: dict[str, int] = {}
    for j, p in enumerate(prefers):
        if p in seen:
            raise ProblemError(f"{path}.prefers[{j}]", f"repeats provision {p!r} (also prefers[{seen[p]}])")
        seen[p] = j
    return Client(
        age=_number(c, "age", path, default=None, minimum=0),
        needs=needs,
        birth_date=_date(c, "birth_date", path, default=None),
        area=_string(c, "area", path, default=None),
        criteria=frozenset(_strings(c, "criteria", path, "a criterion")),
        prefers=tuple(prefers),
        since=since,
        **common,
    )


def _intake(raw: Any, path: str) -> Intake:
    i = _object(raw, path)
    if "places" not in i:
        raise ProblemError(f"{path}.places", "is required")
    places = i["places"]
    if not _is_number(places) or places != int(places) or places < 0:
        raise ProblemError(f"{path}.places", "must be a whole number >= 0")
    rolling = i.get("rolling", False)
    if rolling is None:
        rolling = False
    if not isinstance(rolling, bool):
        raise ProblemError(f"{path}.rolling", "must be true or false")
    return Intake(id=_string(i, "id", path), start=_date(i, "start", path), places=int(places), rolling=rolling)


def _provision(raw: Any, path: str, version: int) -> Provision:
    p = _object(raw, path)
    intakes = tuple(_intake(x, f"{path}.intakes[{j}]") for j, x in enumerate(_list(p, "intakes", path)))
    common = dict(
        id=_string(p, "id", path),
        category=_string(p, "category", path),
        intakes=intakes,
        min_age=_number(p, "min_age", path, default=None),
        max_age=_number(p, "max_age", path, default=None),
        weight=_number(p, "weight", path, default=1.0, minimum=0, maximum=1),
    )
    if version == 1:
        return Provision(location=_location(p, path), **common)
    sites: list[Location] = []
    if p.get("location") is not None:
        sites.append(_location(p, path))
    if p.get("locations") is not None:
        raw_sites = _list(p, "locations", path)
        if not raw_sites:
            raise ProblemError(f"{path}.locations", "must list at least one site")
        for j, s in enumerate(raw_sites):
            loc = _point(s, f"{path}.locations[{j}]")
            if loc not in sites:
                sites.append(loc)
    if not sites:
        raise ProblemError(f"{path}.location", "is required (or locations)")
    areas = None
    if p.get("areas") is not None:
        areas = frozenset(_strings(p, "areas", path, "an area"))
    return Provision(location=sites[0], locations=tuple(sites) if len(sites) > 1 else (), areas=areas,
                     requires=frozenset(_strings(p, "requires", path, "a criterion")), **common)


def _version(top: dict) -> int:
    if "version" not in top:
        raise ProblemError("version", "is required (1 or 2)")
    v = top["version"]
    if not _is_number(v) or v not in VERSIONS:
        raise ProblemError("version", "must be 1 or 2")
    return int(v)


def _report(top: dict) -> frozenset[str]:
    items = _list(top, "report", "problem", default=[])
    for j, r in enumerate(items):
        if r != MARGINAL_VALUES:
            raise ProblemError(f"report[{j}]", f"must be {MARGINAL_VALUES!r} (the only report defined)")
    return frozenset(items)


def _parse(raw: Any) -> Problem:
    top = _object(raw, "problem")
    version = _version(top)
    as_of = _date(top, "as_of", "problem")
    weights = _weights(top.get("weights"), version)
    report = _report(top) if version >= 2 else frozenset()
    clients = tuple(_client(c, f"clients[{j}]", as_of, version)
                    for j, c in enumerate(_list(top, "clients", "problem")))
    provisions = tuple(_provision(p, f"provisions[{j}]", version)
                       for j, p in enumerate(_list(top, "provisions", "problem")))

    seen: dict[str, int] = {}
    for j, c in enumerate(clients):
        if c.id in seen:
            raise ProblemError(f"clients[{j}].id", f"duplicate client id {c.id!r} (also clients[{seen[c.id]}])")
        seen[c.id] = j
    seen = {}
    intake_seen: dict[str, str] = {}
    for j, p in enumerate(provisions):
        if p.id in seen:
            raise ProblemError(f"provisions[{j}].id", f"duplicate provision id {p.id!r} (also provisions[{seen[p.id]}])")
        seen[p.id] = j
        for m, i in enumerate(p.intakes):
            here = f"provisions[{j}].intakes[{m}]"
            if i.id in intake_seen:
                raise ProblemError(f"{here}.id", f"duplicate intake id {i.id!r} (also {intake_seen[i.id]})")
            intake_seen[i.id] = here
    return Problem(as_of=as_of, clients=clients, provisions=provisions, weights=weights, version=version,
                   report=report)


def parse_problem(raw: Any) -> Problem:
    """Validate a contract problem (a dict from JSON, version 1 or 2) and apply its defaults.

    Raises `ProblemError` naming the first offending field by its JSON path, e.g.
    ``clients[3].needs[1].since: must be a date YYYY-MM-DD``. An unknown category in a
    need is not an error (the need is simply unmet).
    """
    try:
        return _parse(raw)
    except ProblemError as e:
        # Top-level fields are named bare ("as_of", not "problem.as_of").
        if e.field.startswith("problem."):
            raise ProblemError(e.field[len("problem."):], e.message) from None
        raise


# --------------------------------------------------------------------------- output


def placement_to_dict(p: Placement, version: int = LATEST_VERSION) -> dict[str, Any]:
    km = round(p.distance_km, 2)
    d: dict[str, Any] = {
        "client": p.client,
        "need": p.need,
        "provision": p.provision,
        "intake": p.intake,
        "start": p.start.isoformat(),
        "wait_days": p.wait_days,
        "distance_km": km,
        "value": round(p.value, 2),
    }
    if version >= 2:
        d["km"] = km
    if p.pinned:
        d["pinned"] = True
    return d


def unmet_to_dict(u: Unmet, version: int = LATEST_VERSION) -> dict[str, Any]:
    d = {"client": u.client, "need": u.need, "reason": u.reason}
    if version >= 2 and u.blocked_by is not None:
        d["blocked_by"] = u.blocked_by
    return d


def allocation_to_dict(alloc: Allocation) -> dict[str, Any]:
    """The allocation in the contract's JSON shape (of the problem's version)."""
    v = alloc.version
    out: dict[str, Any] = {
        "version": v,
        "placements": [placement_to_dict(p, v) for p in alloc.placements],
        "unmet": [unmet_to_dict(u, v) for u in alloc.unmet],
        "objective": alloc.objective,
    }
    if v >= 2 and alloc.marginal_values is not None:
        out["marginal_values"] = {k: round(x, 2) for k, x in alloc.marginal_values.items()}
    out["stats"] = alloc.stats
    return out
