"""The WSGI application behind the Slack sandbox: request decoding, auth, faults, dispatch.

Decoding mirrors what ``slack_sdk.WebClient`` sends (see slack_sdk/web/base_client.py):
form-encoded bodies for most methods (``views.*`` and ``chat.*`` as JSON), the token in an
``Authorization: Bearer`` header, and HTTP Basic client credentials for ``oauth.v2.access``.
Other clients may send a ``token`` form field or JSON strings inside forms (``view=``, ``blocks=``),
so those are accepted too.  As in Slack, a JSON body's own ``token`` field is not read.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox import slack_methods as m
from sandbox import slack_modals as v
from sandbox.slack_api import ApiError, Call, json_response
from sandbox.slack_control import control
from sandbox.slack_files import UPLOAD_PATH, file_methods, upload_post
from sandbox.slack_oauth import authorize, oauth_v2_access
from sandbox.slack_state import Fault, SlackState, Token
from sandbox.slack_views import validate_blocks

if TYPE_CHECKING:
    from sandbox.slack import SlackSandbox

logger = logging.getLogger(__name__)

Handler = Callable[[Call], dict[str, Any]]

METHODS: dict[str, Handler] = {
    "auth.test": m.auth_test,
    "oauth.v2.access": oauth_v2_access,
    "users.info": m.users_info,
    "chat.postMessage": m.chat_post_message,
    "chat.postEphemeral": m.chat_post_ephemeral,
    "chat.update": m.chat_update,
    "chat.getPermalink": m.chat_get_permalink,
    "conversations.info": m.conversations_info,
    "conversations.join": m.conversations_join,
    "views.open": v.views_open,
    "views.push": v.views_push,
    "views.update": v.views_update,
    "views.publish": v.views_publish,
}
NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})  # authenticated by client id and secret instead
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # app-level tokens only, and only these
JSON_STRING_FIELDS = ("view", "blocks", "attachments", "metadata")


# ---- decoding -----------------------------------------------------------------------------------


def _authorization(request: Request) -> tuple[str | None, tuple[str, str] | None]:
    """Bearer token and/or Basic client credentials from the Authorization header."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return None, (user, password)
    return None, None


