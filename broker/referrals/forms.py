from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from broker.clients.forms import choices
from broker.form_fields import CharacterCount, DateInputField, GovSelect, RadioInput
from broker.referrals.models import DECLINE_REASONS, PA_ACTIONS


class ReferralForm(FlaskForm):
    need_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    intake_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    summary = TextAreaField(
        "Background for the provider",
        validators=[DataRequired("Give the provider some background"),
                    Length(min=20, max=5000, message="Background for the provider must be between 20 and 5000 characters")],
        widget=CharacterCount(),
        description="Needs, circumstances and what you hope the placement achieves",
    )
    risks = TextAreaField("Risks the provider should know about", validators=[Length(max=5000)], widget=CharacterCount())
    answer_by = DateInputField("Answer needed by")
    override_reason = TextAreaField(
        "Refer anyway, because",
        validators=[Length(max=2000, message="Keep the reason to refer anyway under 2000 characters")],
        widget=CharacterCount(),
        description="Only if you know they can use it all the same, e.g. the provider has agreed an exception. "
                    "The provider sees this.",
    )


class AnswerForm(FlaskForm):
    decision = RadioField(
        "Your answer",
        choices=choices([("accept", "Accept"), ("decline", "Decline"), ("more_info", "Ask for more information")]),
        validators=[DataRequired("Choose your answer")],
        widget=RadioInput(),
    )
    reason = SelectField("Reason for declining", choices=choices([("", "Choose a reason"), *DECLINE_REASONS.items()]),
                         validate_choice=False, widget=GovSelect())
    message = TextAreaField("Message to the Personal Adviser", validators=[Length(max=2000)], widget=CharacterCount(),
                            description="Needed when asking for more information or declining for another reason")


class PaActionForm(FlaskForm):
    """The PA's next step; the page offers only the actions the referral's status allows."""

    action = RadioField("What do you want to do?", choices=choices(PA_ACTIONS.items()),
                        validators=[DataRequired("Choose what to do")], widget=RadioInput())
    note = TextAreaField("Note", validators=[Length(max=2000)], widget=CharacterCount(),
                         description="The information the provider asked for, or why you are withdrawing")

    def for_status(self, status: str) -> "PaActionForm":
        allowed = {"more_info": ("reply", "withdraw"), "sent": ("withdraw",), "accepted": ("started", "withdraw")}.get(status, ())
        self.action.choices = choices((a, PA_ACTIONS[a]) for a in allowed)
        return self
