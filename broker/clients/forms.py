"""Forms for the client record's pages: what was typed, its types and lengths.

The record's rules (a postcode we can place, the age range, review after assessment) are
the service's (`clients.services.check_record`), so the form and the API apply the same ones.
"""
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import BooleanField, FloatField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField

from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from broker.clients.models import CONSENT_PURPOSES
from broker.councils import COUNCIL_CODES
from broker.form_fields import CharacterCount, DateInputField, GovCheckboxInput, GovSelect, GovTextInput, NumberInput, RadioInput
from broker.taxonomy import CATEGORIES, CRITERIA


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class ClientForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired("Enter a first name"), Length(max=100)],
                             widget=GovTextInput())
    last_name = StringField("Last name", validators=[DataRequired("Enter a last name"), Length(max=100)],
                            widget=GovTextInput())
    date_of_birth = DateInputField("Date of birth", required="Enter a date of birth",
                                   description="For example, 27 3 2009")
    home_postcode = StringField(
        "Home postcode", validators=[DataRequired("Enter a home postcode")], widget=GovTextInput(),
        description="Used only to measure travel; providers see the district, for example LS9",
    )
    area = SelectField(
        "Council whose services they use",
        choices=choices([("", "Where their home postcode is"), *sorted(COUNCIL_CODES.items(), key=lambda kv: kv[1])]),
        default="",
        widget=GovSelect(),
        description="Change this only when they are placed elsewhere, for example in care out of their home area",
    )
    criteria = SelectMultipleField(
        "Services for particular young people they can use",
        choices=choices((slug, label[:1].upper() + label[1:]) for slug, label in CRITERIA.items()),
        widget=GovCheckboxesInput(),
        description="Some services are only for, say, care leavers or young parents. Select all that apply.",
    )
    available_from = DateInputField("Available from", required="Enter the date they could start",
                                    description="The first day they could start a placement")
    urgency = RadioField(
        "Urgency (from the assessment)",
        choices=choices([("1", "1 – routine"), ("2", "2 – soon"), ("3", "3 – urgent")]),
        default="1",
        validators=[DataRequired("Choose an urgency")],
        widget=RadioInput(),
    )
    max_travel_km = FloatField(
        "Furthest they can travel, in km",
        default=25,
        validators=[InputRequired("Enter how far they can travel"), NumberRange(1, 200, "Enter a distance from 1 to 200 km")],
        widget=NumberInput(),
    )
    assessment_date = DateInputField("Assessment date")
    complex_needs = BooleanField(
        "Has complex needs", widget=GovCheckboxInput(),
        description="Like urgency 3, they can be referred only on an assessment from the last 6 months",
    )
    review_date = DateInputField("Review date")
    summary = TextAreaField("Assessment summary", validators=[Length(max=5000)], widget=CharacterCount(),
                            description="Background a provider needs; shared only with consent")
    risks = TextAreaField("Risks", validators=[Length(max=5000)], widget=CharacterCount(),
                          description="Shared only where the young person consents to share the assessment")
    # Shown after the record matched an existing one (same name and date of birth).
    confirm_new = BooleanField("Create a new record anyway: this is a different young person", widget=GovCheckboxInput())


class NeedForm(FlaskForm):
    category = SelectField("Need", choices=choices(CATEGORIES.items()), validators=[DataRequired("Choose a need")],
                           widget=GovSelect())
    notes = TextAreaField("Notes", validators=[Length(max=2000)], widget=CharacterCount())


def _agency(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # nothing (or nonsense) chosen: "Choose an agency"


class ConsentForm(FlaskForm):
    """The agency list (every organisation in the directory) is set by the page: `agencies(...)`."""

    # validate_choice off: the service checks the agency exists, with one message for every channel.
    organisation_id = SelectField("Agency", coerce=_agency, validate_choice=False, validators=[InputRequired("Choose an agency")],
                                  widget=GovSelect(), description="Start typing the agency's name")
    purpose = RadioField("What they agree to share", choices=choices(CONSENT_PURPOSES.items()),
                         validators=[DataRequired("Choose what they agree to share")], widget=RadioInput())
    given = RadioField("Their decision", choices=choices([("yes", "Consent given"), ("no", "Consent withdrawn or refused")]),
                       validators=[DataRequired("Choose their decision")], widget=RadioInput())
    note = StringField("How consent was given (optional)", validators=[Length(max=500)], widget=GovTextInput(),
                       description="For example: agreed in person at the one-stop shop")
    expires_on = DateInputField("Consent runs until (optional)",
                                description="Leave blank for the standard period from today. Ignored when consent is withdrawn")

    def agencies(self, organisations) -> None:
        self.organisation_id.choices = [SelectChoice("", "Choose an agency")] + [
            SelectChoice(o.id, o.name) for o in organisations
        ]
