"""Screening a referral against the listing's rules (age on the start day, area, criteria).

A PA may know something the record does not (a local connection, a provider's exception):
they can refer anyway by giving a reason, which is kept on the referral for the provider
and audited. Without one, an ineligible referral is refused naming the rules it breaks.
"""
from __future__ import annotations

from typing import Optional

from broker.eligibility import broken_rules
from broker.errors import Ineligible, InputError

MAX_REASON = 2000


def screen(client, provision, intake, today, override_reason: Optional[str]) -> Optional[str]:
    """The override reason to store (None when the young person meets every rule); raises
    Ineligible when they do not and no reason is given."""
    # The day they would start, as the matcher judges it: the intake's start, or later
    # when they are available later (a rolling intake that has begun: today at the earliest).
    start = max(intake.start, client.available_from or today, today)
    broken = broken_rules(provision, client, start)
    reason = (override_reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InputError("override_reason", f"keep the reason under {MAX_REASON} characters")
    if not broken:
        return None
    if reason:
        return reason
    raise Ineligible(
        "intake_id", ". ".join(b.message for b in broken) + ". To refer anyway, say why.",
        rules=[b.rule for b in broken],
    )
