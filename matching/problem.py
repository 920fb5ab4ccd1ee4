"""The placement problem and its allocation (contract version 1) as dataclasses.

`parse_problem` turns the contract's JSON (already loaded into a dict) into a
`Problem`, applying the contract's defaults and rejecting anything that breaks
the contract with a `ProblemError` that names the field, e.g.
``clients[3].location.lat: must be a number``.

`allocation_to_dict` turns an `Allocation` back into the contract's JSON shape.

Extension (not in the contract, inert when absent): a provision may carry
``"weight"``, a number in [0, 1] that multiplies the urgency part of a
placement's value, so the web app can make stale listings weigh less.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

CONTRACT_VERSION = 1
MAX_WAIT_DAYS = 365  # rule 6
DEFAULT_MAX_TRAVEL_KM = 25.0
DEFAULT_URGENCY = 1

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ProblemError(ValueError):
    """A problem that breaks the contract; `field` is a path such as ``clients[3].age``."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Weights:
    """How much an urgency point, a day of waiting and a km of travel are worth."""

    urgency_value: float = 1000.0
    wait_day_cost: float = 1.0
    km_cost: float = 2.0


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Client:
    """A young person with one or more needs (categories)."""

    id: str
    location: Location
    age: float
    available_from: date
    urgency: int
    needs: tuple[str, ...]
    max_travel_km: float = DEFAULT_MAX_TRAVEL_KM
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Intake:
    """A start date of a provision with a number of places."""

    id: str
    start: date
    places: int
    rolling: bool = False


@dataclass(frozen=True)
class Provision:
    """Something on offer in one category at one place, with its intakes."""

    id: str
    category: str
    location: Location
    intakes: tuple[Intake, ...]
    min_age: float | None = None
    max_age: float | None = None
    weight: float = 1.0  # extension: multiplier on the urgency part, 1.0 = contract behaviour


@dataclass(frozen=True)
class Problem:
    as_of: date
    clients: tuple[Client, ...]
    provisions: tuple[Provision, ...]
    weights: Weights = Weights()
    version: int = CONTRACT_VERSION


@dataclass(frozen=True)
class Placement:
    client: str
    need: str
    provision: str
    intake: str
    start: date
    wait_days: int
    distance_km: float  # unrounded; rounded to 2 dp only when written out
    value: float  # unrounded
    pinned: bool = False


@dataclass(frozen=True)
class Unmet:
    client: str
    need: str
    reason: str  # "no_eligible_provision" or "capacity"


@dataclass
class Allocation:
    placements: list[Placement]
    unmet: list[Unmet]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def objective(self) -> float:
        """Sum of the placements' values as written out (each rounded to 2 dp)."""
        return round(sum(round(p.value, 2) for p in self.placements), 2)


# --------------------------------------------------------------------------- parsing


def _is_number(x: Any) -> bool:
    # bool is an int in Python but never a number in JSON terms.
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _number(obj: dict, key: str, path: str, *, default: Any = ..., minimum: float | None = None) -> Any:
    if key not in obj or (obj[key] is None and default is not ...):
        if default is ...:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    x = obj[key]
    if not _is_number(x):
        raise ProblemError(f"{path}.{key}", "must be a number")
    if minimum is not None and x < minimum:
        raise ProblemError(f"{path}.{key}", f"must be at least {minimum:g}")
    return float(x)


def _string(obj: dict, key: str, path: str) -> str:
    if key not in obj:
        raise ProblemError(f"{path}.{key}", "is required")
    x = obj[key]
    if not isinstance(x, str) or not x:
        raise ProblemError(f"{path}.{key}", "must be a non-empty string")
    return x


