"""An invoice's reference carries the workspace's prefix, which may hold `*` or `_`: every screen that shows it in
mrkdwn (the status message, its alerts, Xero's state line, Home's invoice lists) shows it literally, through
bot/views/text.user_text, and its amounts through the workspace's formats."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.views import home as home_view
from bot.views.invoice_list import invoice_list_section
from bot.views.invoice_status import InvoiceView, alert_message, resolved_alert, status_message
from bot.views.invoice_xero_state import XeroFacts, died_alert
from bot.views.text import user_text
from formats import Formats
from invoicing.create import InvoiceSummary
from invoicing.invoice_list import InvoiceFilter, InvoicePage, InvoiceRow
from storage.models import Role
from timesheets.member_calendar import WeekTotals

REFERENCE = "*B_2*_0007"  # a prefix of "*B_2*_": bold and italics if it reached mrkdwn as typed
SAFE = user_text(REFERENCE)
TODAY = date(2026, 11, 20)
AMOUNT = Decimal("1234.5")
GERMAN = Formats("de-DE", "EUR")


def _mrkdwn(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _facts(status: str, release: str | None = None) -> XeroFacts:
    return XeroFacts(status, None, TODAY, AMOUNT, AMOUNT, AMOUNT, Decimal(0), None, release, AMOUNT, AMOUNT,
                     GERMAN)


def _view(status: str, xero: XeroFacts | None = None) -> InvoiceView:
    return InvoiceView(1, REFERENCE, status, "Acme", AMOUNT, AMOUNT, "Exclusive", currency="EUR", xero=xero,
                       formats=GERMAN)


@pytest.mark.parametrize("status", ["queued", "pushing", "failed", "cancelled"])
def test_the_status_message_shows_the_reference_literally(status: str) -> None:
    _, blocks = status_message(_view(status))
    assert SAFE in _mrkdwn(blocks) and REFERENCE not in _mrkdwn(blocks)


def test_alerts_and_xero_state_lines_show_it_literally() -> None:
    for _, blocks in (alert_message(_view("failed")), alert_message(_view("check_in_xero")),
                      resolved_alert(_view("cancelled")), status_message(_view("pushed", _facts("VOIDED"))),
                      died_alert(_facts("DELETED", "ask"), 1, REFERENCE, "Acme", 2)):
        sections = _mrkdwn([b for b in blocks if b["type"] == "section"])
        assert SAFE in sections and REFERENCE not in sections


def test_the_status_message_reads_its_amount_in_the_workspaces_locale() -> None:
    text, _ = status_message(_view("queued"))
    assert "1.234,50\u00a0€ excl. tax" in text


def test_homes_invoice_lists_show_it_literally_with_their_amounts_formatted() -> None:
    row = InvoiceRow(7, REFERENCE, "Acme", AMOUNT, AMOUNT, "Exclusive", "EUR", "pushed", None, None, "AUTHORISED",
                     None, TODAY, AMOUNT, AMOUNT, AMOUNT, Decimal(0), None, None)
    listed = _mrkdwn(invoice_list_section(InvoicePage((row,), InvoiceFilter.ALL, 0, 1), Role.MANAGER, TODAY,
                                          formats=GERMAN))
    assert f"*{SAFE}* · Acme · 1.234,50\u00a0€ · " in listed and REFERENCE not in listed
    assert "due 20 Nov." in listed

    recent = InvoiceSummary(7, REFERENCE, "Acme", AMOUNT, "Exclusive", "pushed", TODAY)
    home = home_view.build_home(home_view.HomeModel(role=Role.MANAGER, today=TODAY,
                                                    week=WeekTotals(date(2026, 11, 16), (0,) * 7),
                                                    invoices=(recent,), formats=GERMAN))
    shown = _mrkdwn(home["blocks"])
    assert f"*{SAFE}* · Acme · 1.234,50\u00a0€" in shown and REFERENCE not in shown
    assert "logged since Monday 16 Nov.\"" in shown  # the locale's own abbreviation, no second full stop
