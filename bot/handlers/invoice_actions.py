"""Retry and Cancel on a failed invoice (the alert, the creator's DM): managers and up, checked server-side.

The button's value is only a claim: the use cases look the invoice up inside the clicker's own workspace (a
foreign id is "not found") and check the clicker's role, whatever the payload says. Cancel asks for confirmation
in Slack (the button's `confirm` dialog) before the request is even sent.

After the action the clicked message is edited at once (so nobody presses twice), and the use case has recorded
`invoice.notify`, which brings the status message and the alert in line with the invoice's new state.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import reported, tell_user
from bot.home import publish_home, read_home_state
from bot.views.invoice_status import ACTION_CANCEL, ACTION_RETRY, resolved_alert
from errors import NotFound
from invoicing.push_status import cancel_invoice, retry_invoice
from jobs.tasks_invoice_push import invoice_view
from storage.db import Database
from team.members import get_member

log = logging.getLogger(__name__)


def _invoice_id(action: dict[str, Any]) -> int:
    try:
        return int(str(action.get("value") or ""))
    except ValueError:
        raise NotFound("That invoice was not found in this workspace.") from None


def _edit_clicked(client: WebClient, body: dict[str, Any], text: str, blocks: list[dict[str, Any]]) -> None:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if container.get("type") != "message" or not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.info("could not edit the clicked invoice message: %s", exc.response.get("error"))


def _refresh_home(client: WebClient, db: Database, body: dict[str, Any], context: BoltContext) -> None:
    """Pressed on the Home tab: show the invoice's new state there."""
    if (body.get("view") or {}).get("type") == "home":
        page, show_all = read_home_state(body["view"].get("private_metadata"))
        publish_home(client, db, context["workspace_id"], context["member_id"], catalog_page=page,
                     show_archived=show_all)


def register(app: App, db: Database) -> None:
    @app.action(ACTION_RETRY)
    @reported
    def retry_pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                      client: WebClient, respond: Respond) -> None:
        ack()
        invoice_id = _invoice_id(action)
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            invoice = retry_invoice(session, actor, invoice_id)
            view = invoice_view(session, invoice)
        text, blocks = resolved_alert(view)
        _edit_clicked(client, body, text, blocks)
        _refresh_home(client, db, body, context)
        tell_user(client, body, f"Invoice {view.reference} is queued for Xero again.", respond)

    @app.action(ACTION_CANCEL)
    @reported
    def cancel_pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                       client: WebClient, respond: Respond) -> None:
        ack()
        invoice_id = _invoice_id(action)
        with db.session() as session:
            actor = get_member(session, context["workspace_id"], context["member_id"])
            invoice = cancel_invoice(session, actor, invoice_id)
            view = invoice_view(session, invoice)
        text, blocks = resolved_alert(view)
        _edit_clicked(client, body, text, blocks)
        _refresh_home(client, db, body, context)
