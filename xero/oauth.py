"""Xero's identity endpoints as Hour Cap uses them: the authorize URL, the code exchange, `/connections`, revoke.

Every address comes from settings (`XERO_LOGIN_URL`, `XERO_IDENTITY_URL`, `XERO_CONNECTIONS_URL`), so pointing
them at another faithful stand-in needs no code change.

The exchange, revocation and `/connections` calls are plain httpx2 requests rather than authlib's OAuth2Client:
each is one request, and Hour Cap keeps the OAuth state itself (hashed, single-use, bound to a cookie, in the
database), so the client object's own state handling and token storage would only be a second copy to keep in
step — and a client object holding one workspace's token is easily reused for another's calls. Plain requests also let
this module tell "Xero refused" (4xx, `invalid_grant`…) from "Xero is down" (5xx, timeouts, non-JSON) precisely,
which is what the web pages need. authlib still provides the PKCE S256 challenge.

Nothing here logs a token, a code or a state: only Xero's error names and the correlation id.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from settings import Settings
from storage.types import utcnow
from xero.http import new_client

log = logging.getLogger("hourcap.xero.oauth")

TIMEOUT = httpx2.Timeout(15.0, connect=5.0)


class XeroOAuthError(Exception):
    """A call to Xero's identity service did not give what we needed; `message` is safe to show."""

    def __init__(self, message: str, *, error: str | None = None, status: int | None = None,
                 correlation_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error = error
        self.status = status
        self.correlation_id = correlation_id


class XeroRefused(XeroOAuthError):
    """Xero answered and said no (a 4xx: `invalid_grant`, `invalid_client`, 401/403 on /connections…)."""


class XeroUnavailable(XeroOAuthError):
    """Xero could not be reached, timed out, or answered 5xx / something that is not its API: try later."""


@dataclass(frozen=True)
class TokenSet:
    """One token endpoint answer. Held in memory only on the way to an encrypted column."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str
    token_type: str = "Bearer"

    def __repr__(self) -> str:  # never show tokens in logs or tracebacks
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, scope={self.scope!r})"

    @property
    def auth_event_id(self) -> str | None:
        value = access_token_claims(self.access_token).get("authentication_event_id")
        return str(value) if value else None

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at.isoformat(), "scope": self.scope,
                           "token_type": self.token_type})

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(data["access_token"], data["refresh_token"], datetime.fromisoformat(data["expires_at"]),
                   data.get("scope", ""), data.get("token_type", "Bearer"))


@dataclass(frozen=True)
class Tenant:
    """One row of `GET /connections`."""

    connection_id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.connection_id, "tenantId": self.tenant_id, "tenantName": self.tenant_name,
                "tenantType": self.tenant_type, "authEventId": self.auth_event_id}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Tenant:
        return cls(str(row["id"]), str(row["tenantId"]), str(row.get("tenantName") or ""),
                   str(row.get("tenantType") or ""), row.get("authEventId"))


# --- the authorize URL -------------------------------------------------------------------------------------


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """RFC 7636: 43–128 characters from the unreserved set (token_urlsafe uses A–Z a–z 0–9 - _)."""
    return secrets.token_urlsafe(64)


def callback_url(settings: Settings) -> str:
    """Where Xero sends the browser back; register exactly this in Xero's developer portal."""
    return f"{public_base_url(settings)}/xero/callback"


def public_base_url(settings: Settings) -> str:
    return settings.base_url or f"http://127.0.0.1:{settings.port}"


def authorization_url(settings: Settings, state: str, code_verifier: str | None) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.xero_client_id or "",
        "redirect_uri": callback_url(settings),
        "scope": settings.xero_scopes,
        "state": state,
    }
    if code_verifier is not None:
        params["code_challenge"] = create_s256_code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    separator = "&" if "?" in settings.xero_login_url else "?"
    return f"{settings.xero_login_url}{separator}{urlencode(params, quote_via=quote)}"


# --- token endpoint ---------------------------------------------------------------------------------------


def _client(http: httpx2.Client | None) -> httpx2.Client:
    return http if http is not None else new_client(TIMEOUT)


def _correlation(response: httpx2.Response) -> str | None:
    return response.headers.get("Xero-Correlation-Id")


def _send(http: httpx2.Client | None, method: str, url: str, what: str, **kwargs: Any) -> httpx2.Response:
    client = _client(http)
    try:
        return client.request(method, url, **kwargs)
    except httpx2.TimeoutException:
        raise XeroUnavailable(f"Xero did not answer in time ({what}).") from None
    except httpx2.HTTPError as exc:
        raise XeroUnavailable(f"Xero could not be reached ({what}: {exc.__class__.__name__}).") from None
    finally:
        if http is None:
            client.close()


