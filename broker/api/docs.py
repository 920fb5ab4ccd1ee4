"""The API's docs page, /api/v1/docs: Swagger UI over /api/v1/openapi.json.

Swagger UI is vendored from npm (scripts/refresh-swagger-ui.sh) and served from here, so
the page loads nothing from another origin.
"""
from flask import Blueprint, render_template, url_for

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1/docs", static_folder="static", static_url_path="/assets")


@bp.get("")
def docs_page():
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
