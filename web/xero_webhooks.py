"""`POST /xero/webhooks`: Xero's webhook deliveries, answered well inside Xero's 5 seconds.

Order: size cap → signature on the raw bytes → parse → resolve tenant → act. A bad or missing
signature gets 401 with nothing else; a good one gets 200 with an empty body and no cookies — including
intent-to-receive payloads (no events) and events of tenants nobody here is connected to. Acting is only storing
the events and recording the coalesced sync in one short transaction; the sync itself runs in a worker. If the
database is down the answer is 500, so Xero delivers again later (delivery is at least once; storing is
idempotent).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from metrics import WEBHOOKS
from settings import Settings
from storage.db import Database
from xero.webhooks import SIGNATURE_HEADER, BadPayload, parse, receive, verify

log = logging.getLogger("hourcap.web.xero_webhooks")

MAX_WEBHOOK_BYTES = 512 * 1024


def _empty(status: int, outcome: str) -> Response:
    WEBHOOKS.labels(outcome).inc()
    response = Response(b"", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def create_xero_webhooks_blueprint(settings: Settings, db: Database) -> Blueprint:
    blueprint = Blueprint("xero_webhooks", __name__)

    @blueprint.post("/xero/webhooks")
    def xero_webhooks() -> Response:
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return _empty(413, "too_large")
        body = request.get_data(cache=False)
        if len(body) > MAX_WEBHOOK_BYTES:
            return _empty(413, "too_large")
        if not verify(body, request.headers.get(SIGNATURE_HEADER), settings.xero_webhook_key):
            log.info("refused a Xero webhook delivery from %s: bad or missing signature", request.remote_addr)
            return _empty(401, "bad_signature")
        try:
            events = parse(body)
        except BadPayload as problem:
            log.warning("signed Xero webhook delivery ignored: %s", problem)
            return _empty(200, "bad_payload")
        if events:
            with db.session() as session:
                received = receive(session, events)
            log.info("Xero webhook: %s new, %s duplicate, %s for unknown tenants; contact syncs for workspaces %s; "
                     "invoice reads for workspaces %s", received.new, received.duplicates, received.ignored,
                     list(received.syncs_requested), list(received.reads_requested))
        return _empty(200, "accepted" if events else "intent_to_receive")

    return blueprint
