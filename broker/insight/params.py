"""The shortage report's parameters, from the dashboard's form or the API's query string."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates

from broker.api.schemas import Month, Query
from broker.councils import areas
from broker.taxonomy import CATEGORIES

DIMENSIONS = ("category", "area", "month", "age_band")
OUTSIDE = "Outside West Yorkshire"


class ShortageArgs(Query):
    by = fields.String(metadata={"description": "comma-separated dimensions to group by: category, area, month, age_band (13-15, 16-17, 18-19)"})
    from_ = Month(data_key="from", metadata={"description": "first month, YYYY-MM (default: this month)", "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"})
    to = Month(metadata={"description": "last month, YYYY-MM (default: six months from `from`; at most 36)", "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"})
    area = fields.String(metadata={"description": "a council area"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES), error="unknown category; use one of: " + ", ".join(CATEGORIES)))

    @validates("by")
    def _by(self, value, **_kwargs):
        by = [b.strip() for b in value.split(",") if b.strip()]
        for b in by:
            if b not in DIMENSIONS:
                raise ValidationError(f"unknown dimension {b[:30]!r}; use a comma-separated list of: {', '.join(DIMENSIONS)}")
        if len(set(by)) != len(by):
            raise ValidationError("names a dimension twice")

    @validates("area")
    def _area(self, value, **_kwargs):
        if value not in areas() + [OUTSIDE]:
            raise ValidationError(f"unknown area {value[:50]!r}; use one of: {', '.join(areas())}")
