"""A valid access token for a workspace's Xero connection, refreshed single-flight across processes.

Refresh tokens are single use: two workers refreshing one token set is the classic way a Xero connection dies
(`invalid_grant`). So a refresh here always runs

1. under a cross-process lock on the connection: the row itself (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite
   every transaction begins IMMEDIATE and is already serialised) or a Redis lock;
2. re-reading the row inside the lock: if someone refreshed while we waited, their token is used and Xero is
   not called;
3. writing back with a compare-and-swap on `token_version`.

A refresh whose answer was lost (connection dropped after Xero rotated) is retried once with the same refresh
token: Xero accepts it for 30 minutes. `invalid_grant` is re-checked against a fresh read of the row (a
reconnect may have stored a new token set meanwhile); if the row still holds the refused token the connection
moves to Needs reconnect (`xero.status`) and `NeedsReconnect` is raised.

The token call is plain httpx2 rather than authlib's OAuth2Client: it is one form POST, and we need exact
control over it (no token state kept in a client object, no auto-refresh that would bypass the lock, a dropped
connection told apart from an `invalid_grant` and from a plain-text 503). Tokens are never logged: log lines
carry the connection's row id and Xero's correlation id only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from metrics import XERO_TOKEN_REFRESHES
from settings import Settings
from storage.db import Database
from storage.models import XeroConnection
from storage.types import utcnow
from xero.errors import NeedsReconnect, RateLimited, TenantNotConnected, XeroTransient, XeroUnauthorized
from xero.http import new_client
from xero.limits import redis_client
from xero.status import mark_needs_reconnect, usable

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=5)  # refresh this long before the access token expires
TOKEN_TIMEOUT = 20.0  # seconds for one token-endpoint call; well inside the Redis lock's expiry
INVALID_GRANT_REASON = "Xero refused the refresh token (invalid_grant): an admin must reconnect"


# -- locks -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowLock:
    """Lock the connection row for the whole refresh: `FOR UPDATE` on PostgreSQL, BEGIN IMMEDIATE on SQLite.

    The lock lives in the database transaction, so a worker that dies mid-refresh releases it with its
    connection; the token call happens while the row is locked.
    """


@dataclass(frozen=True)
class RedisLock:
    """A Redis lock per connection (redis-py's `Lock`): the database transactions around it stay short.

    `timeout` is the lock's expiry (a crashed holder frees it), longer than any token call; `wait` is how long
    to queue behind another refresher before giving up with `XeroTransient`.
    """

    url: str
    timeout: float = 60.0
    wait: float = 30.0
    prefix: str = "hourcap:xero:refresh"


TokenLock = RowLock | RedisLock


def lock_for(settings: Settings, db: Database) -> TokenLock:
    """The lock this deployment uses: the row lock on PostgreSQL (the database is the source of truth and
    needs nothing else); on SQLite a Redis lock when Redis is configured, so SQLite's single write lock is
    not held across a call to Xero, else the BEGIN IMMEDIATE transaction."""
    if db.is_sqlite and settings.redis_url:
        return RedisLock(settings.redis_url)
    return RowLock()


# -- public API --------------------------------------------------------------------------------------------
def access_token(
    db: Database,
    workspace_id: int,
    settings: Settings,
    *,
    lock: TokenLock | None = None,
    http: httpx2.Client | None = None,
) -> tuple[str, str]:
    """(access token, tenant id) for the workspace, refreshed first when it expires within ~5 minutes.

    Raises `TenantNotConnected` (no connection), `NeedsReconnect`, `XeroTransient` (token endpoint down).
    """
    with db.session() as session:
        connection = _load(session, workspace_id)
        if not _near_expiry(connection):
            return connection.access_token, connection.tenant_id
    return _refresh(db, workspace_id, settings, _near_expiry, lock=lock, http=http)


def refresh_now(
    db: Database,
    workspace_id: int,
    settings: Settings,
    *,
    stale_token: str | None = None,
    lock: TokenLock | None = None,
    http: httpx2.Client | None = None,
) -> tuple[str, str]:
    """Refresh under the lock even though the token has not expired (Xero answered 401 to `stale_token`).

    If the stored access token is no longer `stale_token`, someone refreshed since it was read: that token is
    returned without calling Xero. `stale_token=None` always refreshes.
    """

    def need(connection: XeroConnection) -> bool:
        return stale_token is None or connection.access_token == stale_token

    return _refresh(db, workspace_id, settings, need, lock=lock, http=http)


def refresh_if_idle(
    db: Database,
    workspace_id: int,
    settings: Settings,
    idle: timedelta,
    *,
    lock: TokenLock | None = None,
    http: httpx2.Client | None = None,
) -> bool:
    """Refresh when the token set was last refreshed more than `idle` ago (refresh tokens die after 60 days
    unused); True when Xero was called."""
    cutoff = utcnow() - idle
    called: list[bool] = []

    def need(connection: XeroConnection) -> bool:
        stale = connection.refreshed_at < cutoff
        called.append(stale)
        return stale

    _refresh(db, workspace_id, settings, need, lock=lock, http=http)
    return bool(called) and called[-1]


# -- the refresh -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _InvalidGrant:
    version: int
    correlation_id: str | None


def _refresh(
    db: Database,
    workspace_id: int,
    settings: Settings,
    need: Callable[[XeroConnection], bool],
    *,
    lock: TokenLock | None,
    http: httpx2.Client | None,
) -> tuple[str, str]:
    chosen = lock if lock is not None else lock_for(settings, db)
    with _http(http) as client:
        for _ in range(2):  # a second pass only when the row changed under a refused token
            if isinstance(chosen, RedisLock):
                outcome = _refresh_with_redis_lock(db, workspace_id, settings, need, chosen, client)
            else:
                outcome = _refresh_with_row_lock(db, workspace_id, settings, need, client)
            if not isinstance(outcome, _InvalidGrant):
                return outcome
            if _needs_reconnect_unless_rotated(db, workspace_id, outcome):
                raise NeedsReconnect(INVALID_GRANT_REASON, correlation_id=outcome.correlation_id, status=400)
            log.info("xero connection of workspace %s: refresh token rotated by someone else; using theirs",
                     workspace_id)
    raise XeroTransient("the Xero token set changed twice during one refresh; try again")


def _refresh_with_row_lock(
    db: Database,
    workspace_id: int,
    settings: Settings,
    need: Callable[[XeroConnection], bool],
    client: httpx2.Client,
) -> tuple[str, str] | _InvalidGrant:
    with db.session() as session:
        connection = _load(session, workspace_id, for_update=True)
        if not need(connection):
            return connection.access_token, connection.tenant_id
        answer = _call_token_endpoint(client, settings, connection.refresh_token, connection.id)
        if isinstance(answer, _InvalidGrantAnswer):
            return _InvalidGrant(connection.token_version, answer.correlation_id)
        _store(session, connection.id, connection.token_version, answer)
        return answer.access_token, connection.tenant_id


def _refresh_with_redis_lock(
    db: Database,
    workspace_id: int,
    settings: Settings,
    need: Callable[[XeroConnection], bool],
    lock: RedisLock,
    client: httpx2.Client,
) -> tuple[str, str] | _InvalidGrant:
    with db.session() as session:
        row_id = _load(session, workspace_id).id
    redis_lock = redis_client(lock.url).lock(
        f"{lock.prefix}:{row_id}", timeout=lock.timeout, blocking_timeout=lock.wait
    )
    if not redis_lock.acquire():
        raise XeroTransient(f"token refresh of Xero connection {row_id} is busy elsewhere; try again")
    try:
        with db.session() as session:
            connection = _load(session, workspace_id)
            if not need(connection):
                return connection.access_token, connection.tenant_id
            version, refresh_token, tenant_id = connection.token_version, connection.refresh_token, connection.tenant_id
        answer = _call_token_endpoint(client, settings, refresh_token, row_id)
        if isinstance(answer, _InvalidGrantAnswer):
            return _InvalidGrant(version, answer.correlation_id)
        with db.session() as session:
            _store(session, row_id, version, answer)
        return answer.access_token, tenant_id
    finally:
        _release(redis_lock, row_id)


def _release(redis_lock: Any, row_id: int) -> None:
    from redis.exceptions import LockError

    try:
        redis_lock.release()
    except LockError:  # expired while we worked: the compare-and-swap already protected the write
        log.warning("xero connection %s: the refresh lock expired before release", row_id)


def _needs_reconnect_unless_rotated(db: Database, workspace_id: int, refused: _InvalidGrant) -> bool:
    """Re-read after `invalid_grant`: True (and Needs reconnect recorded) when the row still holds the
    refused token set; False when someone stored a newer one meanwhile."""
    with db.session() as session:
        connection = _load(session, workspace_id, for_update=True)
        if connection.token_version != refused.version:
            return False
        if mark_needs_reconnect(session, connection, INVALID_GRANT_REASON):
            log.warning("xero connection %s: refresh token refused (invalid_grant, correlation %s): "
                        "Needs reconnect", connection.id, refused.correlation_id)
    return True


# -- rows --------------------------------------------------------------------------------------------------
def _load(session: Session, workspace_id: int, *, for_update: bool = False) -> XeroConnection:
    query = select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)
    if for_update:
        query = query.with_for_update()
    connection = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if connection is None:
        raise TenantNotConnected(f"workspace {workspace_id} has no Xero connection")
    if not usable(connection):
        raise NeedsReconnect(connection.status_reason or "the Xero connection needs to be reconnected")
    return connection


def _near_expiry(connection: XeroConnection) -> bool:
    return connection.access_expires_at - REFRESH_AHEAD <= utcnow()


def _store(session: Session, row_id: int, version: int, answer: _TokenAnswer) -> None:
    """Compare-and-swap: write only if nobody stored a token set since we read `version`."""
    now = utcnow()
    values: dict[str, Any] = {
        "access_token": answer.access_token,
        "access_expires_at": now + timedelta(seconds=answer.expires_in),
        "refreshed_at": now,
        "token_version": version + 1,
    }
    if answer.refresh_token:
        values["refresh_token"] = answer.refresh_token
    if answer.scope:
        values["scopes"] = answer.scope[:500]
    result = session.execute(
        update(XeroConnection)
        .where(XeroConnection.id == row_id, XeroConnection.token_version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        # Only possible when a lock expired under us or a reconnect wrote meanwhile: keep what is stored.
        log.warning("xero connection %s: token version moved during refresh; kept the stored token set", row_id)


# -- the token endpoint ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _TokenAnswer:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str | None


@dataclass(frozen=True)
class _InvalidGrantAnswer:
    correlation_id: str | None


@contextmanager
def _http(client: httpx2.Client | None) -> Iterator[httpx2.Client]:
    if client is not None:
        yield client
        return
    with new_client(TOKEN_TIMEOUT) as own:
        yield own


def _call_token_endpoint(
    client: httpx2.Client, settings: Settings, refresh_token: str, row_id: int
) -> _TokenAnswer | _InvalidGrantAnswer:
    """One refresh; a connection lost before the answer arrived is retried once with the same refresh token
    (Xero's 30-minute grace for lost answers)."""
    if not settings.xero_client_id or not settings.xero_client_secret:
        raise XeroUnauthorized("XERO_CLIENT_ID / XERO_CLIENT_SECRET are not set", status=None)
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    auth = (settings.xero_client_id, settings.xero_client_secret)
    response: httpx2.Response | None = None
    for attempt in (1, 2):
        try:
            response = client.post(settings.xero_token_url, data=form, auth=auth, timeout=TOKEN_TIMEOUT)
            break
        except httpx2.TransportError as exc:
            log.warning("xero connection %s: token refresh attempt %s lost (%s)", row_id, attempt,
                        exc.__class__.__name__)
            if attempt == 2:
                XERO_TOKEN_REFRESHES.labels("no_answer").inc()
                raise XeroTransient(f"Xero's token endpoint did not answer ({exc.__class__.__name__})") from None
    assert response is not None
    return _interpret_counted(response, row_id)


def _interpret_counted(response: httpx2.Response, row_id: int) -> _TokenAnswer | _InvalidGrantAnswer:
    """`_interpret`, with the outcome counted in `metrics.XERO_TOKEN_REFRESHES`."""
    try:
        answer = _interpret(response, row_id)
    except RateLimited:
        XERO_TOKEN_REFRESHES.labels("rate_limited").inc()
        raise
    except XeroUnauthorized:
        XERO_TOKEN_REFRESHES.labels("refused").inc()
        raise
    except Exception:
        XERO_TOKEN_REFRESHES.labels("error").inc()
        raise
    XERO_TOKEN_REFRESHES.labels("invalid_grant" if isinstance(answer, _InvalidGrantAnswer) else "refreshed").inc()
    return answer


def _interpret(response: httpx2.Response, row_id: int) -> _TokenAnswer | _InvalidGrantAnswer:
    correlation = response.headers.get("Xero-Correlation-Id")
    body: dict[str, Any] = {}
    if "json" in response.headers.get("content-type", ""):
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            body = {}
    if response.status_code == 200 and body.get("access_token"):
        log.info("xero connection %s: token refreshed (correlation %s)", row_id, correlation)
        return _TokenAnswer(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_in=int(body.get("expires_in") or 1800),
            scope=str(body["scope"]) if body.get("scope") else None,
        )
    error = str(body.get("error") or "")
    log.warning("xero connection %s: token refresh answered %s %s (correlation %s)", row_id,
                response.status_code, error or "-", correlation)
    if error == "invalid_grant":
        return _InvalidGrantAnswer(correlation)
    if error in ("invalid_client", "unauthorized_client"):
        raise XeroUnauthorized(f"Xero refused Hour Cap's client credentials ({error})",
                               correlation_id=correlation, status=response.status_code)
    if response.status_code == 429:
        raise RateLimited(_retry_at(response), "token", correlation_id=correlation, status=429)
    raise XeroTransient(f"Xero's token endpoint answered {response.status_code} {error}".rstrip(),
                        correlation_id=correlation, status=response.status_code)


def _retry_at(response: httpx2.Response, default: float = 60.0) -> datetime:
    return retry_at_from(response.headers.get("Retry-After"), default)


def retry_at_from(value: str | None, default: float = 60.0) -> datetime:
    """`Retry-After` (seconds, or an HTTP date) as an aware datetime; `default` seconds when absent."""
    now = utcnow()
    if value:
        value = value.strip()
        if value.isdigit():
            return now + timedelta(seconds=int(value))
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return now + timedelta(seconds=default)
