"""The status machine of an invoice in Xero (pure): Xero's moves, answers out of order, dead ends, and when a
dead invoice's entries may be released."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from invoicing.xero_states import ALLOWED, DEAD, Death, Held, decide
from xero.invoice_read import XeroInvoiceState, parse_state

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def seen(status: str, seconds: int = 10, paid: str = "0.00") -> XeroInvoiceState:
    return XeroInvoiceState("id-1", "INV-0001", "ref", status, Decimal("100.00"), Decimal("15.00"),
                            Decimal("115.00"), Decimal("115.00") - Decimal(paid), Decimal(paid), None, None,
                            T0 + timedelta(seconds=seconds))


@pytest.mark.parametrize(("before", "after"), sorted(ALLOWED))
def test_every_allowed_move_is_taken(before: str, after: str) -> None:
    decision = decide(Held(before, T0, False), seen(after), same_figures=True)
    assert decision.take and decision.changed and not decision.skipped_steps


def test_a_step_never_seen_is_still_xeros_truth() -> None:
    paid = decide(Held("DRAFT", T0, False), seen("PAID"), same_figures=False)
    assert paid.take and paid.skipped_steps and paid.newly_dead is None


def test_an_older_answer_changes_nothing() -> None:
    assert not decide(Held("AUTHORISED", T0, False), seen("SUBMITTED", seconds=-5), same_figures=False).take


@pytest.mark.parametrize("dead", DEAD)
@pytest.mark.parametrize("later", ["DRAFT", "AUTHORISED", "PAID", "VOIDED", "DELETED"])
def test_a_dead_end_is_never_left(dead: str, later: str) -> None:
    assert not decide(Held(dead, T0, False), seen(later, seconds=60), same_figures=False).take


def test_deleted_before_hour_cap_saw_it_submitted_releases() -> None:
    decision = decide(Held("DRAFT", T0, False), seen("DELETED"), same_figures=True)
    assert decision.newly_dead is Death.RELEASE and not decision.skipped_steps


def test_voided_after_a_payment_is_flagged_whether_or_not_the_payment_is_still_there() -> None:
    assert decide(Held("PAID", T0, True), seen("VOIDED"), same_figures=False).newly_dead is Death.FLAG
    assert decide(Held("AUTHORISED", T0, False), seen("VOIDED", paid="5.00"), same_figures=False).newly_dead \
        is Death.FLAG
    assert decide(Held("AUTHORISED", T0, False), seen("VOIDED"), same_figures=False).newly_dead is Death.RELEASE


def test_a_figure_changed_in_xero_is_a_change_without_a_new_status() -> None:
    assert decide(Held("DRAFT", T0, False), seen("DRAFT"), same_figures=False).changed
    assert not decide(Held("DRAFT", T0, False), seen("DRAFT"), same_figures=True).changed


def test_parse_reads_xeros_light_invoice() -> None:
    state = parse_state({"InvoiceID": "abc", "InvoiceNumber": "INV-0042", "Status": "authorised",
                         "Total": Decimal("115"), "AmountPaid": "15.5", "AmountDue": 99.5,
                         "DueDate": "/Date(1765756800000+0000)/", "UpdatedDateUTC": "/Date(1764579600000+0000)/"})
    assert state is not None and state.status == "AUTHORISED" and state.total == Decimal("115.00")
    assert state.amount_paid == Decimal("15.50") and state.due_date is not None
    assert parse_state({"InvoiceID": "abc", "Status": "ODD"}) is None and parse_state({"Status": "PAID"}) is None
