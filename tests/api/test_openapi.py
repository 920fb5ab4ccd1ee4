"""The OpenAPI document describes every JSON endpoint and validates; the docs page loads only
this site's own (vendored) assets."""
from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3(app, client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented_with_its_methods(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith(("api-docs.", "api_reference.")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path][method.lower()]
            assert "default" in operation["responses"]


def test_documented_errors_use_the_one_error_shape(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error", "field", "message", "errors", "rules"}
    token_needed = spec["paths"]["/api/v1/clients"]["get"]
    assert token_needed["security"] == [{"bearerAuth": []}] and "401" in token_needed["responses"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_loads_nothing_from_another_origin(app, client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        resp = client.get(asset)
        assert resp.status_code == 200, asset
        if asset.endswith((".js", ".css")):
            body = resp.get_data(as_text=True)
            assert "sourceMappingURL" not in body
    assert "<script>" not in html  # no inline script: a strict CSP allows the page


def test_apps_in_one_process_serve_the_document_a_fresh_process_builds(app, client, tmp_path):
    # Apps after the first in a process share its document rather than build it again.
    import json
    import subprocess
    import sys

    script = (
        "import json, sys; from broker import create_app; "
        "app = create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'BROKER_INDEX_DIR': sys.argv[2]}); "
        "print(json.dumps(app.test_client().get('/api/v1/openapi.json').get_json()))"
    )
    out = subprocess.run([sys.executable, "-c", script, f"sqlite:///{tmp_path / 'fresh.db'}", str(tmp_path / "ix")],
                         capture_output=True, text=True, check=True).stdout
    assert client.get("/api/v1/openapi.json").get_json() == json.loads(out.splitlines()[-1])
