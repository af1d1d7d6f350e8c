"""What can go wrong when Hour Cap talks to Xero, as types the job runner already understands.

Every error subclasses one of the task outcomes in `jobs.registry`, so a task calling Xero needs no mapping of
its own: `RateLimited` is a `RetryAt` (the task is rescheduled at Xero's `Retry-After`, never slept through),
`XeroTransient` and `XeroUnauthorized` are `Transient` (backoff), the rest are `Permanent`. Each carries the
`Xero-Correlation-Id` of the answer that caused it (None when there was no answer), which is what Xero support
asks for. No error message ever contains a token.
"""

from __future__ import annotations

from datetime import datetime

from errors import Permanent, RetryAt, Transient


class XeroError(Exception):
    """Base of every Xero error; `correlation_id` is Xero's id for the failing request, if it answered."""

    correlation_id: str | None = None
    status: int | None = None


class RateLimited(XeroError, RetryAt):
    """Xero (or our own per-tenant budget) says: not before `retry_at`.

    `problem` is Xero's `X-Rate-Limit-Problem` in lower case (`minute`, `day`, `appminute`, `concurrent`), or
    the budget that ran out on our side. A `day` stop is worth telling the workspace about.
    """

    def __init__(
        self,
        retry_at: datetime,
        problem: str,
        *,
        correlation_id: str | None = None,
        status: int | None = None,
        source: str = "xero",
    ) -> None:
        reason = f"Xero rate limit ({problem}) reached; retry at {retry_at.isoformat(timespec='seconds')}"
        if source != "xero":
            reason = f"Xero {problem} budget spent on our side; retry at {retry_at.isoformat(timespec='seconds')}"
        RetryAt.__init__(self, retry_at, reason)
        self.problem = problem
        self.correlation_id = correlation_id
        self.status = status
        self.source = source

    @property
    def retry_at(self) -> datetime:
        return self.when


class XeroTransient(XeroError, Transient):
    """5xx, plain-text maintenance pages, timeouts, dropped connections: worth retrying with backoff."""

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = None) -> None:
        Transient.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status


class XeroUnauthorized(XeroError, Transient):
    """Xero refused our credentials even after a fresh token (or refused our client id/secret).

    Transient: the next attempt starts with a refresh, which either works or turns into `NeedsReconnect`.
    """

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = 401) -> None:
        Transient.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status


class TenantNotConnected(XeroError, Permanent):
    """The workspace has no Xero connection at all (never connected, or disconnected by an admin)."""

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = None) -> None:
        Permanent.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status


class NeedsReconnect(TenantNotConnected):
    """The connection is in Needs reconnect (refresh token dead, or the organisation removed the app in Xero).

    Nothing calls Xero for the workspace until an admin reconnects; the announcement went through the outbox
    when the status changed (`xero.status.mark_needs_reconnect`).
    """


class XeroForbidden(XeroError, Permanent):
    """403 while the organisation is still connected: the token lacks a scope or the user lost a permission."""

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = 403) -> None:
        Permanent.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status


class XeroValidationError(XeroError, Permanent):
    """400: Xero refused what we sent; `messages` are Xero's own words (Message + every ValidationErrors)."""

    def __init__(
        self, messages: list[str], *, correlation_id: str | None = None, status: int | None = 400
    ) -> None:
        self.messages = [m for m in messages if m] or ["Xero refused the request (400)"]
        Permanent.__init__(self, "; ".join(self.messages))
        self.correlation_id = correlation_id
        self.status = status


class XeroNotFound(XeroError, Permanent):
    """404: the thing asked for does not exist in this organisation."""

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = 404) -> None:
        Permanent.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status


class XeroRequestError(XeroError, Permanent):
    """Any other 4xx: a request Xero will never accept as sent."""

    def __init__(self, reason: str, *, correlation_id: str | None = None, status: int | None = None) -> None:
        Permanent.__init__(self, reason)
        self.correlation_id = correlation_id
        self.status = status
