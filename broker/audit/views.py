"""Administrators read the audit log."""
from flask import Blueprint, render_template, request
from sqlalchemy import select

from broker.audit.models import ACTION_WORDS, SUBJECT_WORDS, AuditEvent
from broker.auth.services import roles_required
from broker.extensions import db
from broker.inputs import optional_id

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@roles_required("admin")
def audit_page():
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)
    client_id = optional_id(request.args, "client_id")
    if client_id:
        stmt = stmt.where(AuditEvent.client_id == client_id)
    return render_template("admin/audit.html", events=db.session.scalars(stmt).all(), client_id=client_id,
                           action_words=ACTION_WORDS, subject_words=SUBJECT_WORDS)
