"""The admins' lock date on Home: pick a day, or clear it. The use case checks the role and records the change."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.errors import reported, tell_user
from bot.home import publish_home, read_home_state, read_invoice_list_state
from bot.views.lock_date import ACTION_CLEAR_LOCK_DATE, ACTION_LOCK_DATE
from errors import InvalidInput
from team.formats import workspace_formats
from timesheets.lock_date import day_text, set_lock_date


def _picked(action: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(action.get("selected_date") or ""))
    except ValueError:
        raise InvalidInput("Pick a day for the lock date.") from None


def _apply(body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond,
           lock_before: date | None) -> None:
    with context["db"].session() as session:
        actor = context["actor"](session)
        change = set_lock_date(session, actor, lock_before)
        formats = workspace_formats(session, actor.workspace_id)
    if change.moved_back:
        reopened = "all past time" if change.after is None else f"time from {day_text(change.after, formats)}"
        tell_user(client, body, f"Lock date moved back: {reopened} can be changed again. The change is in the "
                                "audit log.", respond)
    view = body.get("view") or {}
    if view.get("type") == "home":
        page, show_all = read_home_state(view.get("private_metadata"))
        chosen, invoice_page = read_invoice_list_state(view.get("private_metadata"))
        publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                     show_archived=show_all, invoice_filter=chosen, invoice_page=invoice_page)


@reported
def handle_pick(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    ack()
    _apply(body, context, client, respond, _picked(action))


@reported
def handle_clear(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient,
                 respond: Respond) -> None:
    ack()
    _apply(body, context, client, respond, None)


def register(app: App) -> None:
    app.action(ACTION_LOCK_DATE)(handle_pick)
    app.action(ACTION_CLEAR_LOCK_DATE)(handle_clear)
