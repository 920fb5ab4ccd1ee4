"""Figures read once per request: a page that shows the same facts several ways reads them once.

Kept on the request itself, so nothing outlives the request that read it and no figure
can be stale; outside a request (jobs, the CLI, tests) each call reads afresh.
"""
from __future__ import annotations

from typing import Callable, Hashable, TypeVar

from flask import has_request_context, request

T = TypeVar("T")


def once_per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave earlier in this request for the same `key`."""
    if not has_request_context():
        return compute()
    req = request._get_current_object()
    memo = req.__dict__.setdefault("_insight_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]
