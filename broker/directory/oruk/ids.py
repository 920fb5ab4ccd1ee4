"""Public ids: the UUIDs Open Referral feeds carry, kept across restarts, reindexing and imports.

Each organisation, listing, place (location), listing-at-a-place (service_at_location)
and intake has a `uid` column. Ours are random UUIDs given when the row is created. An
imported record keeps its publisher's id when it is a UUID (in canonical lower-case
form); a publisher id that is not one ("1234") becomes a name-based UUID of it, the
same every time, so re-imports find the record again. Our taxonomy terms' ids are
name-based UUIDs of their codes, so they never change either.
"""
from __future__ import annotations

import uuid

# Fixed for good: changing it would change every derived id (migration 0006 holds a copy).
NAMESPACE = uuid.UUID("5e7f139e-5080-49e4-9d8c-a37b1a8c0018")
TAXONOMY_NAMESPACE = uuid.UUID("aad6aec0-c809-417c-9fa7-55cf8bb7c82a")
KEY_PREFIX = "oruk:"
MAX_PUBLISHER_ID = 64 - len(KEY_PREFIX)


def canonical_uuid(value) -> str | None:
    """The UUID in canonical form, or None if `value` is not one."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        return None


def public_id(kind: str, publisher_id: str) -> str:
    """Our uid for a publisher's record of `kind` ("service", "organization", ...)."""
    return canonical_uuid(publisher_id) or str(uuid.uuid5(NAMESPACE, f"{kind}:{publisher_id}"))


def derived_id(*parts: str) -> str:
    """A stable id for a published sub-record that we do not store (an address, a phone)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def term_id(code: str) -> str:
    """The id of one of our taxonomy terms or taxonomies, from its code ("category:housing")."""
    return str(uuid.uuid5(TAXONOMY_NAMESPACE, code))
