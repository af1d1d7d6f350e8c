"""Xero in Slack: the Home section (per role), the "Open Xero" modal, the Connected DM, the setup placeholder."""

from __future__ import annotations

from typing import Any

from bot.views import blocks as b
from bot.views.text import user_text
from storage.models import Role
from xero.connection_summary import ConnectionSummary

ACTION_CONNECT = "xero_connect"  # Connect and Reconnect: a server-side check, then the modal with the link
ACTION_OPEN_LINK = "xero_open_link"  # the URL button in that modal (Slack still sends block_actions: ack)
ACTION_DISCONNECT = "xero_disconnect"
ACTION_START_SETUP = "xero_start_setup"  # the setup wizard (bot/handlers/wizard.py): the DM's and Home's button
ACTION_CONTACT_MAPPING = "xero_contact_mapping"  # Contact mapping on its own (managers+), bot/handlers/wizard.py
BLOCK_XERO = "xero_controls"
BLOCK_XERO_MAPPING = "xero_mapping_controls"


def _details(state: ConnectionSummary) -> str:
    parts = [f"short code {user_text(state.short_code)}" if state.short_code else "",
             user_text(state.base_currency or ""),
             f"connected by <@{state.connected_by}>" if state.connected_by else ""]
    return " · ".join(p for p in parts if p)


def xero_section(state: ConnectionSummary, role: Role) -> list[dict[str, Any]]:
    """Admins and the owner get the state and its controls; managers and members one line of status."""
    if role.rank < Role.ADMIN.rank:
        if state.connected:
            line = f":large_green_circle: Xero: connected to *{user_text(state.tenant_name)}*."
        elif state.needs_reconnect:
            line = ":warning: Xero: needs reconnecting — invoices wait until an admin reconnects it."
        else:
            line = ":white_circle: Xero: not connected yet — an admin can connect it from their Home tab."
        if state.connected and role.rank >= Role.MANAGER.rank:
            return [b.context(line), b.actions(BLOCK_XERO_MAPPING, [b.button("Contact mapping",
                                                                             ACTION_CONTACT_MAPPING)])]
        return [b.context(line)]
    blocks: list[dict[str, Any]] = [b.divider(), b.header("Xero")]
    if state.connected:
        blocks.append(b.section(f":large_green_circle: *Connected to {user_text(state.tenant_name)}.*"))
        details = _details(state)
        if details:
            blocks.append(b.context(details))
        blocks.append(b.actions(BLOCK_XERO, [b.button("Setup wizard", ACTION_START_SETUP),
                                             b.button("Contact mapping", ACTION_CONTACT_MAPPING), b.button(
            "Disconnect", ACTION_DISCONNECT, style="danger",
            confirm=b.confirm("Disconnect Xero?",
                              f"Hour Cap stops using {state.tenant_name}: access is revoked at Xero; client "
                              "contact links, project items and tracking, Xero invoice defaults and synced Xero "
                              "data are cleared. Time entries, clients, projects and invoices stay.", "Disconnect"),
        )]))
    elif state.needs_reconnect:
        reason = f" {user_text(state.reason)}" if state.reason else ""
        blocks.append(b.section(f":warning: *Needs reconnect: {user_text(state.tenant_name)}.*{reason}\n"
                                "Nothing is sent to Xero until you reconnect. Reconnecting the same organisation "
                                "keeps every mapping and setting."))
        blocks.append(b.actions(BLOCK_XERO, [b.button("Reconnect", ACTION_CONNECT, "reconnect", style="primary")]))
    else:
        blocks.append(b.section(":white_circle: *Not connected.* Connecting Xero lets managers push draft invoices."))
        blocks.append(b.actions(BLOCK_XERO, [b.button("Connect to Xero", ACTION_CONNECT, "connect",
                                                      style="primary")]))
    return blocks


def connect_modal(url: str, *, reconnect: bool) -> dict[str, Any]:
    """The signed link, one click away: made when the admin asked for it, so it is always fresh."""
    verb = "Reconnect" if reconnect else "Connect"
    return {
        "type": "modal",
        "callback_id": "xero_connect_link",
        "title": b.plain(f"{verb} Xero", 24),
        "close": b.plain("Close", 24),
        "blocks": [
            b.section("Xero opens in your browser: sign in, allow Hour Cap, and pick the organisation if you have "
                      "several. You come back to a page saying it worked, and to a DM here."),
            b.actions("xero_link", [b.button(f"Open Xero to {verb.lower()}", ACTION_OPEN_LINK, url=url,
                                             style="primary")]),
            b.context("This link works once, for 10 minutes, in the browser you open it in. Hour Cap asks Xero "
                      "only for what invoicing needs: contacts, draft invoices and settings (read)."),
        ],
    }


def connected_message(tenant_name: str) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of the DM to the admin who connected."""
    text = f"Connected to {user_text(tenant_name)}."
    return text, [
        b.section(f":white_check_mark: *Connected to {user_text(tenant_name)}.* Hour Cap is reading the organisation's "
                  "details now; nothing in Xero is changed."),
        b.actions("xero_setup", [b.button("Start setup", ACTION_START_SETUP, style="primary")]),
    ]


def needs_reconnect_message(tenant_name: str, reason: str | None) -> tuple[str, list[dict[str, Any]]]:
    text = f"Xero needs reconnecting: Hour Cap can no longer reach {user_text(tenant_name)}."
    why = f"\n_Why:_ {user_text(reason)}" if reason else ""
    return text, [
        b.section(f":warning: *Xero needs reconnecting.* Hour Cap can no longer reach *{user_text(tenant_name)}*, so "
                  f"nothing is sent to Xero until an admin reconnects.{why}"),
        b.context("Open Hour Cap's Home tab and press *Reconnect*. Reconnecting the same organisation keeps every "
                  "mapping and setting."),
    ]
