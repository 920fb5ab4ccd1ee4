"""Links to other sites that we store and show (websites, referral forms, emails).

Only http(s) and mailto links are accepted on every channel (form, vacancy file, API,
import) and they are checked again when a page renders them, so a `javascript:` or
`data:` link that reached the database some other way is never clickable.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from broker.errors import InputError

SCHEMES = ("http", "https", "mailto")
MAX_LENGTH = 300
# Control characters and whitespace inside a link are how `java\tscript:` slips past checks.
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(value: str | None) -> str | None:
    """The link if it is a well-formed http(s) or mailto link, else None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_LENGTH or _CONTROL.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        return text if "@" in parts.path else None
    return text if parts.netloc and "." in (parts.hostname or "") else None


def clean_url(value: str | None, field: str) -> str | None:
    """A link to store: empty gives None; anything but http(s)/mailto is an InputError naming `field`."""
    if value is None or not str(value).strip():
        return None
    url = safe_url(value)
    if url is None:
        raise InputError(field, "must be a web address starting https:// (or http://), or a mailto: link")
    return url
