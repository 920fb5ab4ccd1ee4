"""Charts drawn on the server as SVG: no JavaScript, nothing fetched from the internet.

Each chart is an accessible image (role="img", aria-label, <title> and <desc>) and
prints its numbers, so colour is never the only carrier of a value; the pages put a
table with the same figures beside each chart.
"""
from __future__ import annotations

import itertools
import math

from markupsafe import Markup, escape

from broker.taxonomy import category_label

_ids = itertools.count(1)

# Diverging scale: blue where supply exceeds demand, orange-red where demand exceeds supply.
SURPLUS = ("#deebf7", "#9ecae1", "#4292c6", "#08519c")
SHORTAGE = ("#fee0d2", "#fc9272", "#de2d26", "#a50f15")
EVEN = "#f3f2f1"
DEMAND_COLOUR, SUPPLY_COLOUR, UNMET_COLOUR = "#d4351c", "#1d70b8", "#f47738"


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_class: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'aria-label="{escape(title)}" aria-describedby="chart-desc-{n}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="chart-title-{n}">{escape(title)}</title><desc id="chart-desc-{n}">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def signed(value: int) -> str:
    """+3, -2, and 0 without a sign."""
    return f"{value:+d}" if value else "0"


def colour_for(value: float, scale: float) -> str:
    if value == 0 or scale <= 0:
        return EVEN
    palette = SHORTAGE if value > 0 else SURPLUS
    step = min(len(palette) - 1, int(math.ceil(abs(value) / scale * len(palette))) - 1)
    return palette[max(step, 0)]


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_colour(fill: str) -> str:
    """White or near-black, whichever contrasts more with the cell (WCAG AA needs 4.5:1)."""
    on_white = 1.05 / (_luminance(fill) + 0.05)
    on_black = (_luminance(fill) + 0.05) / (_luminance("#0b0c0c") + 0.05)
    return "#ffffff" if on_white >= on_black else "#0b0c0c"


def heatmap(cells: dict[str, dict[str, int]], months: list[str], title: str, desc: str) -> Markup:
    """Category (rows) x month (columns), coloured by demand minus supply, with a legend."""
    left, top, cw, ch = 170, 34, 62, 24
    cats = list(cells)
    # Wide enough for the cells and for the legend's closing words (~6.5 px a character at 12 px).
    legend_end = left + 22 * (len(SURPLUS) * 2 + 1) + 6 + 6.5 * len("Demand exceeds supply (darkest: ±9999 or more)")
    width = int(max(left + cw * max(len(months), 1) + 10, legend_end))
    legend_y = top + ch * len(cats) + 20
    height = legend_y + 40
    scale = max((abs(v) for row in cells.values() for v in row.values()), default=0)
    body = []
    for j, m in enumerate(months):
        body.append(f'<text x="{left + cw * j + cw / 2}" y="{top - 10}" text-anchor="middle">{escape(m)}</text>')
    for r, c in enumerate(cats):
        y = top + ch * r
        body.append(f'<text x="{left - 8}" y="{y + ch / 2 + 4}" text-anchor="end">{escape(category_label(c))}</text>')
        for j, m in enumerate(months):
            v = cells[c].get(m, 0)
            fill = colour_for(v, scale)
            x = left + cw * j
            body.append(
                f'<g class="cell"><rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="{fill}">'
                f'<title>{escape(category_label(c))}, {escape(m)}: demand minus supply {signed(v)}</title></rect>'
                f'<text x="{x + cw / 2 - 1}" y="{y + ch / 2 + 4}" text-anchor="middle" fill="{_text_colour(fill)}">{signed(v)}</text></g>'
            )
    # Legend: the scale's steps from surplus to shortage.
    steps = list(reversed(SURPLUS)) + [EVEN] + list(SHORTAGE)
    body.append(f'<g class="legend"><text x="{left - 8}" y="{legend_y + 14}" text-anchor="end">Supply exceeds demand</text>')
    for j, fill in enumerate(steps):
        body.append(f'<rect x="{left + 22 * j}" y="{legend_y}" width="20" height="20" fill="{fill}" stroke="#b1b4b6"/>')
    body.append(f'<text x="{left + 22 * len(steps) + 6}" y="{legend_y + 14}">Demand exceeds supply'
                f'{f" (darkest: ±{scale} or more)" if scale else ""}</text></g>')
    return _svg(width, height, title, desc, body, "heatmap")


