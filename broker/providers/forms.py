from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from broker.clients.forms import choices
from broker.councils import COUNCIL_CODES
from broker.taxonomy import CRITERIA, KINDS
from broker.directory.models import REFERRAL_ROUTES, STATUSES
from broker.errors import InputError
from broker.form_fields import CharacterCount, GovFileInput, GovSelect, GovTextInput, NumberInput, sentence
from broker.weblinks import clean_url

LISTING_STATUSES = {"active": "Active: shown in search and suggestions", "withdrawn": "Withdrawn: hidden from new referrals"}


class ListingForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the listing's name"), Length(max=200)], widget=GovTextInput())
    description = TextAreaField("Description", validators=[Length(max=5000)], widget=CharacterCount())
    kind = SelectField("Kind", choices=choices([("", "Not given")] + sorted(
        {(k, label) for kinds in KINDS.values() for k, label in kinds.items()}, key=lambda kv: kv[1])),
        widget=GovSelect(), description="What sort of service it is within its category",
        # Not given (a form or client from before kinds): none; the service checks the kind against the category.
        validate_choice=False)
    areas = SelectMultipleField(
        "Councils whose young people it serves",
        choices=choices(sorted(COUNCIL_CODES.items(), key=lambda kv: kv[1])),
        widget=GovCheckboxesInput(),
        description="Leave all unticked if it takes young people from anywhere",
    )
    requires = SelectMultipleField(
        "Only for",
        choices=choices((slug, label[:1].upper() + label[1:]) for slug, label in CRITERIA.items()),
        widget=GovCheckboxesInput(),
        description="Tick only if a young person must be one of these to use it",
    )
    eligibility = TextAreaField("Anything else about who it is for", validators=[Length(max=2000)], widget=CharacterCount(),
                                description="Ages, areas and who it is only for are said from the answers above")
    min_age = IntegerField("Youngest age", validators=[Optional(), NumberRange(0, 120, "Youngest age must be from 0 to 120")],
                           widget=NumberInput())
    max_age = IntegerField("Oldest age", validators=[Optional(), NumberRange(0, 120, "Oldest age must be from 0 to 120")],
                           widget=NumberInput())
    cost = StringField("Cost", default="Free", validators=[DataRequired("Say what it costs, or Free"), Length(max=200)],
                       widget=GovTextInput())
    referral_route = SelectField("How to refer", choices=choices(REFERRAL_ROUTES.items()), widget=GovSelect())
    referral_contact = StringField("Referral contact", validators=[Length(max=200)], widget=GovTextInput(),
                                   description="A name, phone number or email address")
    referral_form_url = StringField(
        "Referral form link",
        validators=[Length(max=300)],
        widget=GovTextInput(), description="For example https://example.org/refer",
    )
    status = SelectField("Status", choices=choices([(s, LISTING_STATUSES.get(s, s.capitalize())) for s in STATUSES]),
                         widget=GovSelect())

    def validate_referral_form_url(self, field):
        # The one check every channel uses for a stored link: http(s) or mailto only.
        try:
            field.data = clean_url(field.data, field.name)
        except InputError as exc:
            raise ValidationError(sentence(field.label.text, exc.message)) from None

    def validate_max_age(self, field):
        if field.data is not None and self.min_age.data is not None and field.data < self.min_age.data:
            raise ValidationError("Oldest age must be at least the youngest age")


class FeedForm(FlaskForm):
    file = FileField("Vacancy file (CSV or JSON)", validators=[FileRequired("Choose a file to upload")], widget=GovFileInput())


class TokenForm(FlaskForm):
    label = StringField("What the token is for", validators=[DataRequired("Say what the token is for"), Length(max=100)],
                        widget=GovTextInput(), description="For example, our booking system")
