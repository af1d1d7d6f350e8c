"""Home's invoice list (pure): Create invoice, the month's batch, Refresh invoice states, the filter by state,
a page of invoices each with where it stands in Xero (Retry and Cancel on a failed one, Release entries on a dead
draft waiting for a manager), Previous/Next, and for admins the setting for dead drafts' entries."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.invoice_batch import ACTION_OPEN as ACTION_INVOICE_BATCH
from bot.views.invoice_batch import button_label as batch_button_label
from bot.views.invoice_modal import ACTION_OPEN as ACTION_CREATE_INVOICE
from bot.views.invoice_status import invoice_buttons
from bot.views.invoice_xero_state import (
    STATE_ICONS,
    XeroFacts,
    release_button,
    release_words,
    state_words,
    totals_words,
)
from bot.views.text import cut_plain, user_text
from formats import DEFAULT, Formats
from invoicing.invoice_list import FILTER_LABELS, PER_PAGE, InvoiceFilter, InvoicePage, InvoiceRow
from invoicing.selection import last_calendar_month
from storage.models import Role

ACTION_REFRESH_STATES = "invoice_states_refresh"
ACTION_FILTER = "invoice_list_filter"
ACTION_PAGE = "invoice_list_page"  # "Next"
ACTION_PAGE_PREV = "invoice_list_page_prev"  # "Previous": one block may not hold an action id twice
ACTION_RELEASE_MODE = "invoice_release_mode"
BLOCK_LIST_CONTROLS = "invoice_list_controls"
BLOCK_LIST_PAGES = "invoice_list_pages"
BLOCK_RELEASE_MODE = "invoice_release_mode_block"
RELEASE_MODES = (("ask", "Ask a manager first"), ("auto", "Release them by themselves"))
PUSH_LABELS = {"queued": ":hourglass_flowing_sand: queued", "pushing": ":arrows_counterclockwise: pushing",
               "pushed": ":white_check_mark: draft in Xero", "check_in_xero": ":warning: check in Xero",
               "failed": ":x: failed", "cancelled": ":no_entry_sign: cancelled"}


def facts_of(row: InvoiceRow, formats: Formats = DEFAULT) -> XeroFacts:
    return XeroFacts(row.xero_status, row.xero_number, row.xero_due_date, row.xero_total, row.xero_subtotal,
                     row.xero_amount_due, row.xero_amount_paid, row.xero_paid_on, row.release_state, row.total,
                     row.subtotal, formats.with_currency(row.currency))


def _row_label(row: InvoiceRow, formats: Formats) -> str:
    words = state_words(facts_of(row, formats)) if row.status in ("pushed", "check_in_xero") else None
    if words is None or row.xero_status == "DRAFT":
        return PUSH_LABELS.get(row.status, user_text(row.status))
    return f"{STATE_ICONS.get(row.xero_status or '', '')} {words}"


def _row_blocks(row: InvoiceRow, formats: Formats) -> list[dict[str, Any]]:
    reference = user_text(row.reference)  # the workspace's prefix may hold * or _
    link = f"<{row.xero_url}|{reference}>" if row.xero_url else f"*{reference}*"
    facts = facts_of(row, formats)
    text = f"{link} · {user_text(row.client_name)} · {facts.formats.money(row.total)} · {_row_label(row, formats)}"
    extra = [w for w in (totals_words(facts), release_words(facts)) if w]
    if row.status in ("failed", "check_in_xero") and row.error_message:
        extra.append(f"_{user_text(cut_plain(row.error_message or '', 300))}_")
    if row.status == "check_in_xero" and row.xero_status in (None, "DRAFT", "SUBMITTED"):
        extra.append("Open it in Xero and check the difference before approving it.")
    out = [b.section("\n".join([text, *extra]), block_id=f"invoice_list_row.{row.invoice_id}")]
    if row.status == "failed":
        out.append(b.actions(f"invoice_row.{row.invoice_id}", invoice_buttons(row.invoice_id, row.reference)))
    if row.release_state == "ask":
        out.append(b.actions(f"invoice_release.{row.invoice_id}", [release_button(row.invoice_id, row.reference)]))
    return out


def page_value(chosen: InvoiceFilter, page: int) -> str:
    return f"{chosen.value}:{page}"


def invoice_list_section(listing: InvoicePage, role: Role, today: date, release_mode: str = "ask",
                         formats: Formats = DEFAULT) -> list[dict[str, Any]]:
    """Home's Invoices: Create invoice, the month's batch, the filter, Refresh invoice states, a page of rows."""
    blocks: list[dict[str, Any]] = [
        b.divider(),
        b.header("Invoices"),
        b.actions("invoice_buttons", [
            b.button("Create invoice", ACTION_CREATE_INVOICE, style="primary"),
            b.button(batch_button_label(last_calendar_month(today).start), ACTION_INVOICE_BATCH),
            b.button("Refresh invoice states", ACTION_REFRESH_STATES),
        ]),
        b.actions(BLOCK_LIST_CONTROLS, [b.static_select(
            ACTION_FILTER, "Show", [(f.value, label) for f, label in FILTER_LABELS.items()],
            initial=listing.filter.value)]),
    ]
    if not listing.rows:
        empty = ("No invoices yet: create one from tracked time." if listing.filter is InvoiceFilter.ALL
                 else f"No invoices here ({FILTER_LABELS[listing.filter].lower()}).")
        blocks.append(b.section(empty))
    for row in listing.rows:
        blocks += _row_blocks(row, formats)
    if listing.total > PER_PAGE:
        buttons = []
        if listing.page > 0:
            buttons.append(b.button("Previous", ACTION_PAGE_PREV, page_value(listing.filter, listing.page - 1)))
        if listing.page + 1 < listing.pages:
            buttons.append(b.button("Next", ACTION_PAGE, page_value(listing.filter, listing.page + 1)))
        blocks.append(b.context(f"Page {listing.page + 1} of {listing.pages} · {listing.total} invoices "
                                f"({FILTER_LABELS[listing.filter].lower()})"))
        blocks.append(b.actions(BLOCK_LIST_PAGES, buttons))
    if role.rank >= Role.ADMIN.rank:
        blocks.append(b.context("When a draft is voided or deleted in Xero, its time entries:"))
        blocks.append(b.actions(BLOCK_RELEASE_MODE, [b.static_select(
            ACTION_RELEASE_MODE, "When a draft dies in Xero", list(RELEASE_MODES), initial=release_mode)]))
    return blocks
