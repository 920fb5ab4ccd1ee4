"""Directory pages: search and listing detail, server-rendered, no JavaScript needed."""
import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, url_for

from broker.directory import services
from broker.directory.map_svg import Marker, svg_map
from broker.directory.models import REFERRAL_ROUTES
from broker.directory.params import SORTS, parse_search
from broker.errors import BadParameter
from broker.form_fields import sentence
from broker.paging import Page, clamp
from broker.insight.searches import record_empty_search
from broker.councils import COUNCIL_CODES
from broker.taxonomy import CATEGORIES, CRITERIA, KINDS

bp = Blueprint("directory", __name__)

# The search form's labels, so an error names the field as the user sees it.
FIELD_LABELS = {
    "q": "Keywords", "category": "Need", "near": "Near", "radius_km": "Within", "starts_after": "Start date from",
    "starts_before": "Start date to", "age": "Young person's age", "sort": "Sort by", "has_places": "Only with free places",
    "page": "Page", "per_page": "Results per page", "kind": "Kind of provision", "area": "Council area",
    "exact": "Search exactly as typed", "criteria": "Criteria the young person meets",
}
# Messages that name another parameter (the API's words), as the page says them.
PAGE_MESSAGES = {
    ("radius_km", "needs near"): "Enter a place in Near to search within a distance",
    ("starts_before", "must be on or after"): "Start date to must be the same as or after start date from",
    ("sort", "sorting by distance"): "Enter a place in Near to sort by nearest",
}


def page_message(error: BadParameter) -> str:
    """A search error as one sentence for the page: "Young person's age must be between 0 and 120"."""
    for (field, start), words in PAGE_MESSAGES.items():
        if error.field == field and error.message.startswith(start):
            return words
    return sentence(FIELD_LABELS.get(error.field, error.field), error.message)


@bp.get("/")
def search_page():
    form = request.args
    error, total, results, near_label, sq, notices, groups = None, 0, [], None, None, [], []
    searched = any(form.get(k) for k in ("q", "category", "kind", "area", "near", "starts_after", "starts_before",
                                         "age", "has_places", "criteria"))
    if searched:
        try:
            sq, near_label = parse_search(form)
            found = services.find_provisions(sq)
            total, results, notices = found.total, found.results, found.page.notices
            # Browsing near a place with no words or need: the nearest of each need first
            # (unless the PA asked for an order), so an empty search is never a dead end.
            groups = found.groups if sq.page == 1 and not form.get("sort") else []
            last = clamp(sq.page, total, sq.per_page)
            if sq.page > last:  # a page past the last (an old link, a typed URL): the last page
                return redirect(url_for("directory.search_page", **{**form.to_dict(flat=False), "page": last}))
            near_label = near_label or found.page.near_label
            # insight: searches that found nothing as asked (before any relaxing)
            record_empty_search(sq, total if found.page.found_as_asked else 0, "page")
        except BadParameter as exc:
            error = exc
    status = 400 if error else 200
    result_map = _results_map(results, sq, (result_page_first(sq, total)))
    return (
        render_template(
            "directory/search.html",
            form=form,
            error=error,
            searched=searched,
            total=total,
            results=results,
            near_label=near_label,
            sq=sq,
            notices=notices,
            groups=groups,
            result_map=result_map,
            categories=CATEGORIES,
            councils=COUNCIL_CODES,
            criteria=CRITERIA,
            sorts=SORTS,
            error_message=page_message(error) if error else None,
            # Numbered result pages (a page past the last was sent to the last, above).
            result_page=Page(results, total, clamp(sq.page, total, sq.per_page), sq.per_page) if sq else None,
        ),
        status,
    )


def result_page_first(sq, total: int) -> int:
    """The number of the first result on the page shown (results are numbered down the pages)."""
    return (clamp(sq.page, total, sq.per_page) - 1) * sq.per_page + 1 if sq else 1


def _results_map(results, sq, first: int):
    """The SVG map of a page of results, numbered as the list is; None with nothing to place."""
    sites = services.nearest_sites([r.provision.id for r in results], sq.near if sq else None) if results else {}
    markers = [Marker(first + n, *sites[r.provision.id], r.provision.name)
               for n, r in enumerate(results) if r.provision.id in sites]
    return svg_map(markers, f"Map of results {first} to {first + len(results) - 1}", "results-map") if markers else None


@bp.get("/browse")
def browse_index():
    """Every need and its kinds of provision, for browsing without knowing what to type."""
    counts = services.listing_counts()
    return render_template("directory/browse_index.html", categories=CATEGORIES, kinds=KINDS, counts=counts)


@bp.get("/browse/<category>")
@bp.get("/browse/<category>/<kind>")
def browse_page(category: str, kind: str | None = None):
    """One need (or one kind within it): its listings, nearest first when a place is given."""
    if category not in CATEGORIES or (kind is not None and kind not in KINDS.get(category, {})):
        abort(404)
    form = request.args
    args = {"category": category, "near": form.get("near", ""), "page": form.get("page", "1")}
    if kind:
        args["kind"] = kind
    error, found, sq, near_label = None, None, None, None
    try:
        sq, near_label = parse_search({k: v for k, v in args.items() if v})
        found = services.find_provisions(sq)
        last = clamp(sq.page, found.total, sq.per_page)
        if sq.page > last:
            return redirect(url_for("directory.browse_page", category=category, kind=kind, near=form.get("near") or None,
                                    page=last))
    except BadParameter as exc:
        error = exc
    return render_template(
        "directory/browse.html",
        category=category, kind=kind, kinds=KINDS[category], form=form, error=error,
        error_message=page_message(error) if error else None,
        searched=True, total=found.total if found else 0, results=found.results if found else [],
        near_label=near_label or (found.page.near_label if found else None), sq=sq, notices=[], groups=[],
        kind_counts=found.page.kind_counts if found and not kind else {},
        result_map=_results_map(found.results, sq, result_page_first(sq, found.total)) if found else None,
        pager_endpoint="directory.browse_page", pager_args={k: v for k, v in args.items() if v and k != "page"},
        result_page=Page(found.results, found.total, clamp(sq.page, found.total, sq.per_page), sq.per_page) if found else None,
    ), 400 if error else 200


@bp.get("/provisions/<int:provision_id>")
def provision_page(provision_id: int):
    p = services.get_provision(provision_id)
    if p is None:
        abort(404)
    today = dt.date.today()
    markers = [Marker(n, loc.lat, loc.lon, loc.name or loc.postcode or p.name)
               for n, loc in enumerate(p.locations, 1) if loc.lat is not None]
    return render_template(
        "directory/provision.html",
        sites_map=svg_map(markers, f"Map of where {p.name} is", "sites-map") if markers else None,
        p=p,
        today=today,
        stale=services.is_stale(p, today),
        upcoming=p.upcoming_intakes(today),
        routes=REFERRAL_ROUTES,
    )
