"""The directory search for one young person: their need, place, age, council area, the
criteria they meet and when they can start, as the search page's parameters.

What they could not use is left out by the search itself: listings for other ages, for
other council areas, requiring criteria they do not meet, or starting before they are
available. Everything stays in the form, so the PA can widen the search.
"""
from __future__ import annotations

import datetime as dt

# The search page's distance choices (templates/directory/search.html).
DISTANCES_KM = (2, 5, 10, 15, 25, 50)


def search_args(client, category: str | None, today: dt.date | None = None) -> dict[str, str]:
    """The search page's query parameters for finding `category` provision for `client`."""
    today = today or dt.date.today()
    starts = max(today, client.available_from) if client.available_from else today
    args = {
        "category": category or "",
        "near": client.home_postcode,
        # Their age when they could start, which is what a listing's age range applies to.
        "age": str(client.age_on(starts)),
        "criteria": ",".join(sorted(client.criteria or ())) or "none",
    }
    # How far they can travel, as the nearest distance the page offers that covers it.
    within = next((d for d in DISTANCES_KM if d >= (client.max_travel_km or 0)), None)
    if within is not None:
        args["radius_km"] = str(within)
    if client.area:
        args["area"] = client.area
    if starts > today:
        args["starts_after"] = starts.isoformat()
    return {k: v for k, v in args.items() if v}
