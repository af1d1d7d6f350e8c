"""Inbound Slack requests, checked on their raw bytes before anything parses them.

Order: size cap → header shape → freshness → HMAC-SHA256 signature (compared by slack_sdk's own
`SignatureVerifier`, so the signing rule is Slack's SDK's, not ours). Any failure is a 401 (413 for an oversized
body, 400 for one that is not UTF-8 text, which Slack never sends) and nothing downstream runs. Bolt would
answer 500 for a non-numeric timestamp or a non-ASCII signature; checking the shape here keeps every malformed
request a clean 401.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

from slack_sdk.signature import Clock, SignatureVerifier
from werkzeug.datastructures import Headers

MAX_BODY_BYTES = 512 * 1024
MAX_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _At(Clock):
    """The verifier's clock, fixed at the moment freshness was checked (so both checks agree)."""

    def __init__(self, moment: float) -> None:
        self.moment = moment

    def now(self) -> float:
        return self.moment


def verify(headers: Mapping[str, str] | Headers, body: bytes, secret: str, *, now: float | None = None) -> None:
    """Raise `Rejected` unless `body` carries a fresh, valid Slack signature."""
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, "body too large")
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Rejected(401, "missing or malformed timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise Rejected(401, "missing or malformed signature")
    moment = now if now is not None else time.time()
    if abs(moment - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Rejected(401, "stale timestamp")
    try:
        text = body.decode("utf-8")  # Slack signs UTF-8 text; the SDK's verifier reads it as such
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    if not SignatureVerifier(secret, clock=_At(moment)).is_valid(body=text, timestamp=timestamp, signature=signature):
        raise Rejected(401, "bad signature")
