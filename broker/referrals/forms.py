from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from broker.clients.forms import choices
from broker.form_fields import CharacterCount, DateInputField, GovSelect, RadioInput
from broker.referrals.models import DECLINE_REASONS, DESTINATIONS, PA_ACTIONS


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
    # Need to know: the page offers the young person's other open needs (`other_needs`).
    share_need_ids = SelectMultipleField(
        "Other needs to share with this provider", coerce=int, validate_choice=False, widget=GovCheckboxesInput(),
        description="The provider sees only the need this referral is for, and any you tick here. Leave them all unticked "
                    "unless the provider needs to know.",
    )

    def other_needs(self, client, need) -> "ReferralForm":
        from broker.taxonomy import category_label

        self.share_need_ids.choices = choices(
            (n.id, category_label(n.category)) for n in client.open_needs if n.id != need.id)
        return self
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
    destination = SelectField("Where did they go next?", choices=choices([("", "Choose where they went"), *DESTINATIONS.items()]),
                              validate_choice=False, widget=GovSelect(),
                              description="Needed when they completed or left early")
    outcome_on = DateInputField("When did it end?", description="Leave empty for today")
    note = TextAreaField("Note", validators=[Length(max=2000)], widget=CharacterCount(),
                         description="The information the provider asked for, why you are withdrawing, or why they left early")

    def for_status(self, status: str) -> "PaActionForm":
        allowed = {"more_info": ("reply", "withdraw"), "sent": ("withdraw",), "accepted": ("started", "withdraw"),
                   "started": ("completed", "left_early"),
                   "paused": ("withdraw",)}.get(status, ())
        self.action.choices = choices((a, PA_ACTIONS[a]) for a in allowed)
        return self


class ReferFromListingForm(FlaskForm):
    """Starting a referral from a listing: which young person and need, and which start date.
    The choices are set per request (`for_listing`); sending goes through the refer page."""

    person_need = RadioField("Who is the referral for?", validators=[DataRequired("Choose the young person and their need")],
                             widget=RadioInput(), validate_choice=False)
    intake_id = RadioField("Start date", validators=[DataRequired("Choose a start date")], widget=RadioInput(),
                           validate_choice=False)

    def for_listing(self, person_needs, intakes) -> "ReferFromListingForm":
        self.person_need.choices = choices(person_needs)
        self.intake_id.choices = choices(intakes)
        return self
