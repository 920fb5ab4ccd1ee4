"""Accounts: passwords (argon2), API tokens and the role checks every view uses."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from typing import Optional
from urllib.parse import urlsplit

from argon2 import PasswordHasher, profiles
from argon2.exceptions import VerificationError
from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import func, select, update
from zxcvbn import zxcvbn

from broker.auth import throttle
from broker.auth.models import ROLES, ApiToken, User
from broker.errors import InputError, Unauthorised
from broker.extensions import db

MIN_PASSWORD = 10
MAX_PASSWORD = 200
# zxcvbn's score, 0-4, estimates guesses against its own lists of the most common
# passwords, words and names and against patterns (repeats, sequences, keyboard runs,
# dates); 3 is "safely unguessable" for a site that slows guessing, as sign-in does here.
MIN_STRENGTH = 3


def _hasher() -> PasswordHasher:
    # argon2id; the profile is configurable so the test suite can use the cheapest one.
    profile = current_app.config.get("BROKER_PASSWORD_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def check_password(password: str, *about: str) -> None:
    """Refuse a password that is short or easy to guess; `about` are the account's own
    words (email, name), which make a password easier to guess. Raises InputError."""
    if len(password) < MIN_PASSWORD:
        raise InputError("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError("password", f"must be at most {MAX_PASSWORD} characters")
    words = [w for text in about for w in re.split(r"[^a-z0-9]+", (text or "").lower()) if w]
    result = zxcvbn(password, user_inputs=words, max_length=MAX_PASSWORD)
    if result["score"] < MIN_STRENGTH:
        feedback = result["feedback"]
        why = feedback.get("warning") or "It is too easy to guess."
        hint = " ".join(feedback.get("suggestions") or []) or "Use three or four unrelated words."
        raise InputError("password", f"is too easy to guess. {why} {hint}")


def create_user(email: str, name: str, role: str, password: str, organisation_id: Optional[int] = None) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise InputError("role", f"must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise InputError("email", "must be an email address")
    check_password(password, email, name)
    if role == "provider" and organisation_id is None:
        raise InputError("organisation", "provider staff must belong to an organisation")
    if db.session.scalar(select(User).where(User.email == email)):
        raise InputError("email", f"{email} already has an account")
    user = User(email=email, name=name, role=role, password_hash=_hasher().hash(password), organisation_id=organisation_id)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The active user with this email and password; else Unauthorised (the same answer
    whichever part was wrong, or for an inactive account), or throttle.SignInLocked after
    too many failures in a row.

    Every failure is counted and audited even though the request is rolled back.
    """
    email = (email or "").strip().lower()
    throttle.refuse_if_locked(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        _hasher().hash(password or "x")  # spend the same time, so timing does not reveal accounts
        ok = False
    else:
        try:
            ok = _hasher().verify(user.password_hash, password or "") and user.active
        except VerificationError:
            ok = False
    if not ok:
        throttle.count_failure(email, user)
        raise Unauthorised("password", "the email or password is not right")
    throttle.forget_failures(email)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)  # saved with the request's unit of work
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def issue_token(user: User) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    now = _now()
    expires = now + dt.timedelta(hours=current_app.config["BROKER_TOKEN_HOURS"])
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=expires))
    return token, expires


def revoke_token(token: str) -> None:
    """End one API token now (DELETE /api/v1/auth/token)."""
    db.session.execute(
        update(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)).values(revoked_at=_now())
    )


def end_all_sessions(user: User) -> None:
    """Signing out: every web session and API token of the account stops working at once."""
    user.session_version += 1  # sessions carry the old number, so load_user no longer accepts them
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=_now())
    )


def user_for_token(token: str) -> Optional[User]:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
    if expires < dt.datetime.now(dt.timezone.utc) or not row.user.active:
        return None
    return row.user


# Browsers drop tabs and newlines inside a URL and read a backslash as "/", so
# "/<tab>/evil.example/" and "/<backslash>evil.example" both lead to another site; a CR or
# LF would also break the Location header.
_NOT_IN_A_LOCAL_PATH = re.compile(r"[\x00-\x1f\x7f\\]")
MAX_NEXT_LENGTH = 2000


def local_path(url: Optional[str]) -> Optional[str]:
    """A same-site path to return to after a form (`next`), else None: never another site's address.

    Every `next` goes through here before a redirect, so a link that would lead off the
    site (or break the Location header) falls back to the caller's default page.
    """
    if not isinstance(url, str) or not url.startswith("/") or len(url) > MAX_NEXT_LENGTH:
        return None
    if url.startswith("//") or _NOT_IN_A_LOCAL_PATH.search(url):
        return None
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else None


def audit_role_denial(user: User) -> None:
    """A role that never has access tried a young person's record or a referral: audit it."""
    from broker.audit import services as audit
    from broker.referrals.models import Referral

    args = request.view_args or {}
    if "client_id" in args:
        audit.record_denial(user, "denied_role", "client", args["client_id"], args["client_id"], path=request.path)
    elif "referral_id" in args:
        referral = db.session.get(Referral, args["referral_id"])
        audit.record_denial(user, "denied_role", "referral", args["referral_id"], referral.client_id if referral else None,
                            path=request.path)


def roles_required(*roles: str):
    """Pages: signed in with one of these roles (403 otherwise; login page if not signed in)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if not current_user.is_authenticated:
                from broker.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                audit_role_denial(current_user)
                abort(403)
            return view(*args, **kwargs)

        return inner

    return wrap


def accounts_by_role() -> dict[str, int]:
    """How many active accounts each role has (the administrator's home page)."""
    rows = db.session.execute(select(User.role, func.count()).where(User.active).group_by(User.role))
    return {role: n for role, n in rows}
