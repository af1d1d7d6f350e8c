"""What Slack shows about an invoice's push (pure): the status message edited in place, the creator's DM, and the
one alert per failed invoice with Retry and Cancel (or per invoice to check in Xero, without them).

The status message always shows the invoice's *current* state, so the `invoice.notify` task can render it any
number of times, in any order, and Slack ends up right.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.views.blocks import actions, button, confirm, context, section
from bot.views.invoice_xero_state import XeroFacts, state_blocks, state_headline
from bot.views.text import user_text
from formats import DEFAULT, Formats

ACTION_RETRY = "invoice_retry"
ACTION_CANCEL = "invoice_cancel"
BLOCK_ALERT_ACTIONS = "invoice_alert_actions"

TAX_WORDS = {"Exclusive": "excl. tax", "Inclusive": "incl. tax", "NoTax": "no tax"}


@dataclass(frozen=True)
class InvoiceView:
    """The facts the messages need, read from the invoice row (and its client) by the caller."""

    invoice_id: int
    reference: str
    status: str
    client_name: str
    total: Decimal
    subtotal: Decimal
    line_amount_type: str
    currency: str | None = None
    xero_number: str | None = None
    xero_url: str | None = None
    xero_total: Decimal | None = None
    error_message: str | None = None
    hint: str | None = None
    push_attempt: int = 0
    xero: XeroFacts | None = None  # what Xero last said of it, once read back
    formats: Formats = DEFAULT  # the workspace's locale; `currency` (else the organisation's) picks the symbol


def amount_label(view: InvoiceView) -> str:
    """"$4,250.00 excl. tax": the subtotal for tax-exclusive invoices (what the line amounts add up to)."""
    words = TAX_WORDS.get(view.line_amount_type, "")
    amount = view.subtotal if view.line_amount_type == "Exclusive" else view.total
    return f"{view.formats.with_currency(view.currency).money(amount)} {words}".strip()



def headline(view: InvoiceView) -> str:
    """One line per state; the pushed one is the README's: "Draft INV-0042 for Acme, $4,250.00 excl. tax —
    Open in Xero" (our reference when Xero gave no number)."""
    name, ref = user_text(view.client_name), user_text(view.reference)  # the reference's prefix may hold * or _
    if view.status == "queued":
        if view.error_message:
            return f":hourglass: Invoice {ref} for {name} is waiting: {user_text(view.error_message)}"
        return f":hourglass: Invoice {ref} for {name}, {amount_label(view)}: queued for Xero…"
    if view.status == "pushing":
        return f":arrows_counterclockwise: Invoice {ref} for {name}, {amount_label(view)}: sending to Xero…"
    if view.status == "pushed":
        number = user_text(view.xero_number or view.reference)  # Xero's number is typed by people in Xero
        link = f" — <{view.xero_url}|Open in Xero>" if view.xero_url else ""
        return f":white_check_mark: Draft {number} for {name}, {amount_label(view)}{link}"
    if view.status == "check_in_xero":
        number = user_text(view.xero_number or view.reference)
        link = f" — <{view.xero_url}|Open in Xero>" if view.xero_url else ""
        return (f":warning: Check in Xero: draft {number} for {name} is in Xero, but Xero's copy differs from what "
                f"Hour Cap sent{link}")
    if view.status == "failed":
        return f":x: Invoice {ref} for {name} could not be pushed to Xero."
    if view.status == "cancelled":
        return f":no_entry_sign: Invoice {ref} for {name} was cancelled; its time entries are free again."
    return f"Invoice {ref} for {name}: {view.status}"


