"""Fields and base schemas every API endpoint declares its input and output with.

Each field parses through `broker.inputs`, so an id, a date or a month is checked the
same way in a JSON body, a query string and a form.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_load, validate

from broker import inputs
from broker.errors import InputError


class Body(Schema):
    """A JSON request body: fields not declared are ignored (clients may send more)."""

    class Meta:
        unknown = EXCLUDE


class Strict(Schema):
    """A JSON object whose every member must be declared (an intake row)."""

    class Meta:
        unknown = RAISE


class Query(Schema):
    """A query string: empty values count as not given (an HTML form sends every field)."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def drop_empty(self, data, **_kwargs):
        return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}


class Text(fields.String):
    """Text: no NUL byte (PostgreSQL cannot store one)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return inputs.check_text(text, attr or "")
        except InputError as exc:
            raise ValidationError(exc.message) from None


class Whole(fields.Integer):
    """A whole number: a JSON integer or, in a query string, its digits; never true/false or 2.5."""

    default_error_messages = {"invalid": "must be a whole number"}

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value.strip()) > 12:
            raise self.make_error("invalid")
        return super()._validated(value)


class Flag(fields.Boolean):
    """JSON true or false, nothing else (not 1, not "yes")."""

    default_error_messages = {"invalid": "must be true or false"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Id(Whole):
    """A row id, from 1 to the database's integer limit."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(1, inputs.MAX_ID, error=f"must be an id from 1 to {inputs.MAX_ID}"), **kwargs)


class Date(fields.Date):
    """A date as YYYY-MM-DD within the years the service plans over (broker.inputs)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("must be a date as YYYY-MM-DD")
        try:
            return inputs.parse_date(value, attr or "", InputError)
        except InputError as exc:
            raise ValidationError(exc.message) from None


class Month(fields.String):
    """A month as YYYY-MM (or a date in it); loads as the 1st of the month, dumps as YYYY-MM."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$", "example": "2027-01"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return inputs.parse_month(value, attr or "", InputError)
        except InputError as exc:
            raise ValidationError(exc.message) from None

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return inputs.format_month(value) if isinstance(value, dt.date) else str(value)


class Instant(fields.DateTime):
    """A moment, always with its UTC offset (SQLite gives back times without one; they are UTC)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def computed(field: fields.Field, compute: Callable[[Any], Any]) -> fields.Field:
    """An output field whose value `compute(obj)` derives (documented as `field` is)."""
    field.dump_only = True
    field.get_value = lambda obj, attr, accessor=None, default=missing: compute(obj)  # type: ignore[method-assign]
    return field


class Error(Schema):
    """Every error the API answers, whatever its status."""

    error = fields.String(required=True, metadata={"description": "what kind of error: invalid, bad_parameter, not_found, conflict, ..."})
    field = fields.String(required=True, allow_none=True, metadata={"description": "the field, parameter or row to fix, e.g. intakes[1].places"})
    message = fields.String(required=True, metadata={"description": "what is wrong and how to fix it"})
    errors = fields.List(
        fields.Dict(), metadata={"description": "every problem, when there are several: {row?, field, message}"}
    )
    rules = fields.List(fields.String(), metadata={
        "description": "for `ineligible`: the listing's rules the young person breaks (age, area, criteria)"})
