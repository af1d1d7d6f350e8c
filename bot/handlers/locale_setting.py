"""The admins' "Money and dates" locale on Home: pick one; the use case checks the role and records the change."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home, read_home_state, read_invoice_list_state
from bot.views.locale_setting import ACTION_LOCALE
from team.formats import set_locale


@reported
def handle_pick(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                client: WebClient) -> None:
    ack()
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    with context["db"].session() as session:
        set_locale(session, context["actor"](session), chosen)
    view = body.get("view") or {}
    page, show_all = read_home_state(view.get("private_metadata"))
    invoice_filter, invoice_page = read_invoice_list_state(view.get("private_metadata"))
    publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                 show_archived=show_all, invoice_filter=invoice_filter, invoice_page=invoice_page)


def register(app: App) -> None:
    app.action(ACTION_LOCALE)(handle_pick)
