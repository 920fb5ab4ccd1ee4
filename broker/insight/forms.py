"""The manager's forms: which allocation run to start, and the what-if question."""
import datetime as dt

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from broker.councils import areas
from broker.errors import InputError
from broker.inputs import format_month, parse_month
from broker.form_fields import GovSelect, GovTextInput, NumberInput
from broker.taxonomy import CATEGORIES


def _area_choices(everywhere: str | None = None) -> list[SelectChoice]:
    out = [SelectChoice("", everywhere)] if everywhere else []
    return out + [SelectChoice(a, a) for a in areas()]


class RunForm(FlaskForm):
    area = SelectField("Area to run over", validate_choice=True, widget=GovSelect())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = _area_choices("All areas")


def _this_month_or_later(form, field):
    try:
        start = parse_month(field.data, field.name, InputError)
    except InputError as exc:
        raise ValidationError(exc.message) from None
    if start < dt.date.today().replace(day=1):
        raise ValidationError("Choose this month or a later one")
    field.data = format_month(start)


class WhatIfForm(FlaskForm):
    """Posted: it starts a background job (the matcher runs twice)."""

    category = SelectField("Need", validators=[InputRequired("Choose a need")], widget=GovSelect())
    area = SelectField("Area", validators=[InputRequired("Choose an area")], widget=GovSelect())
    month = StringField("From month", validators=[InputRequired("Enter a month as YYYY-MM"), _this_month_or_later],
                        render_kw={"type": "month"}, widget=GovTextInput(), description="YYYY-MM, this month or later")
    places = IntegerField("Places to add", validators=[
        InputRequired("Enter how many places to add, from 1 to 1000"),
        NumberRange(1, 1000, "Enter a whole number of places from 1 to 1000")], widget=NumberInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(k, v) for k, v in CATEGORIES.items()]
        self.area.choices = _area_choices()
