"""What every HTTP request leaves behind: a request id in its log lines, its latency by surface and outcome.

`observe(web)` hooks the Flask app: before a request, a fresh request id is bound for the logs (`logs.bind`) and
returned as `X-Request-Id`; after it, the duration is observed in `metrics.REQUESTS` under the request's surface.
The surface comes from the route, and for Slack's one URL from the payload Bolt already parsed (`note_slack`), so
nothing is parsed twice on the /hours path. In Socket Mode there is no HTTP request: `socket_envelope(payload)`
gives each envelope the same request id and latency (web/socket_mode.py). `metrics_route(...)` adds `/metrics`
behind a Bearer token.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, g, request

import logs
import metrics

_BY_PATH = {"/slack/install": "oauth", "/slack/oauth_redirect": "oauth", "/xero/webhooks": "webhook",
            "/healthz": "health", "/readyz": "health", "/metrics": "metrics"}
_BY_TYPE = {"block_actions": "action", "interactive_message": "action", "view_submission": "view_submission",
            "view_closed": "view_submission", "block_suggestion": "options", "event_callback": "event",
            "url_verification": "event", "shortcut": "shortcut", "message_action": "shortcut"}


def surface_of(path: str) -> str:
    if path in _BY_PATH:
        return _BY_PATH[path]
    if path.startswith("/xero/"):
        return "oauth"  # the Xero connect pages and their callback
    return "slack" if path.startswith("/slack/") else "other"


def slack_surface(body: Mapping[str, Any]) -> str:
    """The surface of a parsed Slack payload: command, action, view_submission, options, event, shortcut."""
    if "command" in body:
        return "command"
    return _BY_TYPE.get(str(body.get("type") or ""), "slack")


def note_slack(body: Mapping[str, Any]) -> None:
    """Called by the Slack route once Bolt's request is built: refines the surface of this request."""
    g.hourcap_surface = slack_surface(body)


class Answered:
    """The status Bolt answered a Socket Mode envelope with (500 until it has answered)."""

    status = 500


@contextmanager
def socket_envelope(payload: Mapping[str, Any]) -> Iterator[Answered]:
    """One Socket Mode envelope as one request: a fresh request id for its log lines, its latency observed under
    its surface and the outcome set on the `Answered` it yields."""
    started, answered = time.perf_counter(), Answered()
    tokens = logs.bind(request_id=uuid.uuid4().hex[:16])
    try:
        yield answered
    finally:
        logs.unbind(tokens)
        metrics.REQUESTS.labels(slack_surface(payload), metrics.outcome_of(answered.status)).observe(
            time.perf_counter() - started)


def observe(web: Flask) -> None:
    @web.before_request
    def _start() -> None:
        g.hourcap_started = time.perf_counter()
        g.hourcap_surface = surface_of(request.path)
        request_id = uuid.uuid4().hex[:16]
        g.hourcap_request_id = request_id
        g.hourcap_log_tokens = logs.bind(request_id=request_id)

    @web.after_request
    def _finish(response: Response) -> Response:
        started = g.get("hourcap_started")
        if started is not None:
            metrics.REQUESTS.labels(g.get("hourcap_surface", "other"),
                                    metrics.outcome_of(response.status_code)).observe(time.perf_counter() - started)
            response.headers["X-Request-Id"] = g.hourcap_request_id
        return response

    @web.teardown_request
    def _unbind(_error: BaseException | None) -> None:
        tokens = g.pop("hourcap_log_tokens", None)
        if tokens is not None:
            logs.unbind(tokens)


def metrics_route(web: Flask, token: str, *collectors: Any) -> None:
    """`GET /metrics` with `Authorization: Bearer <token>`: 401 for anything else."""

    @web.get("/metrics")
    def _metrics() -> Response:
        if not metrics.authorized(request.headers.get("Authorization"), token):
            return Response("", status=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(metrics.scrape(*collectors), mimetype=None, content_type=metrics.CONTENT_TYPE)

