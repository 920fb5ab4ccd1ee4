"""Directory pages: search and listing detail, server-rendered, no JavaScript needed."""
import datetime as dt

from flask import Blueprint, abort, render_template, request

from broker.directory import services
from broker.directory.models import REFERRAL_ROUTES
from broker.directory.params import SORTS, parse_search
from broker.errors import BadParameter
from broker.form_fields import sentence
from broker.paging import Page, clamp
from broker.insight.searches import record_empty_search
from broker.taxonomy import CATEGORIES

bp = Blueprint("directory", __name__)

# The search form's labels, so an error names the field as the user sees it.
FIELD_LABELS = {
    "q": "Keywords", "category": "Need", "near": "Near", "radius_km": "Within", "starts_after": "Start date from",
    "starts_before": "Start date to", "age": "Young person's age", "sort": "Sort by", "has_places": "Only with free places",
    "page": "Page", "per_page": "Results per page", "kind": "Kind of provision", "area": "Council area",
    "exact": "Search exactly as typed",
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
    error, total, results, near_label, sq, notices = None, 0, [], None, None, []
    searched = any(form.get(k) for k in ("q", "category", "kind", "area", "near", "starts_after", "starts_before",
                                         "age", "has_places"))
    if searched:
        try:
            sq, near_label = parse_search(form)
            found = services.find_provisions(sq)
            total, results, notices = found.total, found.results, found.page.notices
            near_label = near_label or found.page.near_label
            # insight: searches that found nothing as asked (before any relaxing)
            record_empty_search(sq, total if found.page.found_as_asked else 0, "page")
        except BadParameter as exc:
            error = exc
    status = 400 if error else 200
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
            categories=CATEGORIES,
            sorts=SORTS,
            error_message=page_message(error) if error else None,
            # Numbered result pages; a page past the last shows links back, never further on.
            result_page=Page(results, total, clamp(sq.page, total, sq.per_page), sq.per_page) if sq else None,
        ),
        status,
    )


@bp.get("/provisions/<int:provision_id>")
def provision_page(provision_id: int):
    p = services.get_provision(provision_id)
    if p is None:
        abort(404)
    today = dt.date.today()
    return render_template(
        "directory/provision.html",
        p=p,
        today=today,
        stale=services.is_stale(p, today),
        upcoming=p.upcoming_intakes(today),
        routes=REFERRAL_ROUTES,
    )
