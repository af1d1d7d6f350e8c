"""Per-tenant call budget, so normal work never meets a Xero 429.

Xero allows per tenant (and app) 5 calls in flight, 60 a minute (rolling) and 5,000 a day. Every call first
takes a slot here: at most `in_flight` at once, at most `per_minute` in any `window`. A call counts against
the minute from when its answer came back (re-stamped at release), which is never earlier than when Xero
counted it, so our window frees a slot only after Xero's did. When the budget is spent the caller waits, but
only briefly (`max_wait`); a longer wait raises `RateLimited` so the task is rescheduled instead of sleeping.
A 429 blocks the tenant for every process until its `Retry-After`.

There is no process-wide budget here: `make_limits` builds one. The composition root (`app.build_runtime`) builds
one per process and hands that object to the process's Xero clients (its jobs' through
`JobContext.services["xero_limits"]`); a client given none has a budget of its own. Tests build their own.

Two implementations behind one interface: `RedisLimits` (REDIS_URL set: a sorted-set semaphore whose slots
expire, a sliding minute log and the block, all changed atomically by Lua scripts using Redis's clock, shared
by every process), and `LocalLimits` (no Redis: the same rules under a threading lock, one process only).
The `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` headers are kept per tenant.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from metrics import XERO_BUDGET_WAITS, bounded
from storage.types import utcnow
from xero.errors import RateLimited

CONCURRENT_POLL = 0.02  # seconds between looks for a free in-flight slot (calls take milliseconds to seconds)
CONCURRENT_RETRY = 5.0  # seconds: when no in-flight slot freed within max_wait, come back this much later


@dataclass(frozen=True)
class Budget:
    in_flight: int = 5
    per_minute: int = 60
    window: float = 60.5  # seconds a call counts against `per_minute`; a little over Xero's minute for skew
    max_wait: float = 2.0  # wait at most this long for a slot, else RateLimited (tasks never sleep long)
    slot_ttl: float = 120.0  # an in-flight slot of a process that died frees itself after this


@dataclass(frozen=True)
class Remaining:
    """What Xero's last answer for the tenant said was left (None: header absent)."""

    minute: int | None = None
    day: int | None = None
    app_minute: int | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Slot:
    tenant_id: str
    token: str


_HEADERS = {"minute": "X-MinLimit-Remaining", "day": "X-DayLimit-Remaining", "app_minute": "X-AppMinLimit-Remaining"}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_redis_clients: dict[str, Any] = {}
_redis_guard = threading.Lock()


def redis_client(url: str) -> Any:
    """One Redis client (and connection pool) per URL per process, shared by the limits and the token lock."""
    import redis

    with _redis_guard:
        client = _redis_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
            _redis_clients[url] = client
        return client


class TenantLimits:
    """The shared interface; `_try` is the one atomic step each backend provides."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()

    def acquire(self, tenant_id: str) -> Slot:
        """Take a slot for one call, waiting up to `max_wait`; raise `RateLimited` when it would take longer."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.budget.max_wait
        waited = False  # counted once per call that had to wait (`metrics.XERO_BUDGET_WAITS`)
        while True:
            ok, wait, problem, blocked = self._try(tenant_id, token)
            if ok:
                return Slot(tenant_id, token)
            if blocked:  # Xero said so (429): every process keeps off until Retry-After
                XERO_BUDGET_WAITS.labels("blocked", "rescheduled").inc()
                raise RateLimited(utcnow() + timedelta(seconds=wait), problem)
            left = deadline - time.monotonic()
            pause = CONCURRENT_POLL if problem == "concurrent" else wait
            if pause > left:
                later = CONCURRENT_RETRY if problem == "concurrent" else max(wait, 1.0)
                XERO_BUDGET_WAITS.labels(bounded(problem), "rescheduled").inc()
                raise RateLimited(utcnow() + timedelta(seconds=later), problem, source="budget")
            if not waited:
                waited = True
                XERO_BUDGET_WAITS.labels(bounded(problem), "waited").inc()
            time.sleep(max(pause, 0.001))

    def release(self, slot: Slot) -> None:
        raise NotImplementedError

    def block(self, tenant_id: str, until: datetime, problem: str) -> None:
        """Keep every caller off the tenant until `until` (a 429's Retry-After)."""
        raise NotImplementedError

    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        values = {name: _as_int(headers.get(header)) for name, header in _HEADERS.items()}
        if any(v is not None for v in values.values()):
            self._store_remaining(tenant_id, values)

    def remaining(self, tenant_id: str) -> Remaining:
        raise NotImplementedError

    def _try(self, tenant_id: str, token: str) -> tuple[bool, float, str, bool]:
        """(taken, seconds to wait, which limit, blocked by a 429)."""
        raise NotImplementedError

    def _store_remaining(self, tenant_id: str, values: dict[str, int | None]) -> None:
        raise NotImplementedError


@dataclass
class _TenantState:
    flight: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    calls: dict[str, float] = field(default_factory=dict)  # token -> stamp (monotonic)
    blocked_until: datetime | None = None
    problem: str = ""
    remaining: Remaining = field(default_factory=Remaining)


