"""Counting Slack Web API calls without wrapping the client: slack_sdk hands every answer to its retry handlers.

`CallCounter` is a retry handler that never retries: placed first, it sees each HTTP exchange (a 200 with `ok`
or an `error`, an HTTP error such as 429, a dropped connection) and counts it by method and error in
`metrics.SLACK_CALLS`. `CountedRateLimitRetry` is slack_sdk's own 429 handler (sleep `Retry-After`, try again)
that also counts the wait. Bolt copies its client's retry handlers onto the client it makes per request, so the
listeners' calls are counted too. The method is the last segment of the URL (`chat.postMessage`); the error is
Slack's code, bounded by `metrics.bounded`.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from metrics import SLACK_CALLS, SLACK_RATE_LIMIT_WAIT_SECONDS, SLACK_RATE_LIMIT_WAITS, bounded


def method_of(request: HttpRequest) -> str:
    return bounded(request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def error_of(response: HttpResponse | None, error: Exception | None) -> str:
    if response is None:
        return "connection_error" if error is not None else "other"
    if response.status_code == 429:
        return "ratelimited"
    body: Any = response.body
    if not body and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
    if isinstance(body, dict) and body.get("ok") is not None:
        return "ok" if body.get("ok") else bounded(str(body.get("error") or ""))
    return "ok" if response.status_code == 200 else f"http_{response.status_code}"


class CallCounter(RetryHandler):
    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        SLACK_CALLS.labels(method_of(request), error_of(response, error)).inc()
        return False


class CountedRateLimitRetry(RateLimitErrorRetryHandler):
    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        method = method_of(request)
        retry_after = next((v for k, v in (response.headers.items() if response else ()) if k.lower() == "retry-after"),
                           None)
        try:
            seconds = float(retry_after[0] if isinstance(retry_after, list) else retry_after or 1)
        except ValueError:
            seconds = 1.0
        SLACK_RATE_LIMIT_WAITS.labels(method).inc()
        SLACK_RATE_LIMIT_WAIT_SECONDS.labels(method).inc(seconds)
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)


def request_handlers() -> list[RetryHandler]:
    """For Bolt's client (listeners): counted, and what slack_sdk does by default (one retry of a dropped
    connection); a 429 on the request path is answered, not slept on."""
    return [CallCounter(), ConnectionErrorRetryHandler()]
