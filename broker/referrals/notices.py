"""Who hears of each step of a referral, in words that name the young person by first
name and initial only (the notices may go by e-mail)."""
from __future__ import annotations

from broker.notifications import notify, short_name
from broker.notifications.services import staff_of
from broker.referrals.models import DECLINE_REASONS, Referral


def _link(referral: Referral) -> str:
    return f"/referrals/{referral.id}"


def _what(referral: Referral) -> str:
    return f"{short_name(referral.client)}'s referral {referral.id} to {referral.provision.name}"


def to_provider(referral: Referral, kind: str, subject: str, body: str, key: str | None = None) -> None:
    notify(staff_of(referral.organisation_id), kind, subject, body, link=_link(referral), key=key)


def to_pa(referral: Referral, kind: str, subject: str, body: str, key: str | None = None) -> None:
    notify([referral.pa], kind, subject, body, link=_link(referral), key=key)


def sent(referral: Referral) -> None:
    to_provider(referral, "referral-sent", f"New referral: {short_name(referral.client)} for {referral.provision.name}",
                f"A Personal Adviser has referred {short_name(referral.client)} to {referral.provision.name}, "
                f"starting {referral.intake.start:%d %b %Y}. Please answer by {referral.answer_by:%d %b %Y}; "
                "a place is held until then.")


def answered(referral: Referral, decision: str) -> None:
    if decision == "accept":
        to_pa(referral, "referral-accepted", f"Accepted: {_what(referral)}",
              f"{referral.organisation.name} accepted {_what(referral)}. Mark it as started when they begin.")
    elif decision == "decline":
        reason = DECLINE_REASONS.get(referral.decline_reason or "", "")
        to_pa(referral, "referral-declined", f"Declined: {_what(referral)}",
              f"{referral.organisation.name} declined {_what(referral)}. Reason: {reason}. The place is freed.")
    else:
        to_pa(referral, "referral-more-info", f"More information asked for: {_what(referral)}",
              f"{referral.organisation.name} needs more information about {_what(referral)} before answering. "
              "Reply on the referral's page.")


def replied(referral: Referral) -> None:
    to_provider(referral, "referral-reply", f"The PA replied: {_what(referral)}",
                f"The Personal Adviser has sent the information you asked for on {_what(referral)}. "
                f"Please answer by {referral.answer_by:%d %b %Y}.")


def lapsed(referral: Referral) -> None:
    body = (f"{_what(referral)} was not answered within the days allowed after its answer-by date "
            f"({referral.answer_by:%d %b %Y}), so it has lapsed and its place is back in the pool.")
    to_provider(referral, "referral-lapsed", f"Lapsed: {_what(referral)}", body, key=f"lapsed:{referral.id}")
    to_pa(referral, "referral-lapsed", f"Lapsed: {_what(referral)}",
          body + " Refer them again or choose another option.", key=f"lapsed:{referral.id}")
