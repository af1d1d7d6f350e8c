"""The month-end batch confirmation modal and the DM summary (pure: data in, Block Kit out)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.text import user_text
from formats import DEFAULT, Formats
from invoicing.batch import BatchPreview, BatchResult

ACTION_OPEN = "invoice_batch_open"
CALLBACK_CONFIRM = "invoice_batch_confirm"
CALLBACK_LOADING = "invoice_batch_loading"
SUMMARY_SECTIONS = 20  # a message holds 50 blocks: two lists of up to 21 blocks each, plus the lead
MAX_SECTIONS = 20  # a modal holds 100 blocks; lines past these sections are counted, not shown
TITLE = "Invoice every client"


def button_label(month: date, formats: Formats = DEFAULT) -> str:
    return f"Invoice every client for {formats.month(month)}"


def metadata(month: date, seen: str) -> str:
    return json.dumps({"month": month.isoformat(), "seen": seen}, separators=(",", ":"))


def read_metadata(view: dict[str, Any]) -> tuple[date | None, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
        return date.fromisoformat(str(data.get("month"))), str(data.get("seen") or "")
    except (ValueError, TypeError, AttributeError):
        return None, ""


def loading_view() -> dict[str, Any]:
    return {"type": "modal", "callback_id": CALLBACK_LOADING, "title": b.plain(TITLE, 24),
            "close": b.plain("Cancel", 24),
            "blocks": [b.section(":hourglass_flowing_sand: Reading every client's unbilled time…")]}


def message_view(text: str) -> dict[str, Any]:
    """A modal that only says something (a refusal): nothing to submit."""
    return {"type": "modal", "callback_id": CALLBACK_LOADING, "title": b.plain(TITLE, 24),
            "close": b.plain("Close", 24), "blocks": [b.section(text)]}


def build_batch_modal(preview: BatchPreview, notice: str | None = None,
                      formats: Formats = DEFAULT) -> dict[str, Any]:
    money, label = formats.money, formats.month_year(preview.month)
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(b.section(f":warning: *{user_text(notice)}*"))
    count = len(preview.clients)
    if count:
        blocks.append(b.section(
            f"Create *{count}* draft invoice{'s' if count != 1 else ''} for *{label}* "
            f"(time from {formats.day(preview.period.start)} to {formats.day(preview.period.end)}), total "
            f"*{money(preview.total)}*, and push them to Xero in groups of up to 50."))
        lines = [f"• {user_text(c.name)} · {c.entry_count} entr{'y' if c.entry_count == 1 else 'ies'} · "
                 f"{money(c.total)} ({c.line_amount_type.lower()})" for c in preview.clients]
        blocks += b.line_sections(lines, max_sections=MAX_SECTIONS, what="clients")
    else:
        blocks.append(b.section(f"Nothing to bill for *{label}*: no linked client has uninvoiced "
                                "billable time that month."))
    if preview.skipped:
        blocks.append(b.divider())
        blocks.append(b.section(f"*Skipped ({len(preview.skipped)})*"))
        blocks += b.line_sections([f"• {user_text(s.name)} — {user_text(s.reason)}" for s in preview.skipped],
                                  max_sections=MAX_SECTIONS, what="skipped clients")
    view: dict[str, Any] = {
        "type": "modal", "callback_id": CALLBACK_CONFIRM, "title": b.plain(TITLE, 24),
        "close": b.plain("Cancel", 24), "private_metadata": metadata(preview.month, preview.fingerprint),
        "blocks": blocks[:100],
    }
    if count:
        view["submit"] = b.plain(f"Create {count} invoice{'s' if count != 1 else ''}", 24)
    return view


def summary_message(result: BatchResult, formats: Formats = DEFAULT) -> tuple[str, list[dict[str, Any]]]:
    """The DM to the manager once the batch is created (the pushes report per invoice as they finish)."""
    money = formats.money
    count = len(result.created)
    total = sum((c.total for c in result.created), Decimal("0.00"))
    text = (f"Created {count} draft invoice{'s' if count != 1 else ''} for {formats.month_year(result.month)}, "
            f"total {money(total)}; "
            f"pushing them to Xero in {result.push_groups} request{'s' if result.push_groups != 1 else ''}.")
    blocks = [b.section(text)]
    blocks += b.line_sections([f"• *{user_text(c.reference)}* · {user_text(c.client_name)} · {money(c.total)}"
                               for c in result.created], max_sections=SUMMARY_SECTIONS, what="invoices")
    if result.skipped:
        blocks.append(b.section("*Skipped*"))
        blocks += b.line_sections([f"• {user_text(s.name)} ({user_text(s.reason)})" for s in result.skipped],
                                  max_sections=SUMMARY_SECTIONS, what="skipped clients")
    return text, blocks
