"""The one way Hour Cap calls Xero's Accounting API for a workspace.

Per request, never shared: the `Authorization` and `xero-tenant-id` headers are built from the workspace's one
authoritative connection row (`xero.tokens`), so no client object ever carries one tenant's token into
another's call. Before each call a slot is taken from the tenant's budget (`xero.limits`: 5 in flight, 60 a
minute, shared by all processes), so normal work never meets a 429. Answers become typed errors
(`xero.errors`), each logged with Xero's `Xero-Correlation-Id`:

- 401: one forced refresh under the lock (unless someone refreshed meanwhile) and one retry;
- 403: ask `/connections` whether the organisation is still connected; gone → Needs reconnect;
- 429: `RateLimited` at `Retry-After` (the whole tenant is held off until then, in every process);
- 400: `XeroValidationError` with Xero's messages; 404: `XeroNotFound`;
- 5xx, plain-text 503, timeouts, dropped connections: `XeroTransient`.

A connection that is not usable (Needs reconnect) is refused before anything is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx2
from sqlalchemy import select

import logs
from metrics import XERO_CALLS, endpoint
from settings import Settings
from storage.db import Database
from storage.models import XeroConnection
from xero import tokens
from xero.errors import (
    NeedsReconnect,
    RateLimited,
    XeroForbidden,
    XeroNotFound,
    XeroRequestError,
    XeroTransient,
    XeroUnauthorized,
    XeroValidationError,
)
from xero.http import new_client
from xero.limits import Budget, TenantLimits, make_limits
from xero.status import mark_needs_reconnect

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
MAX_IDEMPOTENCY_KEY = 128  # Xero's limit on an Idempotency-Key, in characters
TENANT_GONE_REASON = "The organisation is no longer connected to Hour Cap in Xero: an admin must reconnect"


class XeroClient:
    """Accounting API calls for one workspace; cheap to create, safe to share between threads."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        workspace_id: int,
        *,
        http: httpx2.Client | None = None,
        limits: TenantLimits | None = None,
        budget: Budget | None = None,
        lock: tokens.TokenLock | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.db = db
        self.settings = settings
        self.workspace_id = workspace_id
        # The process's budget comes from the composition root; a client given none (a script, a test) has its own.
        self.limits = limits if limits is not None else make_limits(settings.redis_url, budget)
        self.lock = lock
        self._own_http = http is None
        # The pooled HTTP client holds no credentials: every request gets its own headers.
        self.http = http or new_client(timeout)

    # -- lifecycle ------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- verbs ----------------------------------------------------------------------------------------------
    def get(self, path: str, *, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> httpx2.Response:
        return self.request("GET", path, params=params, headers=headers)

    def put(self, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
            headers: Mapping[str, str] | None = None, idempotency_key: str | None = None,
            content: bytes | None = None) -> httpx2.Response:
        """`content`: a body already encoded (with its Content-Type in `headers`), e.g. JSON with exact Decimals."""
        return self.request("PUT", path, params=params, json=json, headers=headers, idempotency_key=idempotency_key,
                            content=content)

    def post(self, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
             headers: Mapping[str, str] | None = None, idempotency_key: str | None = None) -> httpx2.Response:
        return self.request("POST", path, params=params, json=json, headers=headers,
                            idempotency_key=idempotency_key)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        content: bytes | None = None,
    ) -> httpx2.Response:
        """Send one call (plus at most one retry after a 401); a 2xx answer or a typed `XeroError`."""
        extra = dict(headers or {})
        if idempotency_key is not None:
            if method.upper() not in ("PUT", "POST"):
                raise ValueError("Idempotency-Key applies to PUT and POST only")
            if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
                raise ValueError(f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} characters")
            extra["Idempotency-Key"] = idempotency_key
        url = f"{self.settings.xero_api_url}/{path.lstrip('/')}"

        token, tenant_id = tokens.access_token(self.db, self.workspace_id, self.settings, lock=self.lock,
                                               http=self.http)
        template = endpoint(path)
        response = self._send(method, url, token, tenant_id, params, json, extra, content, template)
        if response.status_code == 401:
            self._log(response, method, path, tenant_id, "refreshing once")
            token, tenant_id = tokens.refresh_now(self.db, self.workspace_id, self.settings, stale_token=token,
                                                  lock=self.lock, http=self.http)
            response = self._send(method, url, token, tenant_id, params, json, extra, content, template)
        if response.is_success:
            return response
        return self._fail(response, method, path, token, tenant_id)

    # -- one exchange ---------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, token: str, tenant_id: str, params: Mapping[str, Any] | None,
              json: Any, extra: dict[str, str], content: bytes | None = None,
              template: str = "other") -> httpx2.Response:
        """One exchange, counted by endpoint template and status (`metrics.XERO_CALLS`); the answer's
        `Xero-Correlation-Id` goes into this context's log lines from here on."""
        headers = {"Accept": "application/json", **extra,
                   "Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id}
        slot = self.limits.acquire(tenant_id)
        try:
            response = self.http.request(method, url, params=params, json=json, content=content, headers=headers)
        except httpx2.TimeoutException as exc:
            XERO_CALLS.labels(template, "timeout").inc()
            log.warning("xero %s %s: timed out (tenant %s, workspace %s)", method, _path(url), tenant_id,
                        self.workspace_id)
            raise XeroTransient(f"Xero did not answer {method} {_path(url)} in time") from exc
        except httpx2.TransportError as exc:
            XERO_CALLS.labels(template, "connection_error").inc()
            log.warning("xero %s %s: connection failed, %s (tenant %s, workspace %s)", method, _path(url),
                        exc.__class__.__name__, tenant_id, self.workspace_id)
            raise XeroTransient(f"connection to Xero failed during {method} {_path(url)} "
                                f"({exc.__class__.__name__})") from exc
        finally:
            self.limits.release(slot)
        XERO_CALLS.labels(template, str(response.status_code)).inc()
        logs.note(xero_correlation_id=response.headers.get("Xero-Correlation-Id"))
        self.limits.observe(tenant_id, response.headers)
        return response

    def _fail(self, response: httpx2.Response, method: str, path: str, token: str, tenant_id: str) -> httpx2.Response:
        status = response.status_code
        correlation = response.headers.get("Xero-Correlation-Id")
        what = f"{method} /{path.lstrip('/')}"
        if status == 429:
            problem = (response.headers.get("X-Rate-Limit-Problem") or "minute").strip().lower()
            retry_at = tokens.retry_at_from(response.headers.get("Retry-After"))
            self.limits.block(tenant_id, retry_at, problem)
            self._log(response, method, path, tenant_id, f"rate limited ({problem})")
            raise RateLimited(retry_at, problem, correlation_id=correlation, status=429)
        self._log(response, method, path, tenant_id)
        if status == 400:
            raise XeroValidationError(_messages(response), correlation_id=correlation)
        if status == 401:
            raise XeroUnauthorized(f"Xero refused a fresh token for {what}", correlation_id=correlation)
        if status == 403:
            self._check_still_connected(token, tenant_id, correlation)
            raise XeroForbidden(f"Xero refused {what}: the organisation is connected, so a scope or permission "
                                "is missing", correlation_id=correlation)
        if status == 404:
            raise XeroNotFound(f"Xero found nothing at {what}", correlation_id=correlation)
        if status >= 500:
            raise XeroTransient(f"Xero answered {status} to {what}", correlation_id=correlation, status=status)
        raise XeroRequestError(f"Xero answered {status} to {what}", correlation_id=correlation, status=status)

    def _check_still_connected(self, token: str, tenant_id: str, correlation: str | None) -> None:
        """After a 403: if Xero's /connections no longer lists the tenant, move to Needs reconnect."""
        try:
            answer = self.http.get(self.settings.xero_connections_url,
                                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except httpx2.TransportError as exc:
            XERO_CALLS.labels("connections", "connection_error").inc()
            raise XeroTransient("could not ask Xero which organisations are connected", correlation_id=correlation,
                                status=403) from exc
        XERO_CALLS.labels("connections", str(answer.status_code)).inc()
        if answer.status_code != 200:
            self._log(answer, "GET", "/connections", tenant_id)
            raise XeroTransient(f"Xero answered {answer.status_code} to GET /connections",
                                correlation_id=answer.headers.get("Xero-Correlation-Id"), status=answer.status_code)
        rows = answer.json()
        connected = {str(row.get("tenantId", "")).lower() for row in rows if isinstance(row, dict)}
        if tenant_id.lower() in connected:
            return
        with self.db.session() as session:
            connection = session.scalars(
                select(XeroConnection).where(XeroConnection.workspace_id == self.workspace_id).with_for_update()
            ).one_or_none()
            if connection is not None and connection.tenant_id.lower() == tenant_id.lower():
                mark_needs_reconnect(session, connection, TENANT_GONE_REASON)
        log.warning("xero tenant %s (workspace %s) is no longer connected (correlation %s): Needs reconnect",
                    tenant_id, self.workspace_id, correlation)
        raise NeedsReconnect(TENANT_GONE_REASON, correlation_id=correlation, status=403)

    def _log(self, response: httpx2.Response, method: str, path: str, tenant_id: str, note: str = "") -> None:
        log.warning("xero %s /%s answered %s%s (tenant %s, workspace %s, correlation %s)", method, path.lstrip("/"),
                    response.status_code, f", {note}" if note else "", tenant_id, self.workspace_id,
                    response.headers.get("Xero-Correlation-Id"))


def _path(url: str) -> str:
    return httpx2.URL(url).path


def _messages(response: httpx2.Response) -> list[str]:
    """Xero's words from a 400: the top `Message` and every element's `ValidationErrors[].Message`."""
    try:
        body = response.json()
    except ValueError:
        return [response.text.strip()[:500]]
    if not isinstance(body, dict):
        return [str(body)[:500]]
    messages: list[str] = []
    if body.get("Message"):
        messages.append(str(body["Message"]))
    for element in body.get("Elements") or []:
        if not isinstance(element, dict):
            continue
        for error in element.get("ValidationErrors") or []:
            if isinstance(error, dict) and error.get("Message") and str(error["Message"]) not in messages:
                messages.append(str(error["Message"]))
    if not messages and body.get("Detail"):
        messages.append(str(body["Detail"]))
    return messages
