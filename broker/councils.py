"""Council areas: the local authority district (council) of a postcode or a point.

Councils are named in pages and insight ("Leeds") and coded in data (the ONS GSS code,
"E08000035"), as listings' areas served, young people's home areas and Open Referral
UK `service_areas` need a code that other directories share.

The district-to-council table ships with the geography build script
(directory_data/build_geography.py, ``WEST_YORKSHIRE``), because postcode areas do not
follow council boundaries (LS29 Ilkley is Bradford, HD6 Brighouse is Calderdale).
It is read from there rather than copied, so there is one table.
"""
from __future__ import annotations

import functools
import importlib.util

from broker import geography
from broker.config import PROJECT_ROOT

OTHER = "Outside West Yorkshire"

# ONS GSS codes of the councils the shipped geography covers (ONS Register of
# Geographic Codes, metropolitan districts E08; Open Government Licence).
COUNCIL_CODES: dict[str, str] = {
    "E08000032": "Bradford",
    "E08000033": "Calderdale",
    "E08000034": "Kirklees",
    "E08000035": "Leeds",
    "E08000036": "Wakefield",
}
CODE_OF: dict[str, str] = {name: code for code, name in COUNCIL_CODES.items()}


@functools.cache
def district_councils() -> dict[str, str]:
    """Postcode district -> council, e.g. {"LS9": "Leeds", "HD6": "Calderdale"}."""
    path = geography.GEOGRAPHY_DIR.parent / "build_geography.py"
    if not path.exists():
        path = PROJECT_ROOT / "directory_data" / "build_geography.py"
    spec = importlib.util.spec_from_file_location("_broker_build_geography", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {district: council for district, (council, _town) in module.WEST_YORKSHIRE.items()}


def areas() -> list[str]:
    """The councils, in alphabetical order (the areas a manager can choose)."""
    return sorted(set(district_councils().values()))


def area_for_postcode(postcode: str | None) -> str:
    """The council of a postcode or district ("LS9 7AB" -> "Leeds"); OTHER if not West Yorkshire."""
    try:
        district = geography.postcode_district(postcode or "")
    except ValueError:
        return OTHER
    return district_councils().get(district, OTHER)


def area_for_point(lat: float, lon: float) -> str:
    """The council of the postcode district nearest a point (for searches by town or lat,lon)."""
    district, km = geography.nearest_district(lat, lon)
    if district is None or km > geography.REVERSE_MAX_KM:
        return OTHER
    return district_councils().get(district, OTHER)


@functools.cache
def area_centre(area: str) -> tuple[float, float] | None:
    """The mean of the area's postcode-district centroids: where a what-if's new provision sits."""
    points = [geography._gazetteer().districts[d] for d, c in district_councils().items()
              if c == area and d in geography._gazetteer().districts]
    if not points:
        return None
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def council_name(code: str | None) -> str:
    """"E08000035" -> "Leeds"; an unknown code is shown as it is."""
    return COUNCIL_CODES.get(code or "", code or OTHER)


def code_for_postcode(postcode: str | None) -> str | None:
    """The ONS code of a postcode's council ("LS9 7AB" -> "E08000035"); None outside the shipped councils."""
    return CODE_OF.get(area_for_postcode(postcode))
