from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from broker.clients.forms import choices
from broker.directory.models import REFERRAL_ROUTES, STATUSES
from broker.errors import InputError
from broker.weblinks import clean_url


class ListingForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the listing's name"), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    eligibility = TextAreaField("Who it is for", validators=[Length(max=2000)])
    min_age = IntegerField("Youngest age", validators=[Optional(), NumberRange(0, 120, "Must be between 0 and 120")])
    max_age = IntegerField("Oldest age", validators=[Optional(), NumberRange(0, 120, "Must be between 0 and 120")])
    cost = StringField("Cost", default="Free", validators=[DataRequired("Say what it costs, or Free"), Length(max=200)])
    referral_route = SelectField("How to refer", choices=choices(REFERRAL_ROUTES.items()))
    referral_contact = StringField("Referral contact", validators=[Length(max=200)])
    referral_form_url = StringField("Referral form link", validators=[Length(max=300)])
    status = SelectField("Status", choices=choices([(s, s.capitalize()) for s in STATUSES]))

    def validate_referral_form_url(self, field):
        # The one check every channel uses for a stored link: http(s) or mailto only.
        try:
            field.data = clean_url(field.data, field.name)
        except InputError as exc:
            raise ValidationError(exc.message) from None

    def validate_max_age(self, field):
        if field.data is not None and self.min_age.data is not None and field.data < self.min_age.data:
            raise ValidationError("Must be at least the youngest age")


class FeedForm(FlaskForm):
    file = FileField("Vacancy file (CSV or JSON)", validators=[FileRequired("Choose a file to upload")])


class TokenForm(FlaskForm):
    label = StringField("What the token is for", validators=[DataRequired("Say what the token is for"), Length(max=100)])
