"""``/_sandbox/*`` routes: the SlackSandbox facade over HTTP, for a sandbox in another process.

Each POST route takes a JSON object whose keys are the facade method's arguments, so the routes
stay a thin table rather than a second API to keep in step.  The route list is documented in
``sandbox.slack``'s module docstring.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.slack_api import json_response

if TYPE_CHECKING:
    from sandbox.slack import SlackSandbox

Action = Callable[["SlackSandbox", dict[str, Any]], Any]

POST_ROUTES: dict[str, Action] = {
    "reset": lambda sandbox, body: sandbox.reset(),
    "fail_next": lambda sandbox, body: sandbox.fail_next(body.pop("method"), **body),
    "teams": lambda sandbox, body: sandbox.add_team(**body),
    "users": lambda sandbox, body: sandbox.add_user(body.pop("user_id"), **body),
    "deactivate": lambda sandbox, body: {"user": sandbox.deactivate_user(body["user_id"])},
    "reactivate": lambda sandbox, body: {"user": sandbox.reactivate_user(body["user_id"])},
    "channels": lambda sandbox, body: sandbox.add_channel(body.pop("channel_id"), body.pop("name"), **body),
    "oauth_apps": lambda sandbox, body: sandbox.register_oauth_app(**body),
    "installer": lambda sandbox, body: sandbox.set_installer(**body),
    "tokens": lambda sandbox, body: {
        "token": sandbox.add_static_token(body.pop("token"), body.pop("team_id"), **body)
    },
    "bot_tokens": lambda sandbox, body: {"token": sandbox.issue_bot_token(body.pop("team_id"), **body)},
}


def _calls(sandbox: SlackSandbox, request: Request) -> Any:
    method = request.args.get("method")
    calls = sandbox.calls_to(method) if method else sandbox.calls
    return [call.to_json() for call in calls]


GET_ROUTES: dict[str, Callable[[SlackSandbox, Request], Any]] = {
    "calls": _calls,
    "messages": lambda sandbox, request: sandbox.messages(request.args.get("channel", "")),
    "home": lambda sandbox, request: sandbox.home_view(request.args.get("user", "")),
    "views": lambda sandbox, request: sandbox.views,
}


def control(sandbox: SlackSandbox, request: Request) -> Response:
    """Dispatch one control request; argument mistakes answer 400 with the reason."""
    name = request.path.removeprefix("/_sandbox/").strip("/")
    if request.method == "GET" and name in GET_ROUTES:
        return json_response(GET_ROUTES[name](sandbox, request))
    if request.method != "POST" or name not in POST_ROUTES:
        return json_response(
            {"ok": False, "error": f"no control route {request.method} /_sandbox/{name}"}, 404
        )
    try:
        body = json.loads(request.get_data() or b"{}")
        if not isinstance(body, dict):
            raise TypeError("the body must be a JSON object")
        result = POST_ROUTES[name](sandbox, body)
    except KeyError as missing:
        return json_response({"ok": False, "error": f"missing or unknown: {missing}"}, 400)
    except (TypeError, ValueError) as bad:
        return json_response({"ok": False, "error": str(bad)}, 400)
    return json_response({"ok": True, **(result or {})})
