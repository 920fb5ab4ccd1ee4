"""Fetching JSON from a live Open Referral API: timeouts, retries with backoff, a size limit.

httpx retries a failed connection itself (the transport's `retries`); tenacity retries
a whole request that timed out, lost its connection or was answered 429 or 5xx, waiting
longer each time (or as long as the server's Retry-After asks, up to a minute).
"""
from __future__ import annotations

from typing import Any, Optional

import httpx
from tenacity import RetryCallState, retry, retry_if_exception, stop_after_attempt, wait_exponential

from broker.directory.oruk.read import MAX_BYTES, USER_AGENT, FetchError, json_text

ATTEMPTS = 4
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRY_STATUSES = {429, 500, 502, 503, 504}
_backoff = wait_exponential(multiplier=0.5, min=0.5, max=10)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: Optional[float] = None):
        super().__init__(message)
        self.retry_after = retry_after


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return min(exc.retry_after, 60.0)
    return _backoff(state)


def _retry_after(response: httpx.Response) -> Optional[float]:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


class Fetcher:
    """One HTTP client for a whole pull; `json(url)` gives the parsed body or raises FetchError."""

    def __init__(self, client: Optional[httpx.Client] = None):
        self._own = client is None
        self.client = client or httpx.Client(
            timeout=TIMEOUT, follow_redirects=True, transport=httpx.HTTPTransport(retries=2),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._own:
            self.client.close()

    def json(self, url: str, params: Optional[dict] = None) -> Any:
        try:
            return self._get(url, params)
        except _Retryable as exc:
            raise FetchError(f"{exc} (tried {ATTEMPTS} times)") from None

    @retry(retry=retry_if_exception(lambda e: isinstance(e, _Retryable)), stop=stop_after_attempt(ATTEMPTS),
           wait=_wait, reraise=True)
    def _get(self, url: str, params: Optional[dict]) -> Any:
        try:
            with self.client.stream("GET", url, params=params) as response:
                if response.status_code in RETRY_STATUSES:
                    raise _Retryable(f"the server answered {response.status_code}", _retry_after(response))
                if response.status_code != 200:
                    raise FetchError(f"the server answered {response.status_code} for {response.url}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise FetchError(f"{response.url} is larger than {MAX_BYTES // 1_000_000} MB")
        except httpx.TimeoutException:
            raise _Retryable(f"no answer from {url} within {TIMEOUT.read:g} s") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"cannot reach {url}: {exc}") from None
        return json_text(bytes(body), url)
