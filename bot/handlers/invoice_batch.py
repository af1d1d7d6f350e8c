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
from slack_sdk.errors import SlackApiError

from bot.errors import reported
from bot.home import publish_home
from bot.views import invoice_batch as v
from errors import UserError
from invoicing.batch import BatchChanged, create_month_batch, month_batch_preview
from invoicing.create import EntriesChanged
from invoicing.selection import last_calendar_month
from storage.db import Database
from team.members import get_member
from team.roles import Permission, require
from timesheets.member_calendar import member_today

log = logging.getLogger(__name__)


def render(db: Database, context: BoltContext, notice: str | None = None) -> dict[str, Any]:
    """The confirmation modal for the month just ended (the manager's today)."""
    with db.session() as session:
        actor = get_member(session, context["workspace_id"], context["member_id"])
        today = member_today(actor)
        preview = month_batch_preview(session, actor, last_calendar_month(today).start, today=today)
    return v.build_batch_modal(preview, notice)


def register(app: App, db: Database) -> None:
    @app.action(v.ACTION_OPEN)
    @reported
    def open_batch(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            require(get_member(session, context["workspace_id"], context["member_id"]), Permission.CREATE_INVOICES)
        opened = client.views_open(trigger_id=body["trigger_id"], view=v.loading_view())
        view = opened.get("view") or {}
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=render(db, context))
        except SlackApiError as error:
            if error.response.get("error") not in ("hash_conflict", "not_found"):
                raise
            log.info("batch modal update skipped: %s", error.response.get("error"))

    @app.view(v.CALLBACK_CONFIRM)
    @reported
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                  client: WebClient) -> None:
        month, seen = v.read_metadata(view)
        try:
            if month is None:
                raise UserError("This confirmation is no longer valid: open it again from Home.")
            with db.session() as session:
                actor = get_member(session, context["workspace_id"], context["member_id"])
                result = create_month_batch(session, actor, month, seen=seen, today=member_today(actor))
        except (BatchChanged, EntriesChanged) as error:
            ack(response_action="update", view=render(db, context, notice=error.message))
            return
        except UserError as error:
            ack(response_action="update", view=v.message_view(f":no_entry_sign: {error.message}"))
            return
        ack()
        text, blocks = v.summary_message(result)
        client.chat_postMessage(channel=context["user_id"], text=text, blocks=blocks)
        publish_home(client, db, context["workspace_id"], context["member_id"])
