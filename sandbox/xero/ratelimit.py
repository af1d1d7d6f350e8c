"""Xero's rate limits: per tenant and app 5 in flight, 60 per minute, 5,000 per day (1,000 on Starter), and
10,000 per minute across the app. Windows are rolling and read the sandbox clock, so a test moves time instead
of sleeping. Refused calls do not count toward the windows.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field

from .clock import SandboxClock

MINUTE = 60.0
DAY = 86400.0


@dataclass
class Limits:
    per_minute: int = 60
    in_flight: int = 5
    per_day: int = 5000
    app_per_minute: int = 10000


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    problem: str = ""
    retry_after: int = 0


@dataclass
class RateLimiter:
    clock: SandboxClock
    limits: Limits = field(default_factory=Limits)
    _minute: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _day: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _app: deque[float] = field(default_factory=deque)
    _in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _peak: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _trim(window: deque[float], now: float, span: float) -> None:
        while window and window[0] <= now - span:
            window.popleft()

    @staticmethod
    def _wait(window: deque[float], now: float, span: float) -> int:
        return max(1, math.ceil(window[0] + span - now)) if window else 1

    def acquire(self, key: str) -> Decision:
        """Admit one call for ``key`` (tenant + app), or say which limit refused it and for how long."""
        now = self.clock.time()
        with self._lock:
            minute, day = self._minute[key], self._day[key]
            self._trim(minute, now, MINUTE)
            self._trim(day, now, DAY)
            self._trim(self._app, now, MINUTE)
            problem, retry = "", 0
            if len(self._app) >= self.limits.app_per_minute:
                problem, retry = "appminute", self._wait(self._app, now, MINUTE)
            elif len(day) >= self.limits.per_day:
                problem, retry = "day", self._wait(day, now, DAY)
            elif len(minute) >= self.limits.per_minute:
                problem, retry = "minute", self._wait(minute, now, MINUTE)
            elif self._in_flight[key] >= self.limits.in_flight:
                problem, retry = "concurrent", 1
            if not problem:
                minute.append(now)
                day.append(now)
                self._app.append(now)
                self._in_flight[key] += 1
                self._peak[key] = max(self._peak[key], self._in_flight[key])
            headers = {
                "X-MinLimit-Remaining": str(max(0, self.limits.per_minute - len(minute))),
                "X-DayLimit-Remaining": str(max(0, self.limits.per_day - len(day))),
                "X-AppMinLimit-Remaining": str(max(0, self.limits.app_per_minute - len(self._app))),
            }
            if problem:
                headers["X-Rate-Limit-Problem"] = problem
                headers["Retry-After"] = str(retry)
            return Decision(not problem, headers, problem, retry)

    def release(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight[key] - 1)

    def peak(self, key_prefix: str) -> int:
        """Highest concurrency seen for keys starting with ``key_prefix`` (a tenant id)."""
        with self._lock:
            return max((v for k, v in self._peak.items() if k.startswith(key_prefix)), default=0)

    def peaks(self) -> dict[str, int]:
        """Highest concurrency seen per tenant (every app's calls to it counted apart, as Xero does)."""
        with self._lock:
            by_tenant: dict[str, int] = {}
            for key, value in self._peak.items():
                tenant = key.split(":", 1)[0]
                by_tenant[tenant] = max(by_tenant.get(tenant, 0), value)
            return by_tenant

    def reset_peaks(self) -> None:
        with self._lock:
            self._peak.clear()

    def in_flight(self, key_prefix: str) -> int:
        with self._lock:
            return sum(v for k, v in self._in_flight.items() if k.startswith(key_prefix))
