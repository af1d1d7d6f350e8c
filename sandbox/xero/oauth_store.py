"""Xero identity state and rules: apps, consenting users, codes, token sets, connections.

Xero's rules: codes are single use and live 5 minutes; access tokens are JWTs living 30 minutes;
refresh tokens are single use, die after 60 days unused, and a refresh token whose response was lost may be
retried for 30 minutes (that retry issues a new pair and kills the lost one, which is how two uncoordinated
refreshers end in ``invalid_grant``). Revoking a refresh token kills its token set and the connections made
in its authentication event. Connections are per app, user and organisation.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from .clock import SandboxClock
from .models import new_id
from .scopes import BROAD_SCOPES, COMMON_SCOPES, GRANULAR_SCOPES, IDENTITY_SCOPES

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_LIFETIME = timedelta(minutes=30)
REFRESH_IDLE_LIFETIME = timedelta(days=60)
REFRESH_GRACE = timedelta(minutes=30)

_SIGNING_KEY: RSAKey | None = None
_KEY_LOCK = threading.Lock()


def signing_key() -> RSAKey:
    """One RS256 key per process: generating RSA keys is the slow part of starting a sandbox."""
    global _SIGNING_KEY
    with _KEY_LOCK:
        if _SIGNING_KEY is None:
            _SIGNING_KEY = RSAKey.generate_key(2048, auto_kid=True)
        return _SIGNING_KEY


class OAuthError(Exception):
    """An RFC 6749 error answer: ``{"error": ...}`` with a status (400 unless said otherwise)."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    new_app: bool = True

    def allowed_scopes(self) -> set[str]:
        base = IDENTITY_SCOPES | GRANULAR_SCOPES | COMMON_SCOPES
        return base if self.new_app else base | BROAD_SCOPES


@dataclass
class User:
    user_id: str
    email: str
    tenant_ids: list[str]


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    user_id: str
    auth_event_id: str
    expires_at: datetime
    challenge: str | None
    nonce: str | None
    used: bool = False


@dataclass
class TokenSet:
    token_set_id: str
    client_id: str
    user_id: str
    auth_event_id: str
    scopes: list[str]
    session_id: str
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    token_set_id: str
    issued_at: datetime
    used_at: datetime | None = None
    successor: str | None = None
    dead: bool = False


@dataclass
class AccessToken:
    token: str
    token_set_id: str
    client_id: str
    user_id: str
    scopes: list[str]
    auth_event_id: str
    expires_at: datetime


@dataclass
class Connection:
    connection_id: str
    client_id: str
    user_id: str
    tenant_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass
