"""Where places are: postcodes, postcode districts, towns and "lat,lon", offline.

The data ships in ``directory_data/geography/`` (built once by
``directory_data/build_geography.py`` from OS Code-Point Open and GeoNames), so
nothing here touches the network unless an online geocoder is configured with
``make_geocoder``. Importable without Flask; loads its CSVs lazily, once per
process.
"""

from __future__ import annotations

import csv
import difflib
import functools
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from geopy.distance import great_circle
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

GEOGRAPHY_DIR = Path(
    os.environ.get(
        "BROKER_GEOGRAPHY_DIR",
        Path(__file__).resolve().parent.parent / "directory_data" / "geography",
    )
)

DEFAULT_USER_AGENT = "pa-brokerage-directory/0.1"

# Beyond this a point is not "in" any district we know (e.g. offshore or abroad);
# the largest Highland districts put points ~40 km from their centroid.
REVERSE_MAX_KM = 50.0

ACCEPTED_FORMS = (
    "a postcode (e.g. LS9 8AB), a postcode district (e.g. LS9), "
    "a town in Great Britain (e.g. Leeds) or latitude,longitude (e.g. 53.797,-1.548)"
)

_UNIT = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_LATLON = re.compile(r"^\s*\(?\s*([-+]?\d{1,3}(?:\.\d+)?)\s*[,\s]\s*([-+]?\d{1,3}(?:\.\d+)?)\s*\)?\s*$")


@dataclass(frozen=True)
class Place:
    """A resolved place: what to call it and where its centre is."""

    label: str
    lat: float
    lon: float
    kind: str  # "postcode" | "district" | "town" | "latlon"


class UnknownPlace(ValueError):
    """Raised when text is not a place we can find; the message says what is accepted."""


# --- postcodes ---