class LocalLimits(TenantLimits):
    """One process's budget (no Redis): right for the in-process runner, where there is one process."""

    def __init__(self, budget: Budget | None = None) -> None:
        super().__init__(budget)
        self._lock = threading.Lock()
        self._tenants: dict[str, _TenantState] = {}

    def _state(self, tenant_id: str) -> _TenantState:
        return self._tenants.setdefault(tenant_id.lower(), _TenantState())

    def _try(self, tenant_id: str, token: str) -> tuple[bool, float, str, bool]:
        now, wall = time.monotonic(), utcnow()
        with self._lock:
            state = self._state(tenant_id)
            if state.blocked_until is not None and state.blocked_until > wall:
                return False, (state.blocked_until - wall).total_seconds(), state.problem, True
            state.flight = {t: exp for t, exp in state.flight.items() if exp > now}
            state.calls = {t: at for t, at in state.calls.items() if at > now - self.budget.window}
            if len(state.calls) >= self.budget.per_minute:
                return False, min(state.calls.values()) + self.budget.window - now, "minute", False
            if len(state.flight) >= self.budget.in_flight:
                return False, CONCURRENT_POLL, "concurrent", False
            state.flight[token] = now + self.budget.slot_ttl
            state.calls[token] = now
            return True, 0.0, "", False

    def release(self, slot: Slot) -> None:
        with self._lock:
            state = self._state(slot.tenant_id)
            state.flight.pop(slot.token, None)
            state.calls[slot.token] = time.monotonic()

    def block(self, tenant_id: str, until: datetime, problem: str) -> None:
        with self._lock:
            state = self._state(tenant_id)
            if state.blocked_until is None or until > state.blocked_until:
                state.blocked_until, state.problem = until, problem

    def remaining(self, tenant_id: str) -> Remaining:
        with self._lock:
            return self._state(tenant_id).remaining

    def _store_remaining(self, tenant_id: str, values: dict[str, int | None]) -> None:
        with self._lock:
            self._state(tenant_id).remaining = Remaining(**values, at=utcnow())


# KEYS: flight, calls, block. ARGV: token, in_flight, per_minute, window_ms, ttl_ms.
# Returns {taken, wait_ms, problem, blocked}. Redis's own clock: every process agrees on "now".
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local blocked = redis.call('HMGET', KEYS[3], 'until', 'problem')
if blocked[1] and tonumber(blocked[1]) > now then
  return {0, tonumber(blocked[1]) - now, blocked[2] or 'blocked', 1}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now, 'minute', 0}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, 0, 'concurrent', 0}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], window + ttl)
return {1, 0, '', 0}
"""

# KEYS: flight, calls. ARGV: token, window_ms, ttl_ms. The call counts from now, when its answer is back.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[3]))
return 1
"""

# KEYS: block. ARGV: until_ms (epoch), problem. Only ever lengthens a block.
_BLOCK = """
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'until', ARGV[1], 'problem', ARGV[2])
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return 1
"""


class RedisLimits(TenantLimits):
    """The budget shared by every process through Redis (keys under `prefix`, one hash slot per tenant)."""

    def __init__(self, url: str, budget: Budget | None = None, *, prefix: str = "hourcap:xero:limits") -> None:
        super().__init__(budget)
        self._redis = redis_client(url)
        self._prefix = prefix
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._block = self._redis.register_script(_BLOCK)

    def _keys(self, tenant_id: str) -> tuple[str, str, str, str]:
        base = f"{self._prefix}:{{{tenant_id.lower()}}}"
        return f"{base}:flight", f"{base}:calls", f"{base}:block", f"{base}:remaining"

    def _ms(self, seconds: float) -> int:
        return int(seconds * 1000)

    def _try(self, tenant_id: str, token: str) -> tuple[bool, float, str, bool]:
        flight, calls, block, _ = self._keys(tenant_id)
        taken, wait_ms, problem, blocked = self._acquire(
            keys=[flight, calls, block],
            args=[token, self.budget.in_flight, self.budget.per_minute, self._ms(self.budget.window),
                  self._ms(self.budget.slot_ttl)],
        )
        text = problem.decode() if isinstance(problem, bytes) else str(problem)
        return bool(taken), max(int(wait_ms), 0) / 1000, text, bool(blocked)

    def release(self, slot: Slot) -> None:
        flight, calls, _, _ = self._keys(slot.tenant_id)
        self._release(keys=[flight, calls],
                      args=[slot.token, self._ms(self.budget.window), self._ms(self.budget.slot_ttl)])

    def block(self, tenant_id: str, until: datetime, problem: str) -> None:
        _, _, block, _ = self._keys(tenant_id)
        self._block(keys=[block], args=[int(until.timestamp() * 1000), problem])

    def remaining(self, tenant_id: str) -> Remaining:
        raw = self._redis.hgetall(self._keys(tenant_id)[3])
        values = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                  for k, v in raw.items()}
        at = _as_int(values.get("at"))
        return Remaining(
            minute=_as_int(values.get("minute")),
            day=_as_int(values.get("day")),
            app_minute=_as_int(values.get("app_minute")),
            at=datetime.fromtimestamp(at / 1000, UTC) if at is not None else None,
        )

    def _store_remaining(self, tenant_id: str, values: dict[str, int | None]) -> None:
        key = self._keys(tenant_id)[3]
        mapping: dict[str, int] = {k: v for k, v in values.items() if v is not None}
        mapping["at"] = int(utcnow().timestamp() * 1000)
        pipe = self._redis.pipeline(transaction=False)
        pipe.delete(key)
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, 86400)
        pipe.execute()


def make_limits(redis_url: str | None, budget: Budget | None = None) -> TenantLimits:
    """A new budget: Redis-backed when a Redis URL is configured (its state, in Redis, is every process's),
    in-process otherwise (its state is this object's: share the object to share the budget)."""
    budget = budget or Budget()
    return RedisLimits(redis_url, budget) if redis_url else LocalLimits(budget)