def _date(obj: dict, key: str, path: str, *, default: date | None = None) -> date:
    if key not in obj or (obj[key] is None and default is not None):
        if default is None:
            raise ProblemError(f"{path}.{key}", "is required")
        return default
    x = obj[key]
    if not isinstance(x, str) or not _DATE_RE.match(x):
        raise ProblemError(f"{path}.{key}", "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(x)
    except ValueError:
        raise ProblemError(f"{path}.{key}", f"is not a real date ({x})") from None


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


def _location(obj: dict, path: str) -> Location:
    if "location" not in obj:
        raise ProblemError(f"{path}.location", "is required")
    loc = _object(obj["location"], f"{path}.location")
    lat = _number(loc, "lat", f"{path}.location")
    lon = _number(loc, "lon", f"{path}.location")
    if not -90.0 <= lat <= 90.0:
        raise ProblemError(f"{path}.location.lat", "must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:
        raise ProblemError(f"{path}.location.lon", "must be between -180 and 180")
    return Location(lat, lon)


def _weights(raw: Any) -> Weights:
    if raw is None:
        return Weights()
    w = _object(raw, "weights")
    d = Weights()
    return Weights(
        urgency_value=_number(w, "urgency_value", "weights", default=d.urgency_value),
        wait_day_cost=_number(w, "wait_day_cost", "weights", default=d.wait_day_cost),
        km_cost=_number(w, "km_cost", "weights", default=d.km_cost),
    )


def _client(raw: Any, path: str, as_of: date) -> Client:
    c = _object(raw, path)
    urgency = c.get("urgency", DEFAULT_URGENCY)
    if urgency is None:
        urgency = DEFAULT_URGENCY
    if not _is_number(urgency) or urgency != int(urgency):
        raise ProblemError(f"{path}.urgency", "must be an integer 1..3")
    if not 1 <= urgency <= 3:
        raise ProblemError(f"{path}.urgency", "must be an integer 1..3")
    needs_raw = _list(c, "needs", path)
    needs: list[str] = []
    for j, k in enumerate(needs_raw):
        if not isinstance(k, str) or not k:
            raise ProblemError(f"{path}.needs[{j}]", "must be a non-empty string")
        if k in needs:
            # Placements are identified by (client, need): a repeated need would be ambiguous.
            raise ProblemError(f"{path}.needs[{j}]", f"repeats need {k!r}")
        needs.append(k)
    exclude_raw = _list(c, "exclude", path, default=[])
    for j, p in enumerate(exclude_raw):
        if not isinstance(p, str):
            raise ProblemError(f"{path}.exclude[{j}]", "must be a provision id (string)")
    return Client(
        id=_string(c, "id", path),
        location=_location(c, path),
        age=_number(c, "age", path),
        available_from=_date(c, "available_from", path, default=as_of),
        urgency=int(urgency),
        needs=tuple(needs),
        max_travel_km=_number(c, "max_travel_km", path, default=DEFAULT_MAX_TRAVEL_KM, minimum=0),
        exclude=frozenset(exclude_raw),
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


def _provision(raw: Any, path: str) -> Provision:
    p = _object(raw, path)
    intakes = tuple(_intake(x, f"{path}.intakes[{j}]") for j, x in enumerate(_list(p, "intakes", path)))
    min_age = _number(p, "min_age", path, default=None)
    max_age = _number(p, "max_age", path, default=None)
    weight = _number(p, "weight", path, default=1.0, minimum=0)
    if weight > 1:
        raise ProblemError(f"{path}.weight", "must be between 0 and 1")
    return Provision(
        id=_string(p, "id", path),
        category=_string(p, "category", path),
        location=_location(p, path),
        intakes=intakes,
        min_age=min_age,
        max_age=max_age,
        weight=weight,
    )


def _parse(raw: Any) -> Problem:
    top = _object(raw, "problem")
    if "version" not in top:
        raise ProblemError("version", "is required (1)")
    if not _is_number(top["version"]) or top["version"] != CONTRACT_VERSION:
        raise ProblemError("version", f"must be {CONTRACT_VERSION}")
    as_of = _date(top, "as_of", "problem")
    weights = _weights(top.get("weights"))
    clients = tuple(_client(c, f"clients[{j}]", as_of) for j, c in enumerate(_list(top, "clients", "problem")))
    provisions = tuple(_provision(p, f"provisions[{j}]") for j, p in enumerate(_list(top, "provisions", "problem")))

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
    return Problem(as_of=as_of, clients=clients, provisions=provisions, weights=weights)


# Top-level fields are named bare ("as_of", not "problem.as_of").
def _strip_top(e: ProblemError) -> ProblemError:
    if e.field.startswith("problem."):
        return ProblemError(e.field[len("problem."):], e.message)
    return e


def parse_problem(raw: Any) -> Problem:
    """Validate a contract problem (a dict from JSON) and return it with defaults applied.

    Raises `ProblemError` naming the first offending field, e.g. ``clients[3].age: is
    required``. An unknown category in a need is not an error (the need is simply unmet).
    """
    try:
        return _parse(raw)
    except ProblemError as e:
        raise _strip_top(e) from None


# --------------------------------------------------------------------------- output


def placement_to_dict(p: Placement) -> dict[str, Any]:
    d: dict[str, Any] = {
        "client": p.client,
        "need": p.need,
        "provision": p.provision,
        "intake": p.intake,
        "start": p.start.isoformat(),
        "wait_days": p.wait_days,
        "distance_km": round(p.distance_km, 2),
        "value": round(p.value, 2),
    }
    if p.pinned:
        d["pinned"] = True
    return d


def allocation_to_dict(alloc: Allocation) -> dict[str, Any]:
    """The allocation in the contract's JSON shape."""
    return {
        "version": CONTRACT_VERSION,
        "placements": [placement_to_dict(p) for p in alloc.placements],
        "unmet": [{"client": u.client, "need": u.need, "reason": u.reason} for u in alloc.unmet],
        "objective": alloc.objective,
        "stats": alloc.stats,
    }
