"""App Home: published when someone opens the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home
from xero.sync_status import request_sync_if_due


@reported
def handle_home_opened(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab") != "home" or "member_id" not in context:
        return
    with context["db"].session() as session:  # records outbox work only (deduplicated): never calls Xero here
        request_sync_if_due(session, context["workspace_id"], reason="home opened")
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
