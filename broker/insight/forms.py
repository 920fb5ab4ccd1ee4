"""The manager's forms: which allocation run to start, and the what-if question."""
import datetime as dt

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from broker.councils import areas
from broker.taxonomy import CATEGORIES


def _area_choices(everywhere: str | None = None) -> list[SelectChoice]:
    out = [SelectChoice("", everywhere)] if everywhere else []
    return out + [SelectChoice(a, a) for a in areas()]


class RunForm(FlaskForm):
    area = SelectField("Area to run over", validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = _area_choices("All areas")


def _this_month_or_later(form, field):
    try:
        start = dt.date.fromisoformat(f"{(field.data or '').strip()}-01")
    except ValueError:
        raise ValidationError("Enter a month as YYYY-MM, like 2026-03") from None
    if start < dt.date.today().replace(day=1):
        raise ValidationError("Choose this month or a later one")
    field.data = field.data.strip()


class WhatIfForm(FlaskForm):
    """Posted: it starts a background job (the matcher runs twice)."""

    category = SelectField("Need", validators=[InputRequired("Choose a need")])
    area = SelectField("Area", validators=[InputRequired("Choose an area")])
    month = StringField("From month", validators=[InputRequired("Enter a month as YYYY-MM"), _this_month_or_later],
                        render_kw={"type": "month", "placeholder": "YYYY-MM"})
    places = IntegerField("Places to add", validators=[
        InputRequired("Enter how many places to add, from 1 to 1000"),
        NumberRange(1, 1000, "Enter a whole number from 1 to 1000")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(k, v) for k, v in CATEGORIES.items()]
        self.area.choices = _area_choices()
