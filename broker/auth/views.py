"""Sign in and out. Sessions live on the server, so signing out ends them for good.

A session is created only when someone signs in: pages seen before that (the sign-in page
itself, search, listings) store nothing on the server. The sign-in form is still protected
against cross-site posting, by a signed double-submit token instead of a session (LoginCSRF).
"""
import hmac
import secrets
import time

from flask import Blueprint, after_this_request, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import EmailField, PasswordField, ValidationError
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired

from broker.auth import services
from broker.errors import DomainError, InputError
from broker.extensions import csrf, db, limiter, login_manager
from broker.form_fields import GovPasswordInput, GovTextInput, show_on_form

bp = Blueprint("auth", __name__)

LOGIN_COOKIE = "broker_login"
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"


@login_manager.user_loader
def load_user(session_id: str):
    """The user a session belongs to, if the session is still theirs: `User.get_id()` gives
    "<id>:<session_version>", and signing out raises the version."""
    from broker.auth.models import User

    user_id, _, version = str(session_id).partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and str(user.session_version) == version else None


class LoginCSRF(CSRF):
    """Signed double-submit token for the sign-in form, so an anonymous visitor needs no
    server-side session: a random value goes in an HttpOnly cookie and, signed with the
    secret key and timed, in the form; a post counts only when both agree. Another site
    can neither read the cookie nor set it, so it cannot sign someone in as it chooses."""

    def setup_form(self, form):
        self.meta = form.meta
        return super().setup_form(form)

    def _serializer(self):
        return URLSafeTimedSerializer(self.meta.csrf_secret, salt="broker-login-form")

    def generate_csrf_token(self, csrf_token_field):
        nonce = request.cookies.get(LOGIN_COOKIE)
        if not nonce or len(nonce) != 43:
            nonce = secrets.token_urlsafe(32)

            @after_this_request
            def set_cookie(response):
                response.set_cookie(
                    LOGIN_COOKIE, nonce, max_age=self.meta.csrf_time_limit, path=url_for("auth.login"),
                    secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
                )
                return response

        return self._serializer().dumps(nonce)

    def validate_csrf_token(self, form, field):
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        try:
            signed = self._serializer().loads(field.data or "", max_age=self.meta.csrf_time_limit)
        except BadData:
            raise ValidationError("The form has expired: reload the page and sign in again") from None
        if not nonce or not hmac.compare_digest(str(signed), nonce):
            raise ValidationError("The form has expired: reload the page and sign in again")


class LoginForm(FlaskForm):
    class Meta:
        csrf_class = LoginCSRF

    email = EmailField("Email", validators=[DataRequired("Enter your email address")], widget=GovTextInput(input_type="email"))
    password = PasswordField("Password", validators=[DataRequired("Enter your password")], widget=GovPasswordInput())


def home_for(user) -> str:
    """The first page after signing in: the role's home, saying what needs them today."""
    from broker.home.views import PANELS

    return url_for("home.home_page") if user.role in PANELS else url_for("directory.search_page")


def sign_in_failed(response) -> bool:
    """Only failed sign-ins use up the per-address limit: an office of PAs behind one
    address signing in at nine is not an attack."""
    return response.status_code >= 400


# One limit per address for every way of signing in (this page and POST /api/v1/auth/token).
sign_in_limit = limiter.shared_limit(
    lambda: current_app.config["BROKER_LOGIN_LIMIT"], scope="sign-in", methods=["POST"], deduct_when=sign_in_failed,
)


def start_session(user) -> None:
    current_app.session_interface.regenerate(session)  # a new session id at sign-in
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())


@bp.before_app_request
def enforce_session_limits():
    """End a session that is older than BROKER_SESSION_HOURS or idle for longer than
    BROKER_SESSION_IDLE_MINUTES (the store also drops it after that idle time)."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    config = current_app.config
    if now - session.get(SIGNED_IN_AT, 0) > config["BROKER_SESSION_HOURS"] * 3600 or \
            now - session.get(SEEN_AT, 0) > config["BROKER_SESSION_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
    elif now - session[SEEN_AT] >= 60:  # note activity once a minute, not on every request
        session[SEEN_AT] = now


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginCSRF protects this form without a session
@sign_in_limit
def login():
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as exc:
            # One message beside the email, whichever of the two was wrong (or a lockout).
            show_on_form(form, InputError("email", exc.message))
            status, headers = exc.status, getattr(exc, "headers", {})
        else:
            start_session(user)
            return redirect(services.local_path(request.args.get("next")) or home_for(user))
    elif form.errors:
        status = 400
    # Messages come in the address, not in a session, so an anonymous visitor gets none.
    notice = {"type": "success", "titleText": "Done", "text": "You have signed out."} if request.args.get("signed_out") \
        else {"text": "Sign in to see that page."} if request.args.get("next") else None
    return render_template("auth/login.html", form=form, notice=notice), status, headers


@bp.post("/logout")
@login_required
def logout():
    services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", signed_out=1))
