"""Inbound Slack requests, checked on their raw bytes before anything parses them.

Order: size cap → header shape → freshness → HMAC-SHA256 signature. Any failure is a 401 (413 for an oversized
body) and nothing downstream runs. Bolt would answer 500 for a non-numeric timestamp or a non-ASCII signature;
checking the shape here keeps every malformed request a clean 401.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping

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


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


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
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Rejected(401, "stale timestamp")
    if not hmac.compare_digest(signature_for(secret, timestamp, body), signature):
        raise Rejected(401, "bad signature")