def _nice_max(v: float) -> int:
    if v <= 5:
        return 5
    mag = 10 ** int(math.floor(math.log10(v)))
    for m in (1, 2, 5, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


def trend(months: list[str], series: dict[str, list[float]], bars: tuple[str, list[float]] | None, title: str, desc: str) -> Markup:
    """Lines per month for each series (e.g. demand, supply), with optional bars (e.g. unmet)."""
    left, top, w, h = 48, 20, max(60 * len(months), 240), 200
    values = [v for s in series.values() for v in s] + (list(bars[1]) if bars else [])
    ymax = _nice_max(max(values, default=0))
    step = w / max(len(months), 1)
    body = [f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#0b0c0c"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#0b0c0c"/>']
    for k in range(6):
        v = ymax * k / 5
        y = top + h - h * k / 5
        body.append(f'<line x1="{left}" y1="{y}" x2="{left + w}" y2="{y}" stroke="#e5e5e5"/>'
                    f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{v:g}</text>')
    for j, m in enumerate(months):
        body.append(f'<text x="{left + step * j + step / 2}" y="{top + h + 16}" text-anchor="middle">{escape(m)}</text>')
    if bars:
        name, vals = bars
        for j, v in enumerate(vals):
            bh = h * v / ymax
            body.append(f'<rect class="bar" x="{left + step * j + step * 0.3}" y="{top + h - bh}" width="{step * 0.4}" height="{bh}" '
                        f'fill="{UNMET_COLOUR}"><title>{escape(name)}, {escape(months[j])}: {v:g}</title></rect>')
    colours = {"Demand": DEMAND_COLOUR, "Supply": SUPPLY_COLOUR, "Free places": SUPPLY_COLOUR}
    for name, vals in series.items():
        colour = colours.get(name, "#505a5f")
        points = " ".join(f"{left + step * j + step / 2:.1f},{top + h - h * v / ymax:.1f}" for j, v in enumerate(vals))
        dash = ' stroke-dasharray="6 3"' if colour == SUPPLY_COLOUR else ""
        body.append(f'<polyline class="line" points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for j, v in enumerate(vals):
            body.append(f'<circle cx="{left + step * j + step / 2:.1f}" cy="{top + h - h * v / ymax:.1f}" r="3.5" fill="{colour}">'
                        f'<title>{escape(name)}, {escape(months[j])}: {v:g}</title></circle>')
    legend = list(series) + ([bars[0]] if bars else [])
    lx, ly = left, top + h + 34
    for name in legend:
        colour = colours.get(name, UNMET_COLOUR if bars and name == bars[0] else "#505a5f")
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="10" fill="{colour}"/>'
                    f'<text x="{lx + 18}" y="{ly}">{escape(name)}</text>')
        lx += 24 + 8 * len(name)
    return _svg(left + w + 10, top + h + 46, title, desc, body, "trend")


def bars(labels: list[str], values: list[float], title: str, desc: str, colour: str = SUPPLY_COLOUR) -> Markup:
    """A simple vertical bar chart with each bar's value printed above it."""
    left, top, bw, h = 40, 20, 90, 160
    ymax = _nice_max(max(values, default=0))
    body = [f'<line x1="{left}" y1="{top + h}" x2="{left + bw * len(labels)}" y2="{top + h}" stroke="#0b0c0c"/>']
    for j, (label, v) in enumerate(zip(labels, values)):
        bh = h * v / ymax
        x = left + bw * j
        body.append(f'<rect class="bar" x="{x + 15}" y="{top + h - bh}" width="{bw - 30}" height="{bh}" fill="{colour}">'
                    f'<title>{escape(label)}: {v:g}</title></rect>'
                    f'<text x="{x + bw / 2}" y="{top + h - bh - 4}" text-anchor="middle">{v:g}</text>'
                    f'<text x="{x + bw / 2}" y="{top + h + 16}" text-anchor="middle">{escape(label)}</text>')
    return _svg(left + bw * max(len(labels), 1) + 10, top + h + 26, title, desc, body, "bars")
