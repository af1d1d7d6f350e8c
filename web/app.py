"""The HTTP side: Slack (through Bolt) on /slack/*, Xero connect pages on /xero/*, health checks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_flask_response

from settings import Settings
from storage.db import Database
from web.observe import metrics_route, note_slack, observe
from web.slack_guard import MAX_BODY_BYTES, Rejected, verify
from web.slack_shape import for_bolt, problem
from web.xero_routes import create_xero_blueprint

log = logging.getLogger("hourcap.web")

ReadinessCheck = Callable[[], None]


def create_web_app(settings: Settings, bolt_app: App, db: Database,
                   redis_ping: ReadinessCheck | None = None) -> Flask:
    web = Flask("hourcap")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    slack = SlackRequestHandler(bolt_app)
    observe(web)

    @web.post("/slack/events")
    def slack_events() -> Response:
        body = request.get_data(cache=True)
        try:
            verify(request.headers, body, settings.slack_signing_secret)
        except Rejected as rejected:
            log.info("refused Slack request from %s: %s", request.remote_addr, rejected.reason)
            return Response("", status=rejected.status)
        malformed = problem(request.content_type, body)
        if malformed is not None:
            log.info("refused signed Slack request from %s: %s", request.remote_addr, malformed)
            return Response(malformed, status=400, mimetype="text/plain")
        as_parsed = BoltRequest(body=for_bolt(request.content_type, body.decode("utf-8")),
                                query=request.query_string.decode("utf-8"), headers=dict(request.headers))
        note_slack(as_parsed.body)
        return to_flask_response(bolt_app.dispatch(as_parsed))

    if settings.multi_workspace:
        @web.get("/slack/install")
        def slack_install() -> Response:
            return slack.handle(request)  # type: ignore[no-any-return]

        @web.get("/slack/oauth_redirect")
        def slack_oauth_redirect() -> Response:
            return slack.handle(request)  # type: ignore[no-any-return]

    web.register_blueprint(create_xero_blueprint(settings, db))
    from web.xero_webhooks import create_xero_webhooks_blueprint

    web.register_blueprint(create_xero_webhooks_blueprint(settings, db))

    @web.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @web.get("/readyz")
    def readyz() -> tuple[Response, int]:
        checks: dict[str, str] = {}
        ok = True
        for name, check in (("database", db.ping), ("redis", redis_ping)):
            if check is None:
                continue
            try:
                check()
                checks[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                ok = False
                checks[name] = f"unreachable ({exc.__class__.__name__})"
        return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503

    if settings.metrics_token is not None:
        from storage.gauges import DatabaseGauges

        metrics_route(web, settings.metrics_token, DatabaseGauges(db))

    @web.errorhandler(413)
    def too_large(_error: Exception) -> Response:
        return Response("", status=413)

    return web
