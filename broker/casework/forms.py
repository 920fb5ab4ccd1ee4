"""Forms for casework pages: the plan, reviews, case conferences, supervision and reassigning.

The rules (dates in order, owners who exist) are the service's, so pages and the API agree."""
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from broker.form_fields import CharacterCount, DateInputField, GovSelect, GovTextInput


def _id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PlanActionForm(FlaskForm):
    what = StringField("What", validators=[DataRequired("Enter what is to be done"), Length(max=1000)], widget=GovTextInput())
    who = StringField("Who", validators=[DataRequired("Enter who will do it"), Length(max=200)], widget=GovTextInput(),
                      description="A person or agency, for example: Jordan, with their PA")
    due = DateInputField("By when", required="Enter the date it is due by", description="For example, 27 3 2027")


class ReviewForm(FlaskForm):
    held_on = DateInputField("Review held on", required="Enter the date the review was held")
    outcome = TextAreaField("Outcome", validators=[DataRequired("Enter the outcome"), Length(max=5000)], widget=CharacterCount())
    next_review = DateInputField("Next review", description="Leave blank if no further review is planned")


class ConferenceForm(FlaskForm):
    """Who may attend is set by the page: `people(...)` and `agencies(...)`. One action per
    page; the API takes any number."""

    held_on = DateInputField("Held on", required="Enter the date the conference was held")
    attendee_user_ids = SelectMultipleField("Colleagues who attended", coerce=_id, validate_choice=False,
                                            widget=GovCheckboxesInput())
    attendee_organisation_ids = SelectMultipleField("Agencies who attended", coerce=_id, validate_choice=False,
                                                    widget=GovCheckboxesInput(),
                                                    description="They see only what the young person consents to share with them")
    notes = TextAreaField("Notes", validators=[Length(max=5000)], widget=CharacterCount())
    decisions = TextAreaField("Decisions", validators=[Length(max=5000)], widget=CharacterCount())
    action_what = StringField("Action agreed (optional)", validators=[Length(max=1000)], widget=GovTextInput())
    action_owner = SelectField("Owner of the action", coerce=_id, validate_choice=False, widget=GovSelect())
    action_due = DateInputField("Action due by")

    def people(self, users) -> None:
        self.attendee_user_ids.choices = [SelectChoice(u.id, f"{u.name} ({u.role_label})") for u in users]
        self.action_owner.choices = [SelectChoice("", "Choose who owns it")] + [SelectChoice(u.id, u.name) for u in users]

    def agencies(self, organisations) -> None:
        self.attendee_organisation_ids.choices = [SelectChoice(o.id, o.name) for o in organisations]

    def as_data(self) -> dict:
        actions = []
        if self.action_what.data or self.action_owner.data or self.action_due.data:
            actions.append({"what": self.action_what.data, "owner_user_id": self.action_owner.data, "due": self.action_due.data})
        return {"held_on": self.held_on.data, "attendee_user_ids": self.attendee_user_ids.data or [],
                "attendee_organisation_ids": self.attendee_organisation_ids.data or [],
                "notes": self.notes.data, "decisions": self.decisions.data, "actions": actions}


class SupervisionNoteForm(FlaskForm):
    text = TextAreaField("Supervision note", validators=[DataRequired("Enter the note"), Length(max=5000)],
                         widget=CharacterCount(), description="What you talked through and agreed")


class ReassignForm(FlaskForm):
    pa_id = SelectField("Reassign to", coerce=_id, validate_choice=False, validators=[DataRequired("Choose a Personal Adviser")],
                        widget=GovSelect())

    def team(self, pas, current_pa_id: int) -> None:
        self.pa_id.choices = [SelectChoice("", "Choose a Personal Adviser")] + [
            SelectChoice(p.id, p.name) for p in pas if p.id != current_pa_id]
