"""Validating answers against the Open Referral UK 3.0 profile: its compiled JSON Schemas and the
response schemas of its OpenAPI document, with formats (uuid, uri, email, date-time) checked."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "oruk" / "schema"
OPENAPI = SCHEMAS / "openapi.json"
REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI_ID = "urn:oruk:openapi"


@lru_cache(maxsize=1)
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")) + sorted((SCHEMAS / "compiled").glob("*.json")):
        url = REMOTE + str(path.relative_to(SCHEMAS))
        resources.append((url, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012)))
    resources.append((OPENAPI_ID, Resource.from_contents(json.loads(OPENAPI.read_text(encoding="utf-8")), default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def compiled(name: str) -> Draft202012Validator:
    """A compiled schema of the profile ("compiled/service.json", "taxonomy.json")."""
    return _validator({"$ref": REMOTE + name})


def openapi_response(path: str) -> Draft202012Validator:
    """The 200 response schema the OpenAPI document gives for `path` ("/services/{id}")."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return _validator({"$ref": f"{OPENAPI_ID}#/paths/{pointer}/get/responses/200/content/application~1json/schema"})


def errors(validator: Draft202012Validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def page_schema() -> Draft202012Validator:
    """The OpenAPI document's Page (every list's paging fields)."""
    return _validator({"$ref": f"{OPENAPI_ID}#/components/schemas/Page", "required": [
        "total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"]})
