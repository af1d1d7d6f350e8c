"""Following drafts in Xero, from Slack: Refresh invoice states and the invoice list's filter and pages (Home),
Release entries (the dead draft's alert, its status message, Home), and the admins' release setting (Home).

Every value in a payload is only a claim: the use cases check the clicker's role and look the invoice up inside
the clicker's own workspace (another workspace's id is "not found"). Refresh only records the read in the outbox;
nothing here calls Xero.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.errors import reported, tell_user
from bot.home import publish_home, read_home_state, read_invoice_list_state
from bot.views.invoice_list import (
    ACTION_FILTER,
    ACTION_PAGE,
    ACTION_PAGE_PREV,
    ACTION_REFRESH_STATES,
    ACTION_RELEASE_MODE,
)
from bot.views.invoice_xero_state import ACTION_RELEASE
from errors import NotFound
from invoicing.follow import refresh_invoice_states
from invoicing.invoice_list import InvoiceFilter, read_filter
from invoicing.release import release_entries, set_release_mode
from storage.ids import payload_id


def _republish(client: WebClient, body: dict[str, Any], context: BoltContext,
               listing: tuple[InvoiceFilter, int] | None = None) -> None:
    """Publish the clicker's Home again (keeping its catalog page, and its invoice list unless told)."""
    view = body.get("view") or {}
    if view.get("type") != "home":
        return
    page, show_all = read_home_state(view.get("private_metadata"))
    chosen, invoice_page = listing or read_invoice_list_state(view.get("private_metadata"))
    publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                 show_archived=show_all, invoice_filter=chosen, invoice_page=invoice_page)


@reported
def handle_refresh(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient,
                   respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        refresh_invoice_states(session, context["actor"](session))
    tell_user(client, body, "Reading the invoices' states from Xero; Home and their messages follow in a moment.",
              respond)


@reported
def handle_release(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                   client: WebClient, respond: Respond) -> None:
    ack()
    invoice_id = payload_id(action.get("value"))
    if invoice_id is None:
        raise NotFound("That invoice was not found in this workspace.")
    with context["db"].session() as session:
        invoice, released = release_entries(session, context["actor"](session), invoice_id)
        reference = invoice.reference
    _republish(client, body, context)
    tell_user(client, body, f"Released {released} time {'entry' if released == 1 else 'entries'} of invoice "
                            f"{reference}: they appear in the next Create invoice.", respond)


@reported
def handle_filter(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                  client: WebClient) -> None:
    ack()
    chosen = read_filter((action.get("selected_option") or {}).get("value"))
    _republish(client, body, context, (chosen, 0))


@reported
def handle_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                client: WebClient) -> None:
    ack()
    chosen, _, page = str(action.get("value") or "").partition(":")
    _republish(client, body, context, (read_filter(chosen), max(int(page), 0) if page.isdigit() else 0))


@reported
def handle_release_mode(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                        client: WebClient, respond: Respond) -> None:
    ack()
    mode = str((action.get("selected_option") or {}).get("value") or "")
    with context["db"].session() as session:
        set_release_mode(session, context["actor"](session), mode)
    _republish(client, body, context)


def register(app: App) -> None:
    app.action(ACTION_REFRESH_STATES)(handle_refresh)
    app.action(ACTION_RELEASE)(handle_release)
    app.action(ACTION_FILTER)(handle_filter)
    app.action(ACTION_PAGE)(handle_page)
    app.action(ACTION_PAGE_PREV)(handle_page)  # both pager buttons carry "filter|page"
    app.action(ACTION_RELEASE_MODE)(handle_release_mode)
