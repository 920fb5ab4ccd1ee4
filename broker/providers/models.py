"""Provider self-service: the history of every listing change, feed uploads, machine tokens."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.directory.models import Organisation, Provision
from broker.extensions import NO_ID_REUSE, db


class ProvisionChange(db.Model):
    """One change to a listing or its intakes: who, when, how, and the listing before and after.

    `before` and `after` are JSON snapshots (see providers.services.snapshot), so managers
    can follow places and start dates over time.
    """

    __tablename__ = "provision_change"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation_token.id"))
    source: Mapped[str] = mapped_column(String(10))  # form | feed | api | confirm
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)

    provision: Mapped[Provision] = relationship()
    user: Mapped[Optional[User]] = relationship()


class OrganisationToken(db.Model):
    """An API token for a provider organisation's own systems; only its SHA-256 is kept."""

    __tablename__ = "organisation_token"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()


class FeedUpload(db.Model):
    """A vacancy file as uploaded: checked and previewed first, applied whole or not at all."""

    __tablename__ = "feed_upload"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    rows: Mapped[str] = mapped_column(Text)  # the parsed rows, JSON, so applying re-reads nothing
