"""A clock the tests can move.

Rate-limit windows, token lifetimes, idempotency windows and webhook retries all depend on time. Tests must
never sleep through real minutes, so every time-dependent rule in the sandbox asks this clock, never
``time.time()``. By default it follows real time (so the standalone sandbox behaves normally); ``frozen=True``
stops it, and ``advance()`` moves it forward in both modes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Wall-clock time plus a manual offset, optionally frozen, optionally running `speed` times faster (so a
    test or a bench lives through Xero's rate-limit minutes in seconds)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("the sandbox clock's speed must be positive")
        self._speed = speed
        self._lock = threading.Lock()
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._started = time.monotonic()
        self._frozen = frozen
        self._offset = 0.0

    def now(self) -> datetime:
        """Current sandbox time, an aware UTC datetime."""
        with self._lock:
            running = 0.0 if self._frozen else (time.monotonic() - self._started) * self._speed
            return self._base + timedelta(seconds=running + self._offset)

    def time(self) -> float:
        """Current sandbox time as seconds since the epoch."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move time forward (never backward: windows and expiries assume monotonic time)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        """Stop real time from flowing; only ``advance`` moves the clock afterwards."""
        with self._lock:
            if not self._frozen:
                self._offset += (time.monotonic() - self._started) * self._speed
                self._frozen = True
