"""The New client / Edit client modal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import OPTION_TEXT_LIMIT, input_block, modal, text_input
from bot.views.catalog.ids import ACTION_CLIENT_NAME, ACTION_CLIENT_ROUNDING, CALLBACK_CLIENT, FOLLOW_WORKSPACE
from bot.views.catalog.rounding import rounding_choices
from bot.views.text import cut_plain, user_text
from catalog.form_input import NAME_MAX, Field
from catalog.rounding import RoundingRule


@dataclass(frozen=True)
class ClientForm:
    workspace_rounding: RoundingRule
    client_id: int | None = None
    name: str = ""
    rounding: RoundingRule | None = None  # None: follows the workspace
    xero_contact: str | None = None  # editing: the linked Xero contact's name ("" if unnamed); None: not linked


def xero_contact_line(contact: str | None) -> str:
    """Where the client stands with Xero: invoices need a linked contact, and linking lives in Contact mapping."""
    if contact is not None:
        return (f"Xero contact: *{user_text(contact or 'linked')}*. To link another, use Home → Xero → Contact "
                "mapping.")
    return ("Not linked to a Xero contact yet: invoices need one. Link it in Home → Xero → Contact mapping "
            "(once Xero is connected).")


def client_modal(form: ClientForm) -> dict[str, Any]:
    choices = [(FOLLOW_WORKSPACE, cut_plain(f"Workspace default ({form.workspace_rounding.label})", OPTION_TEXT_LIMIT))]
    choices += rounding_choices()
    rounding = b.static_select(ACTION_CLIENT_ROUNDING, "Rounding", choices,
                               initial=form.rounding.key if form.rounding else FOLLOW_WORKSPACE)
    blocks = [
        input_block(Field.CLIENT_NAME, "Client name",
                    text_input(ACTION_CLIENT_NAME, form.name, placeholder="Acme Ltd", max_length=NAME_MAX)),
        input_block(Field.CLIENT_ROUNDING, "Rounding for this client", rounding,
                    hint="Applied per entry when invoicing this client. Raw minutes are never changed."),
    ]
    if form.client_id is not None:
        blocks.append(b.context(xero_contact_line(form.xero_contact)))
    title = "Edit client" if form.client_id is not None else "New client"
    return modal(CALLBACK_CLIENT, title, blocks, submit="Save" if form.client_id else "Create",
                 metadata={"client": form.client_id})