def normalise_postcode(text: str) -> str:
    """Upper-case and space a postcode or district: "ls98ab" -> "LS9 8AB", "ls9" -> "LS9".

    Raises ValueError if the text is not shaped like a UK postcode or district.
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    unit = _UNIT.match(compact)
    if unit:
        return f"{unit.group(1)} {unit.group(2)}"
    if _DISTRICT.match(compact):
        return compact
    raise ValueError(
        f"'{text}' is not a postcode: expected a full postcode like LS9 8AB or a district like LS9"
    )


def postcode_district(text: str) -> str:
    """The outward code (district) of a postcode: "LS9 8AB" -> "LS9"."""
    return normalise_postcode(text).split(" ")[0]


def _looks_like_postcode(text: str) -> bool:
    compact = re.sub(r"\s+", "", text).upper()
    return bool(_UNIT.match(compact) or _DISTRICT.match(compact))


# --- the shipped data ---


@dataclass(frozen=True)
class _Gazetteer:
    districts: dict[str, tuple[float, float]]
    units: dict[str, tuple[float, float]]
    towns: dict[str, Place]  # keyed by _town_key, first (most important) wins
    town_names: tuple[str, ...]  # display names, for "did you mean"
    district_rows: tuple[tuple[str, float, float], ...]


def _read_csv(name: str) -> list[dict[str, str]]:
    path = GEOGRAPHY_DIR / name
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"Geography file {path} is missing: run directory_data/build_geography.py "
            "or set BROKER_GEOGRAPHY_DIR to the folder that holds it"
        ) from exc


def _town_key(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^\w]+", " ", text)  # "Stoke-on-Trent" == "stoke on trent"
    return " ".join(text.split())


@functools.cache
def _gazetteer() -> _Gazetteer:
    districts = {
        row["district"]: (float(row["lat"]), float(row["lon"]))
        for row in _read_csv("postcode_districts.csv")
    }
    units = {
        row["postcode"]: (float(row["lat"]), float(row["lon"]))
        for row in _read_csv("west_yorkshire_postcodes.csv")
    }
    towns: dict[str, Place] = {}
    names: dict[str, None] = {}
    # towns.csv lists West Yorkshire first, then by population, so the first
    # row for a name is the one a PA here most likely means.
    for row in _read_csv("towns.csv"):
        place = Place(row["name"], float(row["lat"]), float(row["lon"]), "town")
        names.setdefault(row["name"], None)
        area = row["county_or_area"]
        keys = [row["name"], f"{row['name']} {area}"]
        keys += [f"{row['name']} {part}" for part in area.split(",")]
        for key in keys:
            towns.setdefault(_town_key(key), place)
    rows = tuple((d, lat, lon) for d, (lat, lon) in districts.items())
    return _Gazetteer(districts, units, towns, tuple(names), rows)


# --- resolving text to a place ---


def resolve_place(text: str) -> Place:
    """Turn what a user typed into a Place, or raise UnknownPlace saying why.

    Accepts "lat,lon", a unit postcode (its own point if in the shipped West
    Yorkshire sample, else its district's centre), a postcode district, or a
    town name (case-insensitive; "Birstall, Leicestershire"-style qualifiers
    by nation or West Yorkshire council are understood).
    """
    if text is None or not str(text).strip():
        raise UnknownPlace(f"No place given. Enter {ACCEPTED_FORMS}.")
    text = str(text).strip()
    data = _gazetteer()

    latlon = _LATLON.match(text)
    if latlon:
        lat, lon = float(latlon.group(1)), float(latlon.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UnknownPlace(
                f"'{text}' is not a valid latitude,longitude: latitude must be -90 to 90 "
                "and longitude -180 to 180 (e.g. 53.797,-1.548)."
            )
        return Place(f"{lat:.5f},{lon:.5f}", lat, lon, "latlon")

    if _looks_like_postcode(text):
        postcode = normalise_postcode(text)
        district = postcode.split(" ")[0]
        if postcode in data.units:
            return Place(postcode, *data.units[postcode], "postcode")
        if district in data.districts:
            kind = "postcode" if " " in postcode else "district"
            return Place(postcode, *data.districts[district], kind)
        # "Leeds" never looks like a postcode, but check towns before giving up.
        if _town_key(text) not in data.towns:
            raise UnknownPlace(
                f"Postcode district '{district}' is not known in Great Britain. "
                f"Check the postcode, or enter {ACCEPTED_FORMS}."
            )

    town = data.towns.get(_town_key(text))
    if town is not None:
        return town

    hint = ""
    close = difflib.get_close_matches(text.title(), data.town_names, n=3, cutoff=0.8)
    if close:
        hint = f" Did you mean {' or '.join(close)}?"
    raise UnknownPlace(f"'{text}' was not recognised as a place.{hint} Enter {ACCEPTED_FORMS}.")


@functools.cache
def _local_towns() -> dict[str, Place]:
    towns: dict[str, Place] = {}
    for row in _read_csv("towns.csv"):
        if "West Yorkshire" in row["county_or_area"]:
            towns.setdefault(_town_key(row["name"]), Place(row["name"], float(row["lat"]), float(row["lon"]), "town"))
    return towns


def preload() -> None:
    """Read the shipped geography now (at start) rather than on the first search."""
    _gazetteer()
    _local_towns()


def local_place(text: str) -> Place | None:
    """A place named in search words: a West Yorkshire town or neighbourhood ("hebden bridge")
    or a postcode district ("ls9"); None otherwise. Stricter than resolve_place, so an
    ordinary word is never taken for one of the thousands of towns in Great Britain."""
    key = _town_key(text)
    if key in _local_towns():
        return _local_towns()[key]
    district = key.upper().replace(" ", "")
    if _DISTRICT.match(district) and district in _gazetteer().districts:
        return Place(district, *_gazetteer().districts[district], "district")
    return None


def nearest_district(lat: float, lon: float) -> tuple[str, float]:
    """The postcode district whose centre is nearest (lat, lon), and its distance in km."""
    # An equirectangular scan is ~1 ms over ~2,900 districts and picks the same
    # winner as great-circle at these distances; the answer is then exact.
    scale = math.cos(math.radians(lat)) ** 2
    best = min(
        _gazetteer().district_rows,
        key=lambda row: (row[1] - lat) ** 2 + scale * (row[2] - lon) ** 2,
    )
    return best[0], distance_km(lat, lon, best[1], best[2])


def distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance in kilometres."""
    return great_circle((a_lat, a_lon), (b_lat, b_lon)).km


# --- geopy-compatible geocoders ---


def _location(place: Place) -> Location:
    raw = {"label": place.label, "lat": place.lat, "lon": place.lon, "kind": place.kind}
    return Location(place.label, (place.lat, place.lon), raw)


class OfflineGeocoder(Geocoder):
    """A geopy geocoder over the shipped data: never touches the network."""

    def __init__(self) -> None:
        super().__init__(user_agent=DEFAULT_USER_AGENT)

    def geocode(self, query, *, exactly_one=True, timeout=None, **_ignored):
        """Location for a postcode, district, town or "lat,lon"; None if unknown."""
        if isinstance(query, dict):  # geopy's structured query form
            query = ", ".join(str(v) for v in query.values() if v)
        try:
            place = resolve_place(query)
        except UnknownPlace:
            return None
        location = _location(place)
        return location if exactly_one else [location]

    def reverse(self, query, *, exactly_one=True, timeout=None, **_ignored):
        """The nearest postcode district to a point; None beyond REVERSE_MAX_KM."""
        point = Point(query)
        district, km = nearest_district(point.latitude, point.longitude)
        if km > REVERSE_MAX_KM:
            return None
        lat, lon = _gazetteer().districts[district]
        raw = {"label": district, "lat": lat, "lon": lon, "kind": "district", "distance_km": round(km, 3)}
        location = Location(district, (lat, lon), raw)
        return location if exactly_one else [location]


class OfflineFirstGeocoder(Geocoder):
    """Asks the shipped data first and an online geopy geocoder only on a miss."""

    def __init__(self, online: Geocoder, *, min_delay_seconds: float = 1.0) -> None:
        super().__init__(user_agent=DEFAULT_USER_AGENT)
        from geopy.extra.rate_limiter import RateLimiter

        self.offline = OfflineGeocoder()
        self.online = online
        # Public services (Nominatim) allow one request a second; errors become
        # None (logged by geopy) so a flaky service cannot break a search page.
        self._online_geocode = RateLimiter(online.geocode, min_delay_seconds=min_delay_seconds, max_retries=1)
        self._online_reverse = RateLimiter(online.reverse, min_delay_seconds=min_delay_seconds, max_retries=1)

    def geocode(self, query, *, exactly_one=True, timeout=None, **kwargs):
        found = self.offline.geocode(query, exactly_one=exactly_one)
        if found:
            return found
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self._online_geocode(query, exactly_one=exactly_one, **kwargs)

    def reverse(self, query, *, exactly_one=True, timeout=None, **kwargs):
        found = self.offline.reverse(query, exactly_one=exactly_one)
        if found:
            return found
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self._online_reverse(query, exactly_one=exactly_one, **kwargs)


def make_geocoder(name: str | None = None, *, user_agent: str = DEFAULT_USER_AGENT, **options) -> Geocoder:
    """The geocoder for the BROKER_GEOCODER setting: offline unless a geopy service is named.

    A named service (e.g. "nominatim") is built with ``user_agent`` and
    ``options`` and wrapped so the offline data is still tried first.
    """
    if name is None or not name.strip() or name.strip().lower() == "offline":
        return OfflineGeocoder()
    try:
        service = get_geocoder_for_service(name.strip().lower())
    except ValueError as exc:
        raise ValueError(
            f"BROKER_GEOCODER='{name}' is not a geopy geocoder: use a geopy service name "
            "such as 'nominatim', or leave it unset for the offline data only"
        ) from exc
    return OfflineFirstGeocoder(service(user_agent=user_agent, **options))
