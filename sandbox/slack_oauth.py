"""The OAuth v2 install flow of the Slack sandbox: the consent page and ``oauth.v2.access``.

``GET /oauth/v2/authorize`` stands in for the page where a Slack admin clicks "Allow": there is no
page, the installer chosen with ``set_installer`` (or the workspace's first admin) consents at once
and the browser is redirected back to the app with ``code`` and the echoed ``state``.  Bolt's
``OAuthFlow`` then calls ``oauth.v2.access`` and ``auth.test``; both answer with the fields it reads.
"""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from sandbox.slack_api import ApiError, Call
from sandbox.slack_state import Grant, SlackState


def _split_scopes(value: str | None) -> tuple[str, ...]:
    return tuple(scope.strip() for scope in (value or "").split(",") if scope.strip())


def _error_page(message: str) -> Response:
    """What a browser shows when Slack refuses the install request (no redirect back)."""
    body = f"<html><body><h1>Slack sandbox: install refused</h1><p>{html.escape(message)}</p></body></html>"
    return Response(body, status=400, content_type="text/html; charset=utf-8")


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _installer(state: SlackState) -> tuple[str, str] | None:
    """Who consents: ``set_installer``'s choice, else the first team's first admin (or first human)."""
    if state.installer is not None:
        return state.installer
    for team_id in state.teams:
        humans = [u for u in state.users.values() if u.team_id == team_id and not u.is_bot and not u.deleted]
        admins = [u for u in humans if u.is_admin or u.is_owner]
        chosen = (admins or humans)[:1]
        if chosen:
            return team_id, chosen[0].id
    return None


def authorize(state: SlackState, args: MultiDict[str, str]) -> Response:
    """Validate the authorize request and redirect back with a single-use code (or an error)."""
    with state.lock:
        app = state.oauth_apps.get(args.get("client_id", ""))
        if app is None:
            return _error_page("invalid_client_id: register the app with register_oauth_app first")
        given_uri = args.get("redirect_uri") or None
        if app.redirect_uri and given_uri and given_uri != app.redirect_uri:
            return _error_page(f"bad_redirect_uri: {given_uri} is not {app.redirect_uri}")
        redirect_uri = given_uri or app.redirect_uri
        if not redirect_uri:
            return _error_page("no redirect_uri given and none registered")
        oauth_state = args.get("state", "")
        if state.deny_next_install:
            state.deny_next_install = False
            return _redirect(_with_query(redirect_uri, {"error": "access_denied", "state": oauth_state}))
        installer = _installer(state)
        if installer is None:
            return _error_page("no installer: add a team and a user, or call set_installer")
        scopes, user_scopes = _split_scopes(args.get("scope")), _split_scopes(args.get("user_scope"))
        if not scopes and not user_scopes:
            return _error_page("invalid_scope: no scopes requested")
        code = f"{secrets.token_hex(6)}.{secrets.token_hex(10)}"
        state.grants[code] = Grant(
            code=code,
            client_id=app.client_id,
            team_id=installer[0],
            user_id=installer[1],
            scopes=scopes,
            user_scopes=user_scopes,
            redirect_uri=given_uri,
        )
        return _redirect(_with_query(redirect_uri, {"code": code, "state": oauth_state}))


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


def _client_credentials(call: Call) -> tuple[str, str]:
    """HTTP Basic (what slack_sdk sends) or ``client_id``/``client_secret`` parameters."""
    if call.basic_auth is not None:
        return call.basic_auth
    return call.text("client_id"), call.text("client_secret")


def _redeem(call: Call, client_id: str) -> Grant:
    grant = call.state.grants.get(call.text("code"))
    if grant is None or grant.client_id != client_id:
        raise ApiError("invalid_code")
    if grant.used:
        raise ApiError("code_already_used")
    given_uri = call.text("redirect_uri")
    if given_uri and grant.redirect_uri and given_uri != grant.redirect_uri:
        raise ApiError("bad_redirect_uri")
    grant.used = True
    return grant


def oauth_v2_access(call: Call) -> dict[str, Any]:
    """Exchange a code for a bot token (and a user token when user scopes were asked for)."""
    state = call.state
    client_id, client_secret = _client_credentials(call)
    app = state.oauth_apps.get(client_id)
    if app is None:
        raise ApiError("invalid_client_id")
    if client_secret != app.client_secret:
        raise ApiError("bad_client_secret")
    if call.text("grant_type") == "refresh_token":
        raise ApiError("invalid_refresh_token")  # the sandbox does not model token rotation
    grant = _redeem(call, client_id)
    team = state.teams[grant.team_id]
    body: dict[str, Any] = {"token_type": "bot"}
    if grant.scopes:
        existing = next(
            (
                t
                for t in state.tokens.values()
                if t.kind == "bot" and t.team_id == team.id and t.app_id == app.app_id
            ),
            None,
        )
        bot_user_id = existing.user_id if existing else state.new_id("U")
        bot = state.add_token(
            team.id, kind="bot", user_id=bot_user_id, app_id=app.app_id, scopes=grant.scopes
        )
        body.update(access_token=bot.token, scope=",".join(bot.scopes), bot_user_id=bot.user_id)
    body.update(
        app_id=app.app_id,
        team={"id": team.id, "name": team.name},
        enterprise=None,
        is_enterprise_install=False,
        authed_user=_authed_user(call, grant, app.app_id),
    )
    return body


def _authed_user(call: Call, grant: Grant, app_id: str) -> dict[str, Any]:
    authed: dict[str, Any] = {"id": grant.user_id}
    if grant.user_scopes:
        user_token = call.state.add_token(
            grant.team_id, kind="user", user_id=grant.user_id, app_id=app_id, scopes=grant.user_scopes
        )
        authed.update(scope=",".join(user_token.scopes), access_token=user_token.token, token_type="user")
    return authed
