"""Forms for the client record; the JSON API validates through the same forms."""
import datetime as dt

from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from wtforms.fields.choices import SelectChoice

from broker.clients.models import CONSENT_PURPOSES
from broker.geography import UnknownPlace, normalise_postcode, resolve_place
from broker.taxonomy import CATEGORIES


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def _postcode(form, field):
    try:
        field.data = normalise_postcode(field.data or "")
        place = resolve_place(field.data)
    except (ValueError, UnknownPlace):
        raise ValidationError("Enter a full UK postcode, like LS9 8AB") from None
    form.resolved_place = place


def _age_range(form, field):
    if field.data is None:
        return
    today = dt.date.today()
    age = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
    if not 10 <= age <= 25:
        raise ValidationError(f"Gives an age of {age}; this service is for young people aged 13 to 19 (up to 25 with SEND)")


class ClientForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired("Enter a first name"), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired("Enter a last name"), Length(max=100)])
    date_of_birth = DateField("Date of birth", validators=[InputRequired("Enter a date of birth as YYYY-MM-DD"), _age_range])
    home_postcode = StringField("Home postcode", validators=[DataRequired("Enter a home postcode"), _postcode])
    available_from = DateField("Available from", validators=[InputRequired("Enter the date they can start, as YYYY-MM-DD")])
    urgency = SelectField(
        "Urgency (from the assessment)",
        choices=choices([("1", "1 - routine"), ("2", "2 - soon"), ("3", "3 - urgent")]),
        default="1",
        validators=[DataRequired("Choose an urgency")],
    )
    max_travel_km = FloatField(
        "Furthest they can travel (km)",
        default=25,
        validators=[InputRequired("Enter how far they can travel"), NumberRange(1, 200, "Must be between 1 and 200 km")],
    )
    assessment_date = DateField("Assessment date", validators=[Optional()])
    review_date = DateField("Review date", validators=[Optional()])
    summary = TextAreaField("Assessment summary", validators=[Length(max=5000)])
    risks = TextAreaField("Risks", validators=[Length(max=5000)])

    def validate_review_date(self, field):
        if field.data and self.assessment_date.data and field.data < self.assessment_date.data:
            raise ValidationError("Review date must be on or after the assessment date")


class NeedForm(FlaskForm):
    category = SelectField("Need", choices=choices(CATEGORIES.items()), validators=[DataRequired("Choose a need")])
    notes = TextAreaField("Notes", validators=[Length(max=2000)])


class ConsentForm(FlaskForm):
    organisation_id = IntegerField("Agency", validators=[InputRequired("Choose an agency")])
    purpose = SelectField("Purpose", choices=choices(CONSENT_PURPOSES.items()), validators=[DataRequired()])
    given = SelectField("Decision", choices=choices([("yes", "Consent given"), ("no", "Consent withdrawn or refused")]))
    note = StringField("Note (how consent was given)", validators=[Length(max=500)])
