"""SQL expressions that let figures be counted by GROUP BY in the database, on SQLite and PostgreSQL alike.

Each has a Python twin that says what it means; tests/insight/test_sql_figures.py holds
the two to the same answers.
"""
from __future__ import annotations

import functools
import re

from sqlalchemy import Integer, case, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from broker.councils import CODE_OF, district_councils
from broker.insight.allocation import AGE_BANDS, NOT_GIVEN


class day_number(FunctionElement):
    """A date as the whole number YYYYMMDD: months (// 100) and whole years between two dates
    ((later - earlier) // 10000) then need integer arithmetic only."""

    type = Integer()
    inherit_cache = True


@compiles(day_number)
def _day_number(element, compiler, **kw):
    return f"CAST(to_char({compiler.process(element.clauses, **kw)}, 'YYYYMMDD') AS INTEGER)"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    # SQLite keeps a date as its ISO text, YYYY-MM-DD.
    return f"CAST(REPLACE({compiler.process(element.clauses, **kw)}, '-', '') AS INTEGER)"


def month_number(day):
    """YYYYMM of a date (`month_text` gives the figures' YYYY-MM)."""
    return day_number(day) // 100


def month_text(yyyymm: int) -> str:
    return f"{int(yyyymm) // 100:04d}-{int(yyyymm) % 100:02d}"


def age_band(born, day):
    """`allocation.band_on(born, day)`: the age band in whole years on `day` (NOT_GIVEN outside the bands).
    (YYYYMMDD on `day` - YYYYMMDD at birth) // 10000 is `eligibility.age_on`, 29 February included."""
    years = (day_number(day) - day_number(born)) // 10000
    return case(*[(years.between(lo, hi), label) for lo, hi, label in AGE_BANDS], else_=NOT_GIVEN)


def postcode_district(postcode):
    """A full postcode's district ("ls9 7ab" -> "LS9"): the inward code of a full UK postcode is always 3 characters."""
    compact = func.upper(func.replace(postcode, " ", ""))
    return func.substr(compact, 1, func.length(compact) - 3)


@functools.cache
def area_code(client):
    """`eligibility.client_area`: the council code the PA recorded, else that of the home postcode's
    district (from the same district table; NULL outside it, which `council_name` calls OTHER).
    `client`: the Client model (or an alias of it)."""
    # Built once and written into the SQL (not ~170 bound parameters a query): districts and codes
    # come from the shipped table and are letters and digits only, as checked here.
    whens = []
    for district, council in sorted(district_councils().items()):
        if council in CODE_OF:
            code = CODE_OF[council]
            assert re.fullmatch(r"[A-Z0-9]+", district) and re.fullmatch(r"[A-Z0-9]+", code)
            whens.append((literal_column(f"'{district}'"), literal_column(f"'{code}'")))
    return func.coalesce(client.area, case(*whens, value=postcode_district(client.home_postcode)))
