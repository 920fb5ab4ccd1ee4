"""Form fields and widgets every page shares: GOV.UK Frontend markup through govuk-frontend-wtf.

Each form declares its fields with these widgets, so `{{ form.name() }}` renders the
GOV.UK component with its label, hint (the field's `description`) and inline error, and
`error_summary(form)` (templates/_macros.html) links to each field. See docs/pages.md.
"""
from __future__ import annotations

import datetime as dt

from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField
from wtforms.validators import Length, StopValidation

__all__ = [
    "GovCheckboxInput", "GovFileInput", "GovPasswordInput", "GovRadioInput", "GovSelect", "GovTextArea",
    "GovTextInput", "CharacterCount", "NumberInput", "RadioInput", "DateInputField", "sentence",
]


class NumberInput(GovTextInput):
    """A whole number: a text input with the numeric keypad (GOV.UK's advice over type=number)."""

    def __call__(self, field, **kwargs):
        params = kwargs.setdefault("params", {})
        params.setdefault("inputmode", "numeric")
        params.setdefault("spellcheck", False)
        return super().__call__(field, **kwargs)


class CharacterCount(GovCharacterCount):
    """A textarea that counts down to the field's Length(max=...)."""

    def __call__(self, field, **kwargs):
        params = kwargs.setdefault("params", {})
        limit = next((v.max for v in field.validators if isinstance(v, Length) and v.max and v.max > 0), None)
        if limit:
            params.setdefault("maxlength", limit)
        return super().__call__(field, **kwargs)


def _legend(params: dict, field) -> dict:
    """The fieldset's legend is the field's label, even when the page styles the legend
    (govuk-frontend-wtf sets it only when the page passes no fieldset at all)."""
    legend = params.setdefault("fieldset", {}).setdefault("legend", {})
    if not legend.get("text") and not legend.get("html"):
        legend["text"] = field.label.text
    return params


class RadioInput(GovRadioInput):
    """GOV.UK radios; the label is the legend."""

    def map_gov_params(self, field, **kwargs):
        return _legend(super().map_gov_params(field, **kwargs), field)


class _DateParts(GovDateInput):
    """Day, month and year boxes showing what was typed, or the stored date.

    GovDateInput reads raw_data as exactly three parts; the API's one ISO value (and a
    form posted without the field) would break it, so the items are built here.
    """

    def map_gov_params(self, field, **kwargs):
        params = _legend(GovFormBase.map_gov_params(self, field, **kwargs), field)
        error = " govuk-input--error" if field.errors else ""
        params["items"] = [
            {"label": unit.capitalize(), "id": f"{field.name}-{unit}", "name": field.name,
             "classes": f"govuk-input--width-{width}{error}", "value": value}
            for unit, width, value in zip(("day", "month", "year"), (2, 2, 4), field.typed_parts())
        ]
        return params


class DateInputField(DateField):
    """A date as GOV.UK's day, month and year boxes (posted as three values of one name).

    The JSON API sends the same field as one `YYYY-MM-DD` value; both are accepted.
    `required` is the message when nothing is entered (None: the date is optional).
    Messages follow GOV.UK's pattern: "... must include a month", "... must be a real date".
    """

    widget = _DateParts()

    def __init__(self, label=None, validators=None, required: str | None = None, **kwargs):
        super().__init__(label, validators, format=["%d %m %Y", "%Y-%m-%d"], **kwargs)
        self.required = required

    def typed_parts(self) -> list[str]:
        """[day, month, year] as typed (or from the stored date), for the three boxes."""
        raw = self.raw_data
        if raw and len(raw) == 3:
            return [str(v) for v in raw]
        if self.data:
            return [str(self.data.day), str(self.data.month), str(self.data.year)]
        if raw and len(raw) == 1:
            try:
                day = dt.date.fromisoformat(raw[0].strip())
                return [str(day.day), str(day.month), str(day.year)]
            except ValueError:
                pass
        return ["", "", ""]

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        parts = [str(v).strip() for v in valuelist]
        self.data = None
        if not any(parts):
            return
        name = self.label.text
        if len(parts) == 3:
            missing = [unit for unit, v in zip(("day", "month", "year"), parts) if not v]
            if len(missing) == 1:
                raise ValueError(f"{name} must include a {missing[0]}")
            if missing:
                raise ValueError(f"{name} must include a {' and a '.join(missing)}")
            try:
                day, month, year = (int(p) for p in parts)
                if year < 1000:
                    raise ValueError
                self.data = dt.date(year, month, day)
            except ValueError:
                raise ValueError(f"{name} must be a real date") from None
            return
        try:
            self.data = dt.date.fromisoformat(" ".join(parts))
        except ValueError:
            raise ValueError(f"{name} must be a real date, as YYYY-MM-DD") from None

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            if self.required:
                raise StopValidation(self.required)
            raise StopValidation()  # optional and empty: nothing more to check


def sentence(label: str, message: str) -> str:
    """A service's message as one sentence a person reads beside the field.

    Services say "must be today or later" (the API adds the field's name); a page says
    "Answer needed by must be today or later". Other messages just start with a capital.
    """
    message = (message or "").strip()
    if not message:
        return message
    if message.split(" ", 1)[0] in ("must", "is", "should", "cannot"):
        return f"{label} {message}"
    return message[0].upper() + message[1:]


def show_on_form(form, exc) -> None:
    """Show a service's DomainError on the form: beside the field it names (a path such as
    `intakes[1].places` names its first part), or above the form; what was typed stays."""
    field = exc.field.split(".")[0].split("[")[0] if exc.field else None
    target = form[field] if field and field in form else None
    if target is not None:
        target.errors = list(target.errors) + [sentence(target.label.text, exc.message)]
    else:
        form.form_errors.append(sentence("", exc.message))
