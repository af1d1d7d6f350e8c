"""``Idempotency-Key`` on PUT/POST: at most 128 characters; the same key with the same request inside the
window replays the stored answer (no second write, no second webhook); the same key with a different request
is refused. The window is about 6 minutes by report (unconfirmed), so it is a setting.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_KEY_LENGTH = 128


@dataclass
class Stored:
    fingerprint: str
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    stored_at: datetime


@dataclass
class IdempotencyStore:
    window_seconds: float = 360.0
    _entries: dict[tuple[str, str, str], Stored] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @staticmethod
    def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
        digest = hashlib.sha256()
        for part in (method.upper(), path.lower(), query):
            digest.update(part.encode("utf-8") + b"\0")
        digest.update(body)
        return digest.hexdigest()

    def lookup(self, scope: tuple[str, str, str], now: datetime) -> Stored | None:
        """The stored answer for (client, tenant, key) if still inside the window."""
        entry = self._entries.get(scope)
        if entry and now - entry.stored_at > timedelta(seconds=self.window_seconds):
            del self._entries[scope]
            return None
        return entry

    def store(self, scope: tuple[str, str, str], entry: Stored) -> None:
        self._entries[scope] = entry
