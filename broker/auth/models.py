"""People who sign in, their roles, and API tokens."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.directory.models import Organisation
from broker.extensions import NO_ID_REUSE, db

ROLES = {
    "pa": "Personal Adviser",
    "lead": "Team lead",
    "provider": "Provider staff",
    "manager": "Manager",
    "admin": "Administrator",
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Provider staff belong to one organisation and see only its referrals and listings.
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"))
    # A PA in a specialist team (e.g. "Youth Offending Team"); sharing a complex case with
    # one of them counts as specialist involvement on the caseload.
    specialist_team: Mapped[Optional[str]] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    # How a provider reaches a referral's PA besides e-mail.
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    team: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Part of the id every session of this account carries: signing out raises it, which
    # ends all the account's sessions, on every device, at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Optional[Organisation]] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def get_id(self) -> str:  # what Flask-Login keeps in the session (broker.auth.views.load_user reads it)
        return f"{self.id}:{self.session_version}"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class SignInThrottle(db.Model):
    """Failed sign-ins in a row for one email address, and until when it is locked.

    Kept in the database so every process shares it (and the embedded demo needs no
    Redis). Keyed by a digest of the address typed, whether or not an account has it, so
    a lockout never tells anyone which addresses have accounts.
    """

    __tablename__ = "sign_in_throttle"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
