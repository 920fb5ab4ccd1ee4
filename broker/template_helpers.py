"""What every page's template can use: GOV.UK Frontend's macros on the template path, and
the filters and helpers of our layout (templates/base.html; see docs/pages.md)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib

from flask import current_app, request, url_for
from flask_login import current_user
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from broker.councils import council_name
from broker.eligibility import describe, eligibility_text
from broker.form_fields import sentence
from broker.taxonomy import CATEGORIES, category_label
from broker.weblinks import safe_url

SERVICE_NAME = "Broker"


def _date(d: dt.date | None) -> str:
    return d.strftime("%-d %b %Y") if d else "—"


def _when(t: dt.datetime | None) -> str:
    """A moment as people read it: "3 Mar 2026 at 14:05" (UTC, as stored)."""
    return t.strftime("%-d %b %Y at %H:%M") if t else "—"


def _month(value: str | None) -> str:
    """"2026-12" as "Dec 2026"."""
    try:
        return dt.date.fromisoformat(f"{value}-01").strftime("%b %Y")
    except (TypeError, ValueError):
        return value or "—"


def _km(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} km"


def _plural(n: int, one: str, many: str | None = None) -> str:
    """"1 referral", "3 referrals"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


@functools.cache
def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """A static file's URL with its content hash, so a refreshed asset is never served stale."""
    version = _digest(f"{current_app.static_folder}/{filename}")
    return url_for("static", filename=filename, v=version)


def error_list(*sources) -> list[dict]:
    """The error summary's items: one per problem, each linking to its field.

    A source is a WTForms form (each field's first error, then the form's own errors),
    a (field id, message) pair, or a ready {"text", "href"} dict. Date inputs link to
    their day box, the first thing to fix.
    """
    items: list[dict] = []
    for source in sources:
        if not source:
            continue
        if hasattr(source, "_fields"):
            for field in source:
                if field.errors:
                    anchor = f"{field.id}-day" if field.type == "DateInputField" else field.id
                    items.append({"text": field.errors[0], "href": f"#{anchor}"})
            items += [{"text": e} for e in source.form_errors]
        elif isinstance(source, dict):
            items.append(source)
        else:
            field_id, message = source
            items.append({"text": message, "href": f"#{field_id}"} if field_id else {"text": message})
    return items


def options(pairs, chosen=None, any_text: str | None = None) -> list[dict]:
    """govukSelect items from (value, words) pairs, a dict, or plain strings (value = words);
    `chosen` selected; `any_text` first as the empty "no filter" choice."""
    pairs = list(pairs.items()) if isinstance(pairs, dict) else [(p, p) if isinstance(p, str) else p for p in pairs]
    items = [{"value": "", "text": any_text, "selected": chosen in (None, "")}] if any_text is not None else []
    return items + [{"value": v, "text": t, "selected": str(v) == str(chosen)} for v, t in pairs]


# The service navigation, per role: (endpoint, words). The first page after signing in is
# Home for every role; a new role adds its entries here and its panels in broker/home.
NAVIGATION = {
    "pa": [("home.home_page", "Home"), ("clients.caseload_page", "My caseload"), ("directory.search_page", "Find provision")],
    "provider": [("home.home_page", "Home"), ("referrals.inbox_page", "Referrals"), ("providers.listings_page", "Our listings"),
                 ("providers.feed_page", "Upload vacancies"), ("directory.search_page", "Find provision")],
    "manager": [("home.home_page", "Home"), ("insight.dashboard", "Shortages"), ("directory.search_page", "Find provision")],
    "admin": [("home.home_page", "Home"), ("admin.audit_page", "Audit log"), ("review.review_page", "Listings to review"),
              ("insight.dashboard", "Shortages"),
              ("directory.search_page", "Find provision")],
}
# Pages that belong under a navigation entry (its blueprint's other pages count too).
_SECTION_OF = {"clients": "clients.caseload_page", "referrals": "referrals.inbox_page", "insight": "insight.dashboard",
               "admin": "admin.audit_page", "directory": "directory.search_page", "home": "home.home_page"}


def navigation() -> list[dict]:
    """govukServiceNavigation items for whoever is signed in, the current section marked."""
    role = current_user.role if current_user.is_authenticated else None
    entries = NAVIGATION.get(role, [("directory.search_page", "Find provision")])
    endpoint = request.endpoint or ""
    section = endpoint if endpoint in {e for e, _ in entries} else _SECTION_OF.get(endpoint.split(".")[0])
    if role == "pa" and endpoint.startswith("referrals."):
        section = "clients.caseload_page"  # a PA reaches a referral from the young person's record
    if endpoint.startswith("providers.") and section is None:
        section = "providers.listings_page"
    return [
        {"href": url_for(e), "text": words, "current": e == endpoint, "active": e == section}
        for e, words in entries
    ]


def pagination(page, endpoint: str, args: dict, **values) -> dict | None:
    """govukPagination params for a broker.paging.Page: numbered, with gaps, never past the last.

    `args` is the list's query (search, filters, sort), kept on every link.
    """
    if page.pages <= 1:
        return None

    def href(n: int) -> str:
        return url_for(endpoint, **values, **{**{k: v for k, v in args.items() if v not in (None, "")}, "page": n})

    shown = sorted({1, page.pages, *range(max(1, page.number - 1), min(page.pages, page.number + 1) + 1)})
    items, last = [], 0
    for n in shown:
        if n - last > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": href(n), "current": n == page.number})
        last = n
    params = {"items": items, "landmarkLabel": "Pages"}
    if page.number > 1:
        params["previous"] = {"href": href(page.number - 1)}
    if page.number < page.pages:
        params["next"] = {"href": href(page.number + 1)}
    return params


def _unread_notifications() -> int:
    """The header's count of the signed-in user's unread notifications."""
    from broker.notifications.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per process and shared by its apps (each test makes one).

    Jinja keys each template on its name and checks the stored code against a checksum of
    its source, so an edited template is compiled again, never served stale."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


def register(app) -> None:
    # GOV.UK Frontend's Jinja macros (govuk-frontend-jinja) and its WTForms widgets'
    # templates, under their package names, after our own templates/.
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(app.template_folder),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    env = app.jinja_env
    env.bytecode_cache = _COMPILED_TEMPLATES
    env.filters["category"] = category_label
    env.filters["date"] = _date
    env.filters["when"] = _when
    env.filters["km"] = _km
    env.filters["month"] = _month
    env.filters["plural"] = _plural
    env.filters["capitalize_first"] = lambda text: (text[:1].upper() + text[1:]) if text else text
    env.filters["council_name"] = council_name
    # Who a listing is for, said from its rules (broker.eligibility), everywhere it is shown.
    env.filters["eligibility_text"] = eligibility_text
    env.filters["who_for"] = lambda p: (lambda t: t[:1].upper() + t[1:])(describe(p))
    # Every stored link goes through this when shown: an unsafe one renders as no link.
    env.filters["safe_url"] = safe_url
    env.globals.update(
        CATEGORIES=CATEGORIES, SERVICE_NAME=SERVICE_NAME, asset_url=asset_url, error_list=error_list,
        navigation=navigation, pagination=pagination, options=options, sentence=sentence,
        unread_notifications=_unread_notifications,
    )