def _details(view: InvoiceView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if view.status == "pushed" and view.error_message:  # an explained rounding difference: said, never hidden
        blocks.append(section(f":information_source: {user_text(view.error_message)}"))
    if view.status == "check_in_xero":
        blocks.append(section(f"*What differs:* {user_text(view.error_message or 'Xero did not say')}\n"
                              f"*What to do:* {user_text(view.hint or '')}"))
    if view.status == "failed":
        blocks.append(section(f"*Xero said:* {user_text(view.error_message or 'no reason given')}\n"
                              f"*What to do:* {user_text(view.hint or '')}"))
    return blocks


def status_message(view: InvoiceView) -> tuple[str, list[dict[str, Any]]]:
    """The message posted where the invoice was created, edited in place as the push moves on — and, once the
    draft is in Xero, as Xero moves it on (approved, paid, voided, deleted; totals changed there beside ours)."""
    text = headline(view)
    if view.xero is not None:
        text = state_headline(view.xero, view.reference, view.client_name) or text
    blocks = [section(text), *_details(view)]
    if view.xero is not None:
        blocks += state_blocks(view.xero, view.invoice_id, view.reference)
    if view.status == "failed":
        blocks.append(context("Managers can Retry or Cancel from the alert in the alerts channel or on Home."))
    return _plain(text, view), blocks


def creator_dm(view: InvoiceView) -> tuple[str, list[dict[str, Any]]]:
    """The creator's DM: the result (success with its link, or the failure with what to do)."""
    text = headline(view)
    blocks = [section(text), *_details(view)]
    if view.status == "failed":
        blocks.append(_buttons(view))
    return _plain(text, view), blocks


def alert_message(view: InvoiceView) -> tuple[str, list[dict[str, Any]]]:
    """The alerts channel's one message per failed invoice: what happened, why (Xero's words), what to do."""
    if view.status == "check_in_xero":
        return _check_alert(view)
    what = f":warning: *Pushing invoice {user_text(view.reference)} for {user_text(view.client_name)} to Xero failed.*"
    why = user_text(view.error_message or "no reason given")
    blocks = [
        section(what),
        section(f"*Why (Xero said):* {why}\n*What to do:* {user_text(view.hint or '')}"),
        _buttons(view),
        context("Its time entries stay reserved until it is pushed or cancelled. This message updates if the push "
                "fails again, and says so when it is resolved."),
    ]
    text = (f"Pushing invoice {view.reference} for {view.client_name} to Xero failed. Why: {view.error_message}. "
            f"What to do: {view.hint}")
    return text, blocks


def _check_alert(view: InvoiceView) -> tuple[str, list[dict[str, Any]]]:
    """The alert for an invoice Xero holds differently from what was sent: no Retry (it is in Xero), no Cancel
    (its time is billed there); the person fixes the draft in Xero."""
    number = user_text(view.xero_number or view.reference)
    link = f" <{view.xero_url}|Open in Xero>" if view.xero_url else ""
    blocks = [
        section(f":warning: *Check invoice {user_text(view.reference)} for {user_text(view.client_name)} in Xero.* "
                "It is in Xero as "
                f"draft {number}, but Xero's copy differs from what Hour Cap sent.{link}"),
        section(f"*What differs:* {user_text(view.error_message or 'Xero did not say')}\n"
                f"*What to do:* {user_text(view.hint or '')}"),
    ]
    text = (f"Check invoice {view.reference} for {view.client_name} in Xero: {view.error_message} "
            f"What to do: {view.hint}")
    return text, blocks


def resolved_alert(view: InvoiceView) -> tuple[str, list[dict[str, Any]]]:
    """The alert once the invoice reached Xero or was cancelled: no buttons left to press."""
    ref = user_text(view.reference)
    if view.status == "pushed":
        number = user_text(view.xero_number or view.reference)
        link = f" <{view.xero_url}|Open in Xero>" if view.xero_url else ""
        text = f":white_check_mark: Resolved: invoice {ref} is in Xero as draft {number}.{link}"
    elif view.status == "cancelled":
        text = f":white_check_mark: Resolved: invoice {ref} was cancelled; its time entries are free again."
    else:
        text = f":arrows_counterclockwise: Retrying invoice {ref} for {user_text(view.client_name)}…"
    return text, [section(text)]


def invoice_buttons(invoice_id: int, reference: str) -> list[dict[str, Any]]:
    """Retry and Cancel (with Slack's confirmation) for a failed invoice: on its alert, its DM and Home."""
    value = str(invoice_id)
    return [
        button("Retry", ACTION_RETRY, value, style="primary"),
        button("Cancel invoice", ACTION_CANCEL, value, confirm=confirm(
            "Cancel this invoice?",
            f"Invoice {reference} will not be pushed to Xero, and its time entries become available for a "
            "new invoice.", "Cancel invoice", "Keep it")),
    ]


def _buttons(view: InvoiceView) -> dict[str, Any]:
    return actions(f"{BLOCK_ALERT_ACTIONS}_{view.invoice_id}", invoice_buttons(view.invoice_id, view.reference))


def _plain(text: str, view: InvoiceView) -> str:
    """Notification text (no Slack link markup)."""
    if view.status in ("pushed", "check_in_xero") and view.xero_url:
        text = text.replace(f" — <{view.xero_url}|Open in Xero>", f" — Open in Xero: {view.xero_url}")
    if view.status == "check_in_xero":
        text += f". What differs: {view.error_message or 'Xero did not say'}"
    return text
