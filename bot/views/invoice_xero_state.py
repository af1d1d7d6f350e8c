"""Where an invoice stands in Xero, as Slack shows it (pure): the state line of its status message and of Home's
row, Xero's totals beside Hour Cap's when an accountant changed them (never instead of them), and the dead draft's
one alert with Release entries.

Xero's own text (its invoice number, typed by people in Xero) and our reference (its prefix is the workspace's)
enter mrkdwn only through `user_text`; amounts and dates come from the facts' `formats.Formats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.text import user_text
from formats import DEFAULT, Formats

ACTION_RELEASE = "invoice_release_entries"


@dataclass(frozen=True)
class XeroFacts:
    """What Xero last said of one invoice, beside Hour Cap's own figures."""

    status: str | None
    number: str | None
    due_date: date | None
    total: Decimal | None
    subtotal: Decimal | None
    amount_due: Decimal | None
    amount_paid: Decimal | None
    paid_on: date | None
    release_state: str | None
    ours_total: Decimal
    ours_subtotal: Decimal
    formats: Formats = DEFAULT  # the workspace's locale and the invoice's currency


def state_words(facts: XeroFacts) -> str | None:
    """"Approved in Xero as INV-0042 · due 15 Dec", "Part paid: $1,200.00 due", "Paid 12 Dec", "Deleted in Xero"…;
    None before Hour Cap has read anything back."""
    status = facts.status
    number = user_text(facts.number) if facts.number else None
    if status == "DRAFT":
        return f"Draft in Xero{f' as {number}' if number else ''}"
    if status == "SUBMITTED":
        return f"Awaiting approval in Xero{f' as {number}' if number else ''}"
    if status == "AUTHORISED":
        due = f" · due {facts.formats.day(facts.due_date)}" if facts.due_date else ""
        if facts.amount_paid and facts.amount_paid > 0 and facts.amount_due is not None:
            return f"Part paid: {facts.formats.money(facts.amount_due)} due{due}"
        return f"Approved in Xero{f' as {number}' if number else ''}{due}"
    if status == "PAID":
        return f"Paid {facts.formats.day(facts.paid_on)}" if facts.paid_on else "Paid"
    if status == "VOIDED":
        return "Voided in Xero"
    if status == "DELETED":
        return "Deleted in Xero"
    return None


STATE_ICONS = {"DRAFT": ":page_facing_up:", "SUBMITTED": ":inbox_tray:", "AUTHORISED": ":white_check_mark:",
               "PAID": ":moneybag:", "VOIDED": ":no_entry_sign:", "DELETED": ":wastebasket:"}


def totals_words(facts: XeroFacts) -> str | None:
    """Xero's total beside Hour Cap's, with the difference, when an accountant changed the lines; never instead."""
    if facts.total is None or facts.total == facts.ours_total:
        return None
    difference = facts.total - facts.ours_total
    sign = "+" if difference > 0 else "−"
    money = facts.formats.money
    return (f"Total in Xero {money(facts.total)} · Hour Cap's {money(facts.ours_total)} · "
            f"difference {sign}{money(abs(difference))} (changed in Xero)")


def release_words(facts: XeroFacts) -> str | None:
    if facts.release_state == "ask":
        return "Its time entries are still on it: a manager can Release entries for a future invoice."
    if facts.release_state == "released":
        return "Its time entries were released for a future invoice."
    if facts.release_state == "flagged":
        return ("It was paid before it was voided, so its time entries stay on it: check the payment in Xero.")
    return None


def release_button(invoice_id: int, reference: str) -> dict[str, Any]:
    return b.button("Release entries", ACTION_RELEASE, str(invoice_id), style="primary", confirm=b.confirm(
        "Release these time entries?",
        f"Invoice {reference} was voided or deleted in Xero. Its time entries become available for a new invoice; "
        "the old invoice keeps its history.", "Release entries", "Not now"))


def state_blocks(facts: XeroFacts, invoice_id: int, reference: str) -> list[dict[str, Any]]:
    """What the status message adds once Xero has moved the draft on (empty while it is a plain draft)."""
    lines = [w for w in (totals_words(facts), release_words(facts)) if w]
    out = [b.context(line) for line in lines]
    if facts.release_state == "ask":
        out.append(b.actions(f"invoice_release.{invoice_id}", [release_button(invoice_id, reference)]))
    return out


def state_headline(facts: XeroFacts, reference: str, client_name: str) -> str | None:
    """The status message's first line once Xero moved the draft on (None: the push's own headline stands)."""
    words = state_words(facts)
    if words is None or facts.status == "DRAFT":
        return None
    return (f"{STATE_ICONS.get(facts.status or '', '')} Invoice {user_text(reference)} for {user_text(client_name)}: "
            f"{words}")


def died_alert(facts: XeroFacts, invoice_id: int, reference: str, client_name: str,
               entries: int) -> tuple[str, list[dict[str, Any]]]:
    """The one alerts-channel message about a draft voided or deleted in Xero, edited once its entries move."""
    how = "voided" if facts.status == "VOIDED" else "deleted"
    what = f"Invoice {reference} for {client_name} was {how} in Xero."
    if facts.release_state == "released":
        then = "Its time entries were released: they appear in the next Create invoice."
    elif facts.release_state == "flagged":
        then = ("It had been paid, so its time entries stay on it (Hour Cap never releases paid time): check the "
                "payment in Xero.")
    else:
        then = (f"Its {entries} time {'entry is' if entries == 1 else 'entries are'} still on it. Release them "
                "to bill them on a future invoice.")
    icon = ":warning:" if facts.release_state == "flagged" else ":wastebasket:"
    blocks: list[dict[str, Any]] = [
        b.section(f"{icon} *Invoice {user_text(reference)} for {user_text(client_name)} was {how} in Xero.*\n{then}")]
    if facts.release_state == "ask":
        blocks.append(b.actions(f"invoice_release.{invoice_id}", [release_button(invoice_id, reference)]))
    return f"{what} {then}", blocks
