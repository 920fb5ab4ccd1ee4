"""Sign in and out. Sessions live on the server, so signing out ends them for good."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from broker.auth import services
from broker.extensions import db, limiter, login_manager
from broker.errors import InputError
from broker.form_fields import GovPasswordInput, GovTextInput, show_on_form

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    from broker.auth.models import User

    return db.session.get(User, int(user_id))


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address")], widget=GovTextInput(input_type="email"))
    password = PasswordField("Password", validators=[DataRequired("Enter your password")], widget=GovPasswordInput())


def home_for(user) -> str:
    """The first page after signing in: the role's home, saying what needs them today."""
    from broker.home.views import PANELS

    return url_for("home.home_page") if user.role in PANELS else url_for("directory.search_page")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["BROKER_LOGIN_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    refused = False
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            refused = True  # one message, whichever of the two was wrong
            show_on_form(form, InputError("email", "The email or password is not right"))
        else:
            current_app.session_interface.regenerate(session)  # a new session id at sign-in
            login_user(user)
            return redirect(services.local_path(request.args.get("next")) or home_for(user))
    status = 401 if refused else 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
