"""The signed-in user's notifications: a list, newest unread first, each marked read when opened."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from broker.auth.services import local_path
from broker.extensions import db
from broker.notifications import services
from broker.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def list_page():
    return render_template("notifications/list.html", notes=services.for_user(current_user))


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark the notice read and go to its page."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, note.id)
    return redirect(local_path(note.link) or url_for("notifications.list_page"), 303)


@bp.post("/<int:notification_id>/read")
@login_required
def read_one(notification_id: int):
    if not services.mark_read(current_user, notification_id):
        note = db.session.get(Notification, notification_id)
        if note is None or note.user_id != current_user.id:
            abort(404)
    return redirect(url_for("notifications.list_page"), 303)


@bp.post("/read")
@login_required
def read_all():
    n = services.mark_read(current_user)
    flash(f"{n} notification{'s' if n != 1 else ''} marked as read." if n else "Nothing was unread.")
    return redirect(url_for("notifications.list_page"), 303)
