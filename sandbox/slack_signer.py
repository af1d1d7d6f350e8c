"""Requests signed exactly as Slack signs them, posted to the real web app (tests and the demo walkthrough).

Payload shapes follow bolt-python's scenario-test fixtures: slash commands form-encoded, interactivity as
`payload=<json>`, events as JSON. Signatures come from slack_sdk's own SignatureVerifier, not from our code.
The HTTP client is anything with `post(path, data=bytes, headers=dict)`: Flask's test client, or
`HttpPoster` for a server on a real port.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx2
from slack_sdk.signature import SignatureVerifier

from sandbox.slack_acks import check_ack

_ids = itertools.count(1)


class Poster(Protocol):
    def post(self, path: str, *, data: bytes, headers: dict[str, str]) -> Any: ...


class HttpPoster:
    """Posts to a web app listening on a real port."""

    def __init__(self, base_url: str, client: httpx2.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx2.Client(timeout=15)

    def post(self, path: str, *, data: bytes, headers: dict[str, str]) -> httpx2.Response:
        return self.client.post(self.base_url + path, content=data, headers=headers)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


class SignedSlack:
    def __init__(self, client: Poster, signing_secret: str, *, team_id: str = "T0HOURCAP",
                 app_id: str = "A0HOURCAP", response_base: str = "https://hooks.slack.com/") -> None:
        self.client = client
        # Commands and message buttons carry a response_url under this base (the Slack sandbox's /hooks/).
        self.response_base = response_base
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.app_id = app_id

    def headers(self, body: bytes, *, timestamp: int | None = None, content_type: str) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = self.verifier.generate_signature(timestamp=ts, body=body.decode("utf-8"))
        assert signature is not None
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}

    def post(self, body: bytes, content_type: str, *, timestamp: int | None = None,
             extra_headers: dict[str, str] | None = None) -> Any:
        headers = self.headers(body, timestamp=timestamp, content_type=content_type)
        headers.update(extra_headers or {})
        return self.client.post("/slack/events", data=body, headers=headers)

    def command(self, text: str, *, user: str, channel: str = "C0GENERAL", team: str | None = None,
                command: str = "/hours") -> Any:
        form = {
            "token": "verification-token-unused", "team_id": team or self.team_id, "team_domain": "acme",
            "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": self.app_id, "is_enterprise_install": "false",
            "response_url": f"{self.response_base}commands/{team or self.team_id}/{next_id('')}",
            "trigger_id": next_id("13345224609.738474920.") ,
        }
        response = self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
        check_ack("command", form, response)
        return response

    def interaction(self, payload: dict[str, Any]) -> Any:
        """Send an interaction payload; the app's answer must be one Slack would accept (RefusedAck if not)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        response = self.post(body, "application/x-www-form-urlencoded")
        if isinstance(payload, dict):
            check_ack(str(payload.get("type")), payload, response)
        return response

    def home_action(self, action_id: str, *, user: str, block_id: str = "b", value: str | None = None,
                    state: dict[str, dict[str, Any]] | None = None, team: str | None = None) -> Any:
        """A button or select pressed on the App Home tab (no response_url there)."""
        team_id = team or self.team_id
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button",
                                  "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        payload = {
            "type": "block_actions", "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": self.app_id,
            "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
            "trigger_id": next_id("trigger."), "is_enterprise_install": False,
            "view": {"id": "VHOME", "type": "home", "team_id": team_id, "hash": "h",
                     "state": {"values": state or {}}, "blocks": []},
            "actions": [action],
        }
        return self.interaction(payload)

    def message_action(self, action_id: str, *, user: str, value: str | None = None, block_id: str = "b",
                       channel: str = "C0GENERAL", team: str | None = None,
                       response_url: str | None = None) -> Any:
        """A button pressed on a message (including an ephemeral one): carries a response_url."""
        team_id = team or self.team_id
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button",
                                  "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        payload = {
            "type": "block_actions", "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": self.app_id,
            "token": "verification-token-unused",
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel,
                          "is_ephemeral": True},
            "channel": {"id": channel, "name": "general"}, "trigger_id": next_id("trigger."),
            "response_url": response_url or f"{self.response_base}actions/{team_id}/{next_id('')}",
            "is_enterprise_install": False, "actions": [action],
        }
        return self.interaction(payload)

    def message_shortcut(self, callback_id: str, *, user: str, message_ts: str, text: str,
                         message_user: str | None = None, channel: str = "C0GENERAL", channel_name: str = "general",
                         team: str | None = None) -> Any:
        """A message shortcut chosen on a message (``message_action``): the message, its channel, a trigger id
        and a response_url, as Slack sends them."""
        team_id = team or self.team_id
        payload = {
            "type": "message_action", "callback_id": callback_id, "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
            "api_app_id": self.app_id, "token": "verification-token-unused",
            "channel": {"id": channel, "name": channel_name}, "action_ts": f"{time.time():.6f}",
            "message_ts": message_ts, "trigger_id": next_id("trigger."),
            "response_url": f"{self.response_base}actions/{team_id}/{next_id('')}",
            "message": {"type": "message", "user": message_user or user, "ts": message_ts, "text": text},
            "is_enterprise_install": False,
        }
        return self.interaction(payload)

    def view_action(self, action_id: str, *, user: str, view: dict[str, Any], block_id: str = "b",
                    value: str | None = None, action_type: str = "button", selected: Any = None,
                    team: str | None = None) -> Any:
        """An element with dispatch_action (or a button) pressed inside an open modal."""
        team_id = team or self.team_id
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": action_type,
                                  "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        if selected is not None:
            action["selected_option"] = selected
        payload = {
            "type": "block_actions", "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": self.app_id,
            "token": "verification-token-unused", "container": {"type": "view", "view_id": view.get("id", "V1")},
            "trigger_id": next_id("trigger."), "is_enterprise_install": False, "view": view, "actions": [action],
        }
        return self.interaction(payload)

    def view_submission(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str,
                        team: str | None = None) -> Any:
        """Submit a modal. `view` is what the app opened (callback_id, private_metadata, blocks...);
        `values` is view.state.values: {block_id: {action_id: {"type": ..., "value"/"selected_option"/...}}}."""
        team_id = team or self.team_id
        submitted = dict(view)
        submitted.setdefault("id", next_id("V"))
        submitted.setdefault("hash", "h")
        submitted.setdefault("private_metadata", "")
        submitted.setdefault("callback_id", "")
        submitted["team_id"] = team_id
        submitted["state"] = {"values": values}
        payload = {
            "type": "view_submission", "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": self.app_id,
            "token": "verification-token-unused", "trigger_id": next_id("trigger."), "view": submitted,
            "response_urls": [], "is_enterprise_install": False,
        }
        return self.interaction(payload)

    def event(self, event: dict[str, Any], *, team: str | None = None, event_id: str | None = None,
              retry_num: int | None = None) -> Any:
        team_id = team or self.team_id
        envelope = {
            "token": "verification-token-unused", "team_id": team_id, "api_app_id": self.app_id,
            "event": event, "type": "event_callback", "event_id": event_id or next_id("Ev"),
            "event_time": int(time.time()), "authorizations": [
                {"enterprise_id": None, "team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        }
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
        return self.post(json.dumps(envelope).encode(), "application/json", extra_headers=extra)

    def tokens_revoked(self, *, bot: list[str] | None = None, oauth: list[str] | None = None,
                       team: str | None = None) -> Any:
        """``tokens_revoked``: the users whose user tokens (``oauth``) and the bot users whose bot tokens (``bot``)
        were revoked."""
        return self.event({"type": "tokens_revoked", "tokens": {"oauth": list(oauth or []), "bot": list(bot or [])},
                           "event_ts": f"{time.time():.6f}"}, team=team)

    def app_uninstalled(self, *, team: str | None = None) -> Any:
        return self.event({"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}, team=team)

    def uninstalled(self, *, team: str | None = None, bot_user: str = "UBOT") -> None:
        """What Slack sends when someone removes the app: ``tokens_revoked`` for the bot, then ``app_uninstalled``."""
        for response in (self.tokens_revoked(bot=[bot_user], team=team), self.app_uninstalled(team=team)):
            status = getattr(response, "status_code", 200)
            if status != 200:
                raise AssertionError(f"the app answered {status} to an uninstall event")

    def home_opened(self, user: str, *, team: str | None = None, event_id: str | None = None) -> Any:
        return self.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                           "event_ts": f"{time.time():.6f}"}, team=team, event_id=event_id)


def select_state(block_id: str, **actions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Build view.state.values for one block: select_state("b", pick={"type": "users_select", ...})."""
    return {block_id: dict(actions)}


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def selected(value: str | None, kind: str = "static_select") -> dict[str, Any]:
    return {"type": kind, "selected_option": None if value is None else
            {"value": value, "text": {"type": "plain_text", "text": value}}}


def picked_date(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}
