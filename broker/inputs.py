"""What a request may carry: the one parsing of ids, months, dates and JSON bodies, with limits.

Every channel (pages, forms, the API's schemas, the CLI) reads these values through the
functions here, so a value out of range is refused the same way everywhere with an
`InputError` naming the field, before it can reach the database: an id past the
database's integer range, a month the shortage report would loop over for ever, a JSON
body nested deep enough to exhaust the parser, a NUL byte PostgreSQL cannot store.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Mapping

from werkzeug.routing import IntegerConverter

from broker.errors import BadParameter, InputError

# Ids are PostgreSQL `integer` columns (SQLite allows 2^63, but one range serves both).
MAX_ID = 2**31 - 1
# Months and dates the service plans over; far-off values are mistakes, not plans.
FIRST_MONTH, LAST_MONTH = dt.date(2000, 1, 1), dt.date(2100, 12, 1)
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
# A JSON body: no endpoint needs more than a few levels or more than this many bytes.
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 1_000_000


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a row id from 1 to MAX_ID, otherwise the path does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def check_id(value: Any, field: str, error: type[InputError] = InputError) -> int:
    """A row id given in a body, query or form: a whole number from 1 to MAX_ID."""
    if isinstance(value, bool):
        raise error(field, "must be a whole number id")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[0-9]{1,12}", value):
            raise error(field, "must be a whole number id")
        value = int(value)
    if not isinstance(value, int):
        raise error(field, "must be a whole number id")
    if not 1 <= value <= MAX_ID:
        raise error(field, f"must be an id from 1 to {MAX_ID}")
    return value


def optional_id(values: Mapping, name: str) -> int | None:
    """An optional id from a query string or form (a missing or empty value is None)."""
    raw = (values.get(name) or "").strip()
    return check_id(raw, name, BadParameter) if raw else None


def parse_month(raw: Any, field: str, error: type[InputError] = BadParameter) -> dt.date:
    """A month as YYYY-MM (or a date YYYY-MM-DD, meaning its month): the 1st of that month.

    Months are compared as dates, never as text ("10000-01" sorts before "9999-12").
    """
    text = str(raw if raw is not None else "").strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?", text)
    try:
        if match is None:
            raise ValueError
        day = dt.date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        raise error(field, f"must be a month YYYY-MM or a date YYYY-MM-DD, got {text[:20]!r}") from None
    month = day.replace(day=1)
    if not FIRST_MONTH <= month <= LAST_MONTH:
        raise error(field, f"must be a month from {format_month(FIRST_MONTH)} to {format_month(LAST_MONTH)}")
    return month


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    """The 1st of the month n months after `month`'s."""
    m = month.month - 1 + n
    return dt.date(month.year + m // 12, m % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every month from start to end inclusive (both the 1st of a month)."""
    out, m = [], start
    while m <= end:
        out.append(m)
        m = add_months(m, 1)
    return out


def parse_date(raw: Any, field: str, error: type[InputError] = BadParameter) -> dt.date:
    """A date as YYYY-MM-DD, from FIRST_DATE to LAST_DATE."""
    if isinstance(raw, dt.date):
        day = raw
    else:
        text = str(raw if raw is not None else "").strip()
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise error(field, f"must be a date as YYYY-MM-DD, got {text[:20]!r}") from None
    check_date(day, field, error)
    return day


def check_date(day: dt.date, field: str, error: type[InputError] = InputError) -> dt.date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise error(field, f"must be a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}")
    return day


# --------------------------------------------------------------------------- NUL bytes


def check_text(value: str, field: str, error: type[InputError] = InputError) -> str:
    """Text anyone typed: no NUL byte (PostgreSQL cannot store one, and no person types it)."""
    if "\x00" in value:
        raise error(field, "contains a NUL character (\\0); remove it")
    return value


def check_fields(values: Mapping, error: type[InputError]) -> None:
    """Every name and value of a query string or form (a werkzeug MultiDict)."""
    for name, value in values.items(multi=True):
        check_text(name, "parameter name", error)
        check_text(value, name, error)


# --------------------------------------------------------------------------- JSON bodies

# Strings (with their escapes) removed, what is left shows the nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def _depth(text: str) -> int:
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json(data: bytes | str, field: str | None = None, max_bytes: int | None = MAX_JSON_BYTES) -> Any:
    """Parse a JSON document within the limits: size, nesting depth, finite numbers, no NUL.

    Raises InputError naming `field` (None: the body as a whole), or the path inside the
    document (e.g. ``intakes[1].start``) for a string holding a NUL.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(field, f"is larger than {max_bytes // 1000} kB of JSON", status=413, error="too_large")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InputError(field, f"is not UTF-8 text (bad byte at position {exc.start})") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise InputError(field, f"is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InputError(field, f"is not valid JSON: {detail}") from None
    _check_strings(doc, "", field)
    return doc


def _check_strings(node: Any, path: str, field: str | None) -> None:
    # Depth is bounded above, so recursion here is bounded too.
    if isinstance(node, str):
        check_text(node, path or field)
    elif isinstance(node, float) and node in (float("inf"), float("-inf")):
        raise InputError(path or field, "is a number too large to use")
    elif isinstance(node, list):
        for n, item in enumerate(node):
            _check_strings(item, f"{path}[{n}]", field)
    elif isinstance(node, dict):
        for key, item in node.items():
            check_text(key, path or field)
            _check_strings(item, f"{path}.{key}" if path else key, field)
