"""A map without the internet: an SVG drawn on the server of numbered points (search
results, a listing's sites) over the West Yorkshire councils.

No boundary polygons are shipped (directory_data/geography holds postcode points only,
OS Code-Point Open under the OGL), so each council is drawn as the convex hull of its
unit postcodes' points: an outline of where its postcodes are, not its legal boundary
(hulls of neighbours overlap a little). The map says so in its description. The list
beside it stays the accessible view; the map's numbers match the list's.
"""
from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from broker import councils, geography

WIDTH, HEIGHT, PAD = 640, 420, 24
# Quiet fills, told apart by their outlines and names too (not by colour alone).
FILLS = ("#f3f2f1", "#e8f1f8", "#f4f8ec", "#fbf3e9", "#f2ecf5")


@dataclass(frozen=True)
class Marker:
    number: int
    lat: float
    lon: float
    name: str


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@functools.cache
def council_outlines() -> dict[str, list[tuple[float, float]]]:
    """Council name -> hull of its unit postcodes as (lon, lat) points."""
    by_council: dict[str, list[tuple[float, float]]] = {}
    with open(geography.GEOGRAPHY_DIR / "west_yorkshire_postcodes.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            council = councils.area_for_postcode(row["postcode"])
            if council != councils.OTHER:
                by_council.setdefault(council, []).append((float(row["lon"]), float(row["lat"])))
    return {name: _hull(points) for name, points in sorted(by_council.items())}


class _Projection:
    """Longitude and latitude to SVG x, y: equirectangular, scaled at the middle latitude."""

    def __init__(self, lons: list[float], lats: list[float]):
        self.lon0, self.lat1 = min(lons), max(lats)
        k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - self.lon0) * k, 1e-6)
        span_y = max(self.lat1 - min(lats), 1e-6)
        self.k = k
        self.scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return PAD + (lon - self.lon0) * self.k * self.scale, PAD + (self.lat1 - lat) * self.scale


def svg_map(markers: list[Marker], title: str, map_id: str = "map") -> Markup:
    """An SVG map of the councils with a numbered circle at each marker."""
    outlines = council_outlines()
    lons = [x for hull in outlines.values() for x, _ in hull] + [m.lon for m in markers]
    lats = [y for hull in outlines.values() for _, y in hull] + [m.lat for m in markers]
    project = _Projection(lons, lats)
    numbers = ", ".join(f"{m.number}: {m.name}" for m in markers) or "no places to show"
    desc = (f"Numbered points: {numbers}. Council areas are outlines of where their postcodes are "
            "(drawn from OS Code-Point Open postcode points, not the legal boundaries).")
    parts = [f'<svg class="app-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{map_id}-title {map_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{map_id}-title">{escape(title)}</title>', f'<desc id="{map_id}-desc">{escape(desc)}</desc>']
    for n, (name, hull) in enumerate(outlines.items()):
        xy = [project(lon, lat) for lon, lat in hull]
        parts.append(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}" fill="{FILLS[n % len(FILLS)]}" '
                     'stroke="#505a5f" stroke-width="1.5"/>')
        cx, cy = sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)
        parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" font-size="14" fill="#505a5f">{escape(name)}</text>')
    for m in markers:
        x, y = project(m.lon, m.lat)
        parts.append(f'<g class="app-map__marker"><circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="#1d70b8" stroke="#ffffff" '
                     f'stroke-width="2"/><text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="13" '
                     f'font-weight="bold" fill="#ffffff">{m.number}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
