"""Forms for the client record's pages: what was typed, its types and lengths.

The record's rules (a postcode we can place, the age range, review after assessment) are
the service's (`clients.services.check_record`), so the form and the API apply the same ones.
"""
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from wtforms.fields.choices import SelectChoice

from broker.clients.models import CONSENT_PURPOSES
from broker.taxonomy import CATEGORIES


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class ClientForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired("Enter a first name"), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired("Enter a last name"), Length(max=100)])
    date_of_birth = DateField("Date of birth", validators=[InputRequired("Enter a date of birth as YYYY-MM-DD")])
    home_postcode = StringField("Home postcode", validators=[DataRequired("Enter a home postcode")])
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


class NeedForm(FlaskForm):
    category = SelectField("Need", choices=choices(CATEGORIES.items()), validators=[DataRequired("Choose a need")])
    notes = TextAreaField("Notes", validators=[Length(max=2000)])


class ConsentForm(FlaskForm):
    organisation_id = IntegerField("Agency", validators=[InputRequired("Choose an agency")])
    purpose = SelectField("Purpose", choices=choices(CONSENT_PURPOSES.items()), validators=[DataRequired()])
    given = SelectField("Decision", choices=choices([("yes", "Consent given"), ("no", "Consent withdrawn or refused")]))
    note = StringField("Note (how consent was given)", validators=[Length(max=500)])