def _oauth_failure(response: httpx2.Response, what: str) -> XeroOAuthError:
    correlation = _correlation(response)
    if response.status_code >= 500 or response.status_code == 429:
        log.warning("Xero %s answered HTTP %s (correlation id %s)", what, response.status_code, correlation)
        return XeroUnavailable(f"Xero is having trouble right now ({what}: HTTP {response.status_code}).",
                               status=response.status_code, correlation_id=correlation)
    try:
        body = response.json()
        error = str(body.get("error") or body.get("Title") or "") if isinstance(body, dict) else ""
    except ValueError:
        error = ""
    log.warning("Xero refused %s: HTTP %s %s (correlation id %s)", what, response.status_code, error or "-",
                correlation)
    return XeroRefused(f"Xero refused the request ({what}: {error or 'HTTP ' + str(response.status_code)}).",
                       error=error or None, status=response.status_code, correlation_id=correlation)


def exchange_code(settings: Settings, code: str, code_verifier: str | None, *,
                  http: httpx2.Client | None = None) -> TokenSet:
    """`authorization_code` grant; client authentication by HTTP Basic, as Xero documents."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback_url(settings)}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    response = _send(http, "POST", settings.xero_token_url, "code exchange", data=form,
                     auth=(settings.xero_client_id or "", settings.xero_client_secret or ""),
                     headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise _oauth_failure(response, "code exchange")
    try:
        body = response.json()
        access, refresh = str(body["access_token"]), str(body.get("refresh_token") or "")
        expires_in = int(body.get("expires_in") or 1800)
    except (ValueError, KeyError, TypeError):
        raise XeroUnavailable("Xero's token answer was not what its API promises.") from None
    if not refresh:
        raise XeroRefused("Xero gave no refresh token: the offline_access scope is missing from XERO_SCOPES.",
                          error="no_refresh_token")
    return TokenSet(access, refresh, utcnow() + timedelta(seconds=expires_in), str(body.get("scope") or ""),
                    str(body.get("token_type") or "Bearer"))


def access_token_claims(access_token: str) -> dict[str, Any]:
    """The JWT payload of an access token, decoded WITHOUT verifying its signature.

    Fine here because the token is only read for routing, never trusted as proof of anything: it came to us
    straight from Xero's token endpoint, over TLS, in answer to our own authenticated request (client secret and
    single-use code), so nobody else could have chosen it. We read `authentication_event_id` to ask Xero which
    organisations this very consent granted; Xero itself checks the token on every call.
    """
    try:
        payload = access_token.split(".")[1]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


# --- connections --------------------------------------------------------------------------------------------


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


def list_connections(settings: Settings, access_token: str, auth_event_id: str | None = None, *,
                     http: httpx2.Client | None = None) -> list[Tenant]:
    """`GET /connections`, narrowed to one consent when `auth_event_id` is given; organisations only."""
    params = {"authEventId": auth_event_id} if auth_event_id else None
    response = _send(http, "GET", settings.xero_connections_url, "listing connections", params=params,
                     headers=_bearer(access_token))
    if response.status_code != 200:
        raise _oauth_failure(response, "listing connections")
    try:
        rows = response.json()
        tenants = [Tenant.from_dict(row) for row in rows]
    except (ValueError, KeyError, TypeError):
        raise XeroUnavailable("Xero's connections answer was not what its API promises.") from None
    wanted = (auth_event_id or "").lower()
    return [t for t in tenants if t.tenant_type.upper() == "ORGANISATION"
            and (not wanted or (t.auth_event_id or "").lower() == wanted)]


def delete_connection(settings: Settings, access_token: str, connection_id: str, *,
                      http: httpx2.Client | None = None) -> bool:
    """`DELETE /connections/{id}` by the connection id (never the tenant id); False when Xero no longer has it."""
    url = f"{settings.xero_connections_url}/{quote(connection_id, safe='')}"
    response = _send(http, "DELETE", url, "removing the connection", headers=_bearer(access_token))
    if response.status_code in (200, 204):
        return True
    if response.status_code == 404:
        return False
    raise _oauth_failure(response, "removing the connection")


def revoke(settings: Settings, refresh_token: str, *, http: httpx2.Client | None = None) -> None:
    """Revoke the refresh token: Xero ends the token set and every connection made with it."""
    response = _send(http, "POST", settings.xero_revocation_url, "revoking access", data={"token": refresh_token},
                     auth=(settings.xero_client_id or "", settings.xero_client_secret or ""))
    if response.status_code != 200:
        raise _oauth_failure(response, "revoking access")
