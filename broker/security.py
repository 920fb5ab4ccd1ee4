"""HTTP security on every answer: headers (Flask-Talisman), no caching of anything but
static files, and the rule for Secure cookies.

The Content-Security-Policy allows scripts, styles, images and forms from this site only:
no inline script or style anywhere (styles live in static/broker.css), no plugins, and no
framing by other sites. Browsers are told not to keep any page or API answer
(`Cache-Control: no-store`), so Back after signing out shows nothing of a young person.
"""
from __future__ import annotations

import ipaddress

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from broker.extensions import talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"browsing-topics": "()", "camera": "()", "microphone": "()", "geolocation": "()", "payment": "()"}


def secure_cookies(app: Flask) -> bool:
    """Whether cookies are sent over https only.

    `BROKER_SECURE_COOKIES=1`/`0` decides; unset, they are Secure except in debug and tests
    (and `broker serve` on a loopback address turns them off too: see `plain_http_locally`).
    """
    choice = str(app.config.get("BROKER_SECURE_COOKIES") or "").strip().lower()
    if choice:
        return choice not in {"0", "false", "no", "off"}
    return not (app.debug or app.testing)


def plain_http_locally(app: Flask, host: str) -> bool:
    """`broker serve` on this machine only, over plain http, with no choice made: the
    embedded demo. Cookies there cannot be Secure or the browser would drop them."""
    if str(app.config.get("BROKER_SECURE_COOKIES") or "").strip():
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_SECURE"] = secure_cookies(app)
    hops = int(app.config.get("BROKER_PROXY_HOPS") or 0)
    if hops:
        # Behind that many reverse proxies: trust their X-Forwarded-For/-Proto, so the
        # sign-in limit counts each person's address and https is recognised.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    talisman.init_app(
        app,
        # TLS ends at the reverse proxy in production; the embedded demo is plain http.
        force_https=False,
        # Talisman would force SESSION_COOKIE_SECURE on; secure_cookies() decides instead.
        session_cookie_secure=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
    )

    @app.after_request
    def never_cache(response):
        # Any page or answer may carry personal data (a caseload, a token, a referral):
        # only the static files (styles) may be kept by a browser or proxy.
        endpoint = request.endpoint or ""
        if endpoint != "static" and not endpoint.endswith(".static"):
            response.headers["Cache-Control"] = "no-store"
        return response
