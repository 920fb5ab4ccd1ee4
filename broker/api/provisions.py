"""JSON API over the directory (contract: issue 2; outside checks use these shapes)."""
import datetime as dt

from flask import Blueprint, jsonify, request, url_for

from broker.directory import services
from broker.directory.models import Provision
from broker.directory.params import ParamError, parse_search
from broker.insight.searches import record_empty_search
from broker.weblinks import safe_url

bp = Blueprint("api_provisions", __name__, url_prefix="/api/v1")


def _iso(d):
    return d.isoformat() if d else None


@bp.errorhandler(ParamError)
def bad_parameter(exc: ParamError):
    return jsonify(error="bad_parameter", field=exc.field, message=exc.message), 400


@bp.get("/provisions")
def list_provisions():
    sq, _ = parse_search(request.args)
    total, results = services.search_provisions(sq)
    record_empty_search(sq, total, "api")  # insight: searches that found nothing
    return jsonify(
        total=total,
        results=[
            {
                "id": r.provision.id,
                "name": r.provision.name,
                "provider": r.provision.organisation.name,
                "category": r.provision.category,
                "distance_km": round(r.distance_km, 2) if r.distance_km is not None else None,
                "next_start": _iso(r.next_start),
                "places_left": r.places_left,
                "last_confirmed": _iso(r.provision.last_confirmed),
                "stale": r.stale,
                "url": url_for("directory.provision_page", provision_id=r.provision.id, _external=True),
            }
            for r in results
        ],
    )


def provision_record(p: Provision, today: dt.date) -> dict:
    """The full public record of a listing, with its intakes."""
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "category": p.category,
        "status": p.status,
        "provider": {
            "id": p.organisation.id,
            "name": p.organisation.name,
            "email": p.organisation.email,
            "phone": p.organisation.phone,
            "website": safe_url(p.organisation.website),
        },
        "eligibility": p.eligibility,
        "min_age": p.min_age,
        "max_age": p.max_age,
        "cost": p.cost,
        "how_to_refer": {"route": p.referral_route, "contact": p.referral_contact, "form_url": safe_url(p.referral_form_url)},
        "locations": [
            {"name": l.name, "address": l.address, "postcode": l.postcode, "lat": l.lat, "lon": l.lon}
            for l in p.locations
        ],
        "intakes": [
            {
                "id": i.id,
                "start": i.start.isoformat(),
                "places": i.places,
                "places_taken": i.places_taken,
                "places_left": i.places_left,
                "rolling": i.rolling,
            }
            for i in p.intakes
        ],
        "places_left": p.places_left(today),
        "last_confirmed": p.last_confirmed.isoformat(),
        "stale": services.is_stale(p, today),
        "url": url_for("directory.provision_page", provision_id=p.id, _external=True),
    }


@bp.get("/provisions/<int:provision_id>")
def get_provision(provision_id: int):
    p = services.get_provision(provision_id)
    if p is None:
        return jsonify(error="not_found", message=f"no provision with id {provision_id}"), 404
    return jsonify(provision_record(p, dt.date.today()))
