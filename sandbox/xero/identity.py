"""HTTP side of Xero's identity service: authorize + consent, token, revocation, connections, JWKS."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from . import consent
from .dates import connection_timestamp
from .oauth_store import AccessToken, OAuthError, signing_key
from .responses import json_response, unauthorized

if TYPE_CHECKING:
    from .state import SandboxState


def _redirect_with(uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return redirect(urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment)), code=302)


def authorize(state: SandboxState, request: Request) -> Response:
    args = request.args
    app = state.identity.apps.get(args.get("client_id", ""))
    if app is None:
        return consent.error_page("unauthorized_client", "Invalid client_id")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return consent.error_page("invalid_request", "Invalid redirect_uri")
    echo = {"state": args["state"]} if "state" in args else {}

    def fail(error: str, description: str) -> Response:
        return _redirect_with(redirect_uri, {"error": error, "error_description": description, **echo})

    if args.get("response_type") != "code":
        return fail("unsupported_response_type", "response_type must be code")
    scopes = args.get("scope", "").split()
    if not scopes:
        return fail("invalid_scope", "scope is required")
    refused = [s for s in scopes if s not in app.allowed_scopes()]
    if refused:
        return fail("invalid_scope", f"Scope(s) not available to this app: {' '.join(refused)}")
    challenge = args.get("code_challenge")
    if challenge is not None and args.get("code_challenge_method") != "S256":
        return fail("invalid_request", "code_challenge_method must be S256")
    if challenge is None and state.settings.require_pkce:
        return fail("invalid_request", "code_challenge is required")
    user = state.current_user()
    tenants = [state.tenants[t] for t in user.tenant_ids if t in state.tenants]
    if not tenants:
        return consent.error_page("access_denied", "The user has no organisations")
    pending = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scopes": scopes,
        "challenge": challenge,
        "nonce": args.get("nonce"),
        **echo,
    }
    if state.settings.auto_consent:
        return _grant(state, pending, [t.tenant_id for t in tenants])
    request_id = secrets.token_urlsafe(16)
    state.pending_consents[request_id] = pending
    return consent.consent_page(request_id, app.client_id, user.email, scopes, tenants)


def consent_submit(state: SandboxState, request: Request) -> Response:
    pending = state.pending_consents.pop(request.form.get("request_id", ""), None)
    if pending is None:
        return consent.error_page("invalid_request", "This consent request has expired or was already used")
    echo = {"state": pending["state"]} if "state" in pending else {}
    if request.form.get("action", "allow") != "allow":
        return _redirect_with(
            pending["redirect_uri"],
            {"error": "access_denied", "error_description": "The user denied access", **echo},
        )
    user = state.current_user()
    chosen = [t for t in request.form.getlist("tenant_id") if t]
    if not chosen or any(t not in user.tenant_ids for t in chosen):
        request_id = secrets.token_urlsafe(16)
        state.pending_consents[request_id] = pending
        tenants = [state.tenants[t] for t in user.tenant_ids if t in state.tenants]
        return consent.consent_page(
            request_id,
            pending["client_id"],
            user.email,
            pending["scopes"],
            tenants,
            "Choose an organisation to connect",
        )
    return _grant(state, pending, chosen)


def _grant(state: SandboxState, pending: dict[str, Any], tenant_ids: list[str]) -> Response:
    app = state.identity.apps[pending["client_id"]]
    code = state.identity.grant(
        app,
        state.current_user(),
        tenant_ids,
        pending["redirect_uri"],
        pending["scopes"],
        pending["challenge"],
        pending["nonce"],
    )
    params = {"code": code.code, "scope": " ".join(pending["scopes"]), "session_state": secrets.token_hex(8)}
    if "state" in pending:
        params["state"] = pending["state"]
    return _redirect_with(pending["redirect_uri"], params)


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    """HTTP Basic (authlib's default) or ``client_id``/``client_secret`` in the form body."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.form.get("client_id"), request.form.get("client_secret")


def _oauth_error(error: OAuthError) -> Response:
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    return json_response(body, status=error.status, headers={"Cache-Control": "no-store"})


def token(state: SandboxState, request: Request) -> Response:
    grant_type = request.form.get("grant_type", "")
    try:
        app = state.identity.authenticate_client(*_client_credentials(request))
        if grant_type == "authorization_code":
            answer = state.identity.exchange_code(
                app,
                request.form.get("code", ""),
                request.form.get("redirect_uri"),
                request.form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            answer = state.identity.refresh(app, request.form.get("refresh_token", ""))
        else:
            state.identity.token_calls[grant_type or "missing"] += 1
            raise OAuthError("unsupported_grant_type")
    except OAuthError as error:
        return _oauth_error(error)
    return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def revocation(state: SandboxState, request: Request) -> Response:
    try:
        app = state.identity.authenticate_client(*_client_credentials(request))
        token_value = request.form.get("token")
        if not token_value:
            raise OAuthError("invalid_request", "token is required")
    except OAuthError as error:
        return _oauth_error(error)
    state.identity.revoke(app, token_value)
    return Response(b"", status=200)


def bearer_token(state: SandboxState, request: Request) -> tuple[AccessToken | None, str]:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        return None, "AuthenticationUnsuccessful"
    return state.identity.bearer(header[7:].strip())


def connections(state: SandboxState, request: Request) -> Response:
    access, detail = bearer_token(state, request)
    if access is None:
        return unauthorized(detail)
    event = request.args.get("authEventId")
    rows = [
        {
            "id": c.connection_id,
            "authEventId": c.auth_event_id,
            "tenantId": c.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": state.tenants[c.tenant_id].name,
            "createdDateUtc": connection_timestamp(c.created),
            "updatedDateUtc": connection_timestamp(c.updated),
        }
        for c in state.identity.connections_for(access)
        if event is None or c.auth_event_id.lower() == event.lower()
    ]
    return json_response(rows)


def delete_connection(state: SandboxState, request: Request, connection_id: str) -> Response:
    access, detail = bearer_token(state, request)
    if access is None:
        return unauthorized(detail)
    if not state.identity.delete_connection(access, connection_id):
        return Response(b"", status=404)
    return Response(b"", status=204)


def jwks(state: SandboxState, request: Request) -> Response:
    public = signing_key().as_dict(private=False)
    return json_response({"keys": [{**public, "alg": "RS256", "use": "sig"}]})


def discovery(state: SandboxState, request: Request) -> Response:
    issuer = state.identity_url
    return json_response(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/connect/authorize",
            "token_endpoint": f"{issuer}/connect/token",
            "revocation_endpoint": f"{issuer}/connect/revocation",
            "jwks_uri": f"{issuer}/.well-known/openid-configuration/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )
