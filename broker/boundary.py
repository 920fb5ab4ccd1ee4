"""The request boundary: what every request passes through on the way in and out.

In: ids in paths are range-checked by the `int` converter; query strings and forms are
refused with a 400 naming the field if they hold a NUL byte. Out: one unit of work per
request, committed here when the answer is a success and rolled back otherwise (services
only flush); every error, ours or Werkzeug's, answers an API request in one JSON shape
``{"error", "field", "message"}`` (plus ``errors`` when there are several) and a page
request with the error page.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from broker import inputs, unit_of_work
from broker.errors import BadParameter, DomainError, InputError

# Snake-case error codes for HTTP errors; the rest come from the reason phrase.
HTTP_ERROR_CODES = {401: "unauthorised", 413: "too_large", 500: "server_error"}
BEARER_CHALLENGE = 'Bearer realm="api"'
HTTP_MESSAGES = {
    401: "send a valid token: Authorization: Bearer <token> (POST /api/v1/auth/token)",
    500: "something went wrong on our side; the change was not saved. Try again, or tell us if it keeps happening",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_code(status: int, name: str) -> str:
    return HTTP_ERROR_CODES.get(status) or name.lower().replace(" ", "_").replace("'", "")


def install(app: Flask) -> None:
    app.url_map.converters["int"] = inputs.IdConverter

    @app.before_request
    def refuse_nul_bytes():
        # Checked here once for every page and endpoint; JSON bodies in inputs.read_json.
        inputs.check_fields(request.args, BadParameter)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data",
        ):
            inputs.check_fields(request.form, InputError)

    @app.after_request
    def end_unit_of_work(response):
        # One transaction per request, ended here and nowhere else: services only flush
        # and raise broker.errors.DomainError; an error answer leaves nothing half-written
        # but what broker.unit_of_work.keep() kept (audit of reads and refusals).
        unit_of_work.end(response.status_code)
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        headers = dict(getattr(exc, "headers", None) or {})  # e.g. Retry-After on a sign-in lockout
        if is_api_request():
            if exc.status == 401:
                headers["WWW-Authenticate"] = BEARER_CHALLENGE
            return jsonify(exc.as_json()), exc.status, headers
        message = f"{exc.message} ({exc.field})" if exc.field else exc.message
        return render_template("error.html", error=exc, message=message), exc.status, headers

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code == 413:
            limit_mb = app.config["MAX_CONTENT_LENGTH"] / 1_000_000
            message = f"The request is larger than {limit_mb:g} MB; split the upload into smaller files."
        else:
            message = HTTP_MESSAGES.get(code) if code in HTTP_MESSAGES else exc.description
        if not is_api_request():
            return render_template("error.html", error=exc, message=message), code
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if code == 401:
            headers.append(("WWW-Authenticate", BEARER_CHALLENGE))
        body = {"error": error_code(code, exc.name), "field": None, "message": message}
        return jsonify(body), code, headers
