from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from broker.clients.forms import choices
from broker.referrals.models import DECLINE_REASONS


class ReferralForm(FlaskForm):
    need_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    intake_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    summary = TextAreaField(
        "Background for the provider",
        validators=[DataRequired("Give the provider some background"), Length(min=20, max=5000, message="Write between 20 and 5000 characters")],
    )
    risks = TextAreaField("Risks the provider should know about", validators=[Length(max=5000)])
    answer_by = DateField("Answer needed by", validators=[Optional()])


class AnswerForm(FlaskForm):
    decision = SelectField(
        "Your answer",
        choices=choices([("accept", "Accept"), ("decline", "Decline"), ("more_info", "Ask for more information")]),
    )
    reason = SelectField("Reason for declining", choices=choices([("", "—"), *DECLINE_REASONS.items()]), validate_choice=False)
    message = TextAreaField("Message to the Personal Adviser", validators=[Length(max=2000)])


class PaActionForm(FlaskForm):
    action = SelectField(choices=choices([("reply", "Reply"), ("withdraw", "Withdraw"), ("started", "Started")]))
    note = TextAreaField("Note", validators=[Length(max=2000)])
