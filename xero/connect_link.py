"""The signed connect link, and the hashes that bind each later step to one browser.

The link an admin gets in Slack carries its `XeroAuthRequest` id, the workspace and an expiry, signed with an
HMAC key derived from the encryption keys: nothing about it is stored, the signature is the proof, and rotating
keys breaks no link. The browser that opens it gets a random cookie, and every later step (Xero's callback, the
organisation chooser) must arrive with that cookie; the database keeps only hashes of the cookie, of the OAuth
`state` and of the chooser's token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeGuard

from settings import Settings
from storage.types import utcnow
from xero.connect_refusals import refused

COOKIE_NAME = "hourcap_xero"
_LINK_CONTEXT = b"hourcap/xero-connect-link/v1"


def secret_hash(value: str) -> str:
    """What the database keeps of a secret (a state, a cookie, a chooser token): its SHA-256, in hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def valid_cookie(value: str | None) -> str | None:
    """The browser's cookie if it looks like one we set, else None (a fresh one is made)."""
    return value if value and 32 <= len(value) <= 128 and value.replace("-", "").replace("_", "").isalnum() else None


def same_browser(cookie: str | None, cookie_hash: str | None) -> TypeGuard[str]:
    """Whether `cookie` is the one whose hash was stored (no cookie, or none stored, is never the same)."""
    if not cookie or cookie_hash is None:
        return False
    return hmac.compare_digest(cookie_hash, secret_hash(cookie))


# --- the signed link ----------------------------------------------------------------------------------------


def _link_keys(settings: Settings) -> list[bytes]:
    """One HMAC key per encryption key (the first signs, any verifies, so rotating keys breaks no link)."""
    secrets_ = list(settings.encryption_keys) or [settings.slack_signing_secret]
    return [hmac.new(s.encode("utf-8"), _LINK_CONTEXT, hashlib.sha256).digest() for s in secrets_]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(settings: Settings, auth_request_id: int, workspace_id: int, expires_at: datetime) -> str:
    payload = _b64(json.dumps({"r": auth_request_id, "w": workspace_id, "e": int(expires_at.timestamp())},
                              separators=(",", ":")).encode("ascii"))
    signature = _b64(hmac.new(_link_keys(settings)[0], payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


@dataclass(frozen=True)
class LinkData:
    auth_request_id: int
    workspace_id: int
    expires_at: datetime


def read_link(settings: Settings, link: str, *, now: datetime | None = None) -> LinkData:
    """The link's contents when its signature holds and it has not expired; refused ("bad_link", "expired")."""
    payload, _, signature = (link or "").partition(".")
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        raise refused("bad_link") from None
    if not payload or not any(
        hmac.compare_digest(hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest(), given)
        for key in _link_keys(settings)
    ):
        raise refused("bad_link")
    try:
        data = json.loads(_unb64(payload))
        parsed = LinkData(int(data["r"]), int(data["w"]), datetime.fromtimestamp(int(data["e"]), tz=UTC))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise refused("bad_link") from None
    if parsed.expires_at <= (now or utcnow()):
        raise refused("expired")
    return parsed
