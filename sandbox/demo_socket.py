"""Demo chapter: the same Hour Cap over Socket Mode — Slack's payloads on a websocket Hour Cap opens itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.demo import Demo

TEAM, ALICE = "T0ACME", "U0ALICE"


def socket_mode(demo: Demo) -> None:
    from web.socket_mode import SocketMode

    demo.chapter("19. The same app over Socket Mode: a websocket Hour Cap opens itself, no public URL for Slack")
    token = demo.slack_api.add_app_token(team_id=TEAM)
    connection = SocketMode(demo.runtime.bolt_app, token, api_url=demo.slack_api.base_url).start()
    try:
        demo.slack_api.wait_socket_connected()
        demo.say("apps.connections.open with the app-level token (xapp-…) → a websocket URL; Slack says hello")
        over_socket = demo.slack_api.socket_slack(team_id=TEAM)
        reply = over_socket.command("help", user=ALICE).json().get("text", "")
        demo.say(f"/hours help from Alice, answered in the ack on the socket: {reply.splitlines()[0]}")
        empty = over_socket.home_action("no_such_button", user=ALICE).payload is None
        demo.say(f"A button nothing handles: acknowledged {'empty' if empty else 'with a payload'}, so Slack "
                 "shows no timeout")
        opened = demo.slack_api.socket.connections_opened
        demo.slack_api.request_refresh()
        ack = over_socket.command("status", user=ALICE)
        demo.slack_api.wait_socket_connected(opened + 1)
        demo.say(f"Slack asks for a fresh connection (refresh_requested): Hour Cap opens a new one first; "
                 f"/hours status sent meanwhile is answered on it: {ack.json().get('text', '').splitlines()[0]}")
    finally:
        connection.stop()
