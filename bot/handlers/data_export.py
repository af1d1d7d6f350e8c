"""Home → "Export all data": the use case checks the role and records the export; a worker builds the zip and
sends it by DM (bot/notify/data_export.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.errors import reported, tell_user
from bot.views.data_export import ACTION_EXPORT
from bot.views.report_files import queued_note
from reports.data_export import request_export


@reported
def handle_export(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient,
                  respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        request_export(session, context["actor"](session))
    tell_user(client, body, queued_note("export of all data"), respond)


def register(app: App) -> None:
    app.action(ACTION_EXPORT)(handle_export)
