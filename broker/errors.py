"""Domain errors: the one error type services raise, for forms, files, the API and imports alike.

A service never commits and never builds a response: it raises one of these and the
request boundary (``broker.create_app``) rolls the unit of work back and answers in the
one JSON shape ``{"error", "field", "message"}`` (plus ``errors`` when there are several),
or, for a page, shows the message beside the field.
"""
from __future__ import annotations


class DomainError(Exception):
    """Something the user can fix or must be told: `field` names what, `message` how."""

    status = 400
    error = "invalid"

    def __init__(
        self,
        field: str | None,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        errors: list[dict] | None = None,
        **extra,
    ):
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message
        if status is not None:
            self.status = status
        if error is not None:
            self.error = error
        self.errors = errors
        # Extra members of the JSON answer, e.g. {"rules": [...]} for an ineligible referral.
        self.extra = extra

    @property
    def name(self) -> str:
        """The HTTP reason phrase, as a page title ("Conflict")."""
        from werkzeug.http import HTTP_STATUS_CODES

        return HTTP_STATUS_CODES.get(self.status, "Error")

    def as_json(self) -> dict:
        body = {"error": self.error, "field": self.field, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class InputError(DomainError):
    """Bad input: 400 naming the field (or row and column)."""


class BadParameter(InputError):
    """A query-string parameter that cannot be used (the API's search and report filters)."""

    error = "bad_parameter"


class Unauthorised(DomainError):
    """No valid credentials: 401 (the API asks for a bearer token)."""

    status, error = 401, "unauthorised"


class NotFound(DomainError):
    status, error = 404, "not_found"


class Forbidden(DomainError):
    status, error = 403, "forbidden"


class Conflict(DomainError):
    """The request is right but the state does not allow it now (a place has gone, already answered)."""

    status, error = 409, "conflict"


class Unprocessable(DomainError):
    """Well-formed but breaks a rule of the domain (an ineligible referral, no recent assessment)."""

    status, error = 422, "unprocessable"


class Ineligible(Unprocessable):
    """A listing's rules exclude the young person: 422 with ``rules`` naming which (age, area, criteria)."""

    error = "ineligible"