class IdentityStore:
    """All identity state, guarded by one lock (token rotation must be atomic)."""

    clock: SandboxClock
    issuer: Callable[[], str]
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    token_sets: dict[str, TokenSet] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    token_calls: Counter[str] = field(default_factory=Counter)
    # Refresh calls per refresh token presented (keyed by a digest, never the token): more than 1 is a token
    # two refreshers raced for.
    refreshes_per_token: Counter[str] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- apps and clients -------------------------------------------------------------------------------
    def register_app(
        self, client_id: str, client_secret: str, redirect_uris: list[str], *, new_app: bool = True
    ) -> OAuthApp:
        with self.lock:
            app = OAuthApp(client_id, client_secret, list(redirect_uris), new_app)
            self.apps[client_id] = app
            return app

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthApp:
        app = self.apps.get(client_id or "")
        if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
            raise OAuthError("invalid_client")
        return app

    # -- authorization codes ----------------------------------------------------------------------------
    def grant(
        self,
        app: OAuthApp,
        user: User,
        tenant_ids: list[str],
        redirect_uri: str,
        scopes: list[str],
        challenge: str | None,
        nonce: str | None,
    ) -> AuthCode:
        """The user clicked Allow: connect the chosen organisations and issue a code."""
        now = self.clock.now()
        with self.lock:
            event_id = new_id()
            for tenant_id in tenant_ids:
                existing = self._connection(app.client_id, user.user_id, tenant_id)
                if existing:
                    existing.auth_event_id, existing.updated = event_id, now
                else:
                    conn = Connection(new_id(), app.client_id, user.user_id, tenant_id, event_id, now, now)
                    self.connections[conn.connection_id] = conn
            code = AuthCode(
                secrets.token_urlsafe(32),
                app.client_id,
                redirect_uri,
                scopes,
                user.user_id,
                event_id,
                now + CODE_LIFETIME,
                challenge,
                nonce,
            )
            self.codes[code.code] = code
            return code

    def _connection(self, client_id: str, user_id: str, tenant_id: str) -> Connection | None:
        for conn in self.connections.values():
            if (conn.client_id, conn.user_id, conn.tenant_id) == (client_id, user_id, tenant_id):
                return conn
        return None

    def exchange_code(
        self, app: OAuthApp, code: str, redirect_uri: str | None, verifier: str | None
    ) -> dict[str, Any]:
        with self.lock:
            self.token_calls["authorization_code"] += 1
            record = self.codes.get(code)
            if record is None or record.client_id != app.client_id or record.used:
                raise OAuthError("invalid_grant")
            record.used = True
            if self.clock.now() > record.expires_at or redirect_uri != record.redirect_uri:
                raise OAuthError("invalid_grant")
            if record.challenge is not None:
                digest = hashlib.sha256((verifier or "").encode("ascii", "replace")).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
                if not verifier or not secrets.compare_digest(expected, record.challenge):
                    raise OAuthError("invalid_grant", "code_verifier is invalid")
            token_set = TokenSet(
                new_id(), app.client_id, record.user_id, record.auth_event_id, record.scopes, new_id()
            )
            self.token_sets[token_set.token_set_id] = token_set
            return self._issue(token_set, nonce=record.nonce, with_id_token=True)

    # -- refresh and revocation -------------------------------------------------------------------------
    def refresh(self, app: OAuthApp, token: str) -> dict[str, Any]:
        now = self.clock.now()
        with self.lock:
            self.token_calls["refresh_token"] += 1
            self.refreshes_per_token[hashlib.sha256(token.encode()).hexdigest()[:16]] += 1
            record = self.refresh_tokens.get(token)
            if record is None or record.dead:
                raise OAuthError("invalid_grant")
            token_set = self.token_sets[record.token_set_id]
            if token_set.client_id != app.client_id or token_set.revoked:
                raise OAuthError("invalid_grant")
            if record.used_at is None:
                if now - record.issued_at > REFRESH_IDLE_LIFETIME:
                    raise OAuthError("invalid_grant")
                record.used_at = now
            else:
                successor = self.refresh_tokens.get(record.successor or "")
                in_grace = now - record.used_at <= REFRESH_GRACE
                if successor is None or successor.used_at is not None or successor.dead or not in_grace:
                    raise OAuthError("invalid_grant")
                successor.dead = True  # the lost answer's token is superseded by this retry
            return self._issue(token_set, predecessor=record)

    def revoke(self, app: OAuthApp, token: str) -> None:
        """RFC 7009: unknown tokens are not an error. A refresh token kills its set and its connections."""
        with self.lock:
            record = self.refresh_tokens.get(token)
            token_set = self.token_sets.get(record.token_set_id) if record else None
            if token_set is None:
                access = self.access_tokens.get(token)
                token_set = self.token_sets.get(access.token_set_id) if access else None
            if token_set is None or token_set.client_id != app.client_id:
                return
            token_set.revoked = True
            for conn_id, conn in list(self.connections.items()):
                if (conn.client_id, conn.user_id, conn.auth_event_id) == (
                    token_set.client_id,
                    token_set.user_id,
                    token_set.auth_event_id,
                ):
                    del self.connections[conn_id]

    def _issue(
        self,
        token_set: TokenSet,
        *,
        predecessor: RefreshToken | None = None,
        nonce: str | None = None,
        with_id_token: bool = False,
    ) -> dict[str, Any]:
        now = self.clock.now()
        expires = now + ACCESS_LIFETIME
        claims = {
            "nbf": int(now.timestamp()),
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "iss": self.issuer(),
            "aud": f"{self.issuer()}/resources",
            "client_id": token_set.client_id,
            "sub": token_set.user_id,
            "auth_time": int(now.timestamp()),
            "xero_userid": token_set.user_id,
            "global_session_id": token_set.session_id,
            "sid": token_set.session_id,
            "jti": new_id(),
            "authentication_event_id": token_set.auth_event_id,
            "scope": token_set.scopes,
            "amr": ["pwd"],
        }
        access = self._sign(claims)
        self.access_tokens[access] = AccessToken(
            access,
            token_set.token_set_id,
            token_set.client_id,
            token_set.user_id,
            token_set.scopes,
            token_set.auth_event_id,
            expires,
        )
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "token_type": "Bearer",
            "scope": " ".join(token_set.scopes),
        }
        if "offline_access" in token_set.scopes:
            refresh = RefreshToken(secrets.token_hex(32), token_set.token_set_id, now)
            self.refresh_tokens[refresh.token] = refresh
            answer["refresh_token"] = refresh.token
            if predecessor is not None:
                predecessor.successor = refresh.token
        if with_id_token and "openid" in token_set.scopes:
            user = self.users.get(token_set.user_id)
            id_claims: dict[str, Any] = {
                "iss": self.issuer(),
                "aud": token_set.client_id,
                "sub": token_set.user_id,
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(minutes=5)).timestamp()),
                "auth_time": int(now.timestamp()),
                "xero_userid": token_set.user_id,
                "global_session_id": token_set.session_id,
                "sid": token_set.session_id,
                "email": user.email if user else "",
            }
            if nonce:
                id_claims["nonce"] = nonce
            answer["id_token"] = self._sign(id_claims)
        return answer

    @staticmethod
    def _sign(claims: dict[str, Any]) -> str:
        key = signing_key()
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    # -- bearer checks and connections ------------------------------------------------------------------
    def bearer(self, token: str) -> tuple[AccessToken | None, str]:
        """The access token record, or None with the 401 detail Xero would give."""
        with self.lock:
            record = self.access_tokens.get(token)
            if record is None or self.token_sets[record.token_set_id].revoked:
                return None, "AuthenticationUnsuccessful"
            if self.clock.now() >= record.expires_at:
                stamp = record.expires_at.strftime("%m/%d/%Y %H:%M:%S")
                return None, f"TokenExpired: token expired at {stamp}"
            return record, ""

    def connections_for(self, access: AccessToken) -> list[Connection]:
        with self.lock:
            return sorted(
                (
                    c
                    for c in self.connections.values()
                    if (c.client_id, c.user_id) == (access.client_id, access.user_id)
                ),
                key=lambda c: c.created,
            )

    def is_connected(self, access: AccessToken, tenant_id: str) -> bool:
        return any(c.tenant_id.lower() == tenant_id.lower() for c in self.connections_for(access))

    def delete_connection(self, access: AccessToken, connection_id: str) -> bool:
        with self.lock:
            for conn in self.connections_for(access):
                if conn.connection_id.lower() == connection_id.lower():
                    del self.connections[conn.connection_id]
                    return True
            return False

    def disconnect_tenant(self, tenant_id: str) -> int:
        """The organisation removed the app in Xero: every connection to it goes; tokens still refresh."""
        with self.lock:
            doomed = [cid for cid, c in self.connections.items() if c.tenant_id == tenant_id]
            for cid in doomed:
                del self.connections[cid]
            return len(doomed)