def _parse_json_string(value: Any) -> Any:
    """``view=``/``blocks=`` sent as JSON text inside a form become objects; bad JSON stays text."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode(request: Request) -> tuple[dict[str, Any], str | None, tuple[str, str] | None]:
    """Parameters, bearer token and Basic credentials of an API request."""
    params: dict[str, Any] = request.args.to_dict()
    bearer, basic = _authorization(request)
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError("invalid_json")
        params.update(body)
        return params, bearer, basic
    params.update(request.form.to_dict())
    for name in JSON_STRING_FIELDS:
        if name in params:
            params[name] = _parse_json_string(params[name])
    form_token = params.pop("token", None)
    return params, bearer or form_token, basic


# ---- dispatch -----------------------------------------------------------------------------------


def authenticate(state: SlackState, token: str | None) -> Token:
    if not token:
        raise ApiError("not_authed")
    record = state.tokens.get(token)
    if record is None:
        raise ApiError("invalid_auth")
    if record.revoked:
        raise ApiError("token_revoked")
    return record


def fault_response(fault: Fault) -> Response:
    headers = (
        {"Retry-After": str(fault.retry_after)}
        if fault.status == 429 and fault.retry_after is not None
        else {}
    )
    return json_response({"ok": False, "error": fault.error}, fault.status, headers)


def call_method(state: SlackState, method: str, request: Request,
                methods: dict[str, Handler] = METHODS) -> Response:
    """Record the call, then answer it: injected fault, unknown method, auth error or handler result.

    The whole exchange runs under the state lock, so a test woken by ``wait_for`` already sees the
    side effects (stored message, opened view) of the call it waited for. A held call (``SlackSandbox.hold_next``)
    first waits, outside the lock, for its release.
    """
    if state.holds:  # only tests that hold a call pay for reading the request twice
        try:
            hold = state.take_hold(method, decode(request)[0])
        except ApiError:
            hold = None
        if hold is not None:
            hold.wait()
    with state.lock:
        try:
            params, token, basic = decode(request)
        except ApiError as error:
            state.record(method, {}, None)
            return json_response(error.body())
        state.record(method, params, token)
        fault = state.take_fault(method)
        if fault is not None:
            return fault_response(fault)
        handler = methods.get(method)
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method", "req_method": method})
        call = Call(state, method, params, basic_auth=basic)
        try:
            if method not in NO_TOKEN_METHODS:
                call.token = authenticate(state, token)
                if (call.token.kind == "app") != (method in APP_TOKEN_METHODS):
                    raise ApiError("not_allowed_token_type")
            body, status, headers = {"ok": True, **handler(call)}, 200, {}
        except ApiError as error:
            body, status, headers = error.body(), error.status, error.headers
        except Exception as bug:  # a sandbox defect: say so in JSON rather than an HTML 500 page
            logger.exception("slack sandbox failed on %s", method)
            body, status, headers = {"ok": False, "error": "sandbox_error", "detail": repr(bug)}, 500, {}
        if call.token is not None:
            headers["X-OAuth-Scopes"] = ",".join(call.token.scopes)
        return json_response(body, status, headers)


RESPONSE_URL_METHOD = "response_url"  # how posts to an interaction's response_url are recorded


def response_url_post(state: SlackState, request: Request) -> Response:
    """An interaction's ``response_url`` (``/hooks/...``): Slack answers ``ok`` to a JSON message body.

    Recorded as a call named ``response_url`` whose params are the posted message plus ``url`` (the path), so
    tests wait for and assert on replies to slash commands and message buttons like any Web API call.
    """
    with state.lock:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            state.record(RESPONSE_URL_METHOD, {"url": request.path}, None)
            return Response("invalid_payload", status=400, mimetype="text/plain")
        state.record(RESPONSE_URL_METHOD, {**body, "url": request.path}, None)
        problems = message_problems(body)
        if problems:
            logger.warning("response_url post refused: %s", "; ".join(problems))
            return Response(problems[0] if problems[0] == "no_text" else "invalid_blocks", status=400,
                            mimetype="text/plain")
        fault = state.take_fault(RESPONSE_URL_METHOD)
        if fault is not None:
            return Response(fault.error, status=fault.status, mimetype="text/plain")
        return Response("ok", status=200, mimetype="text/plain")


def message_problems(body: dict[str, Any]) -> list[str]:
    """Why Slack would refuse a message posted to a response_url (empty when it would take it)."""
    if body.get("delete_original"):
        return []
    if not body.get("text") and not body.get("blocks"):
        return ["no_text"]
    if body.get("blocks") is not None:
        return validate_blocks(body["blocks"])
    return []


class SlackSandboxApp:
    """Routes: ``/api/<method>``, ``/oauth/v2/authorize``, ``/hooks/*`` response URLs, ``/_sandbox/*`` control,
    ``/`` summary."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self.sandbox = sandbox
        # Socket Mode's method hands out the sandbox's own websocket URLs (sandbox/slack_socket.py).
        self.methods: dict[str, Handler] = {**METHODS, "apps.connections.open": sandbox.socket.connections_open,
                                            **file_methods(lambda: sandbox.url)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        return self.route(request)(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        state = self.sandbox.state
        if path.startswith("/api/") and request.method in ("GET", "POST"):
            return call_method(state, path.removeprefix("/api/"), request, self.methods)
        if path == "/oauth/v2/authorize" and request.method == "GET":
            return authorize(state, request.args)
        if path.startswith("/hooks/") and request.method == "POST":
            return response_url_post(state, request)
        if path.startswith(UPLOAD_PATH) and request.method == "POST":
            return upload_post(state, request)
        if path.startswith("/_sandbox/"):
            return control(self.sandbox, request)
        if path == "/":
            return json_response({"service": "slack-sandbox", "base_url": self.sandbox.base_url})
        return json_response({"ok": False, "error": "not_found", "path": path}, 404)
