"""Home's "Invoice every client for <last month>": a confirmation modal over ``invoicing.batch``.

The button opens a loading view at once (the trigger is valid for 3 s) and replaces it with the list of clients,
their totals and the clients skipped. Submitting creates the batch before acknowledging: if the time changed
since the modal was shown, the modal is replaced by a fresh list saying so; any other refusal (a member's
crafted submission, say) replaces it with the reason. On success the modal closes, the manager gets a DM
summary and Home is published. Roles and workspace scoping are checked by the use cases on every request.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home
from bot.slack_errors import update_view
from bot.views import invoice_batch as v
from bot.views.text import user_text
from errors import UserError
from invoicing.batch import BatchChanged, create_month_batch, month_batch_preview
from invoicing.create import EntriesChanged, check_can_create_invoices
from invoicing.selection import last_calendar_month
from team.formats import workspace_formats
from timesheets.member_calendar import member_today

log = logging.getLogger(__name__)


def render(context: BoltContext, notice: str | None = None) -> dict[str, Any]:
    """The confirmation modal for the month just ended (the manager's today)."""
    with context["db"].session() as session:
        actor = context["actor"](session)
        today = member_today(actor)
        preview = month_batch_preview(session, actor, last_calendar_month(today).start, today=today)
        formats = workspace_formats(session, actor.workspace_id)
    return v.build_batch_modal(preview, notice, formats)


@reported
def handle_open_batch(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        check_can_create_invoices(context["actor"](session))
    opened = client.views_open(trigger_id=body["trigger_id"], view=v.loading_view())
    view = opened.get("view") or {}
    update_view(client, view, render(context), "batch modal update")


@reported
def handle_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                     client: WebClient) -> None:
    month, seen = v.read_metadata(view)
    try:
        if month is None:
            raise UserError("This confirmation is no longer valid: open it again from Home.")
        with context["db"].session() as session:
            actor = context["actor"](session)
            result = create_month_batch(session, actor, month, seen=seen, today=member_today(actor))
            formats = workspace_formats(session, actor.workspace_id)
    except (BatchChanged, EntriesChanged) as error:
        ack(response_action="update", view=render(context, notice=error.message))
        return
    except UserError as error:
        ack(response_action="update", view=v.message_view(f":no_entry_sign: {user_text(error.message)}"))
        return
    ack()
    text, blocks = v.summary_message(result, formats)
    client.chat_postMessage(channel=context["user_id"], text=text, blocks=blocks)
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])


def register(app: App) -> None:
    app.action(v.ACTION_OPEN)(handle_open_batch)
    app.view(v.CALLBACK_CONFIRM)(handle_submitted)
