"""`xero.push_check`: what Xero holds against what Hour Cap sent — one test per kind of difference, and the
differences that are legitimate (half-cent tax rounding on tie lines, trimmed text, case of ids)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from xero.push import XeroDraft
from xero.push_check import SentInvoice, compare_invoice, contact_name_difference

D = Decimal
CONTACT = "6d7f1c7e-1111-4a4a-9b9b-0123456789ab"
OTHER = "0b1e2f3a-2222-4c4c-8d8d-ba9876543210"

SENT = SentInvoice(contact_id=CONTACT, reference="INV-0042", line_amount_type="Exclusive",
                   line_amounts=(D("375.00"), D("90.00")), subtotal=D("465.00"), total_tax=D("69.75"),
                   total=D("534.75"), contact_name="Acme Ltd")
HELD = XeroDraft(invoice_id="inv-1", number="INV-0007", reference="INV-0042", status="DRAFT", contact_id=CONTACT,
                 subtotal=D("465.00"), total_tax=D("69.75"), total=D("534.75"), contact_name="Acme Ltd",
                 line_amount_type="Exclusive", line_amounts=(D("375.00"), D("90.00")))


def test_the_same_invoice_matches_whatever_the_number_scale_or_text_case() -> None:
    check = compare_invoice(SENT, replace(HELD, status="draft", contact_id=CONTACT.upper(), subtotal=D("465.0000"),
                                          line_amount_type="EXCLUSIVE", line_amounts=(D("375"), D("90.000"))))
    assert check.matches and check.words() is None and check.notes == ()


def test_a_reference_trimmed_by_xero_still_matches() -> None:
    assert compare_invoice(replace(SENT, reference="INV-0042 "), HELD).matches


@pytest.mark.parametrize(("held", "words"), [
    (replace(HELD, total=D("1210.00")), "Xero holds total 1,210.00, Hour Cap sent 534.75"),
    (replace(HELD, subtotal=D("466.00")), "Xero holds subtotal 466.00, Hour Cap sent 465.00"),
    (replace(HELD, total_tax=D("70.00")), "Xero holds tax 70.00, Hour Cap sent 69.75"),
    (replace(HELD, status="SUBMITTED"), "Xero holds status SUBMITTED, Hour Cap sent DRAFT"),
    (replace(HELD, status=""), "Xero holds status (none), Hour Cap sent DRAFT"),
    (replace(HELD, contact_id=OTHER, contact_name="Globex"),
     f"Xero holds the contact “Globex” ({OTHER}), Hour Cap sent “Acme Ltd” ({CONTACT})"),
    (replace(HELD, contact_id=None, contact_name=None), "Xero holds the contact no contact, Hour Cap sent"),
    (replace(HELD, reference="INV-004"), "Xero holds reference “INV-004”, Hour Cap sent “INV-0042”"),
    (replace(HELD, line_amount_type="Inclusive"), "Xero holds line amounts as Inclusive, Hour Cap sent Exclusive"),
    (replace(HELD, line_amounts=(D("375.00"),)), "Xero holds 1 line, Hour Cap sent 2 lines"),
    (replace(HELD, line_amounts=(D("375.00"), D("90.00"), D("1.00"))), "Xero holds 3 lines, Hour Cap sent 2 lines"),
    (replace(HELD, line_amounts=(D("375.00"), D("90.01"))), "Xero holds line 2 amount 90.01, Hour Cap sent 90.00"),
    (replace(HELD, line_amounts=(None, D("90.00"))), "Xero holds line 1 amount (none), Hour Cap sent 375.00"),
    (replace(HELD, total=None), "Xero's answer did not include the invoice total"),
])
def test_each_kind_of_difference_is_spelled_out(held: XeroDraft, words: str) -> None:
    check = compare_invoice(SENT, held)
    assert not check.matches
    assert check.words() is not None and words in check.words()  # type: ignore[operator]


def test_several_differences_are_all_listed() -> None:
    check = compare_invoice(SENT, replace(HELD, status="AUTHORISED", total=D("600.00")))
    assert check.differences == ("Xero holds status AUTHORISED, Hour Cap sent DRAFT",
                                 "Xero holds total 600.00, Hour Cap sent 534.75")
    assert check.words() == ("Xero holds status AUTHORISED, Hour Cap sent DRAFT; Xero holds total 600.00, "
                             "Hour Cap sent 534.75.")


def test_an_answer_without_line_items_is_judged_on_its_totals() -> None:
    """Xero's invoice lists (the lookup by reference) leave the lines out."""
    assert compare_invoice(SENT, replace(HELD, line_amounts=None)).matches
    assert not compare_invoice(SENT, replace(HELD, line_amounts=None, total=D("534.76"))).matches


def test_missing_subtotal_or_tax_is_not_a_difference_but_a_missing_total_is() -> None:
    assert compare_invoice(SENT, replace(HELD, subtotal=None, total_tax=None)).matches
    assert not compare_invoice(SENT, replace(HELD, total=None)).matches


# -- half-cent ties: Xero's rounding there is not settled ------------------------------------------------------
TIED = replace(SENT, line_amounts=(D("0.10"), D("0.30")), subtotal=D("0.40"), total_tax=D("0.07"),
               total=D("0.47"), tie_lines=2)  # 15% of 0.10 and 0.30: 0.015 and 0.045, half-up 0.02 + 0.05


def test_exclusive_tie_lines_rounded_the_other_way_are_a_note_not_a_mismatch() -> None:
    held = replace(HELD, subtotal=D("0.40"), total_tax=D("0.06"), total=D("0.46"),  # half-even: 0.02 + 0.04
                   line_amounts=(D("0.10"), D("0.30")))
    check = compare_invoice(TIED, held)
    assert check.matches
    assert check.words() == ("Xero rounded the tax on 2 lines that fall exactly on a half cent the other way: Xero "
                             "holds tax 0.06 and total 0.46, Hour Cap previewed tax 0.07 and total 0.47.")


def test_a_tax_gap_beyond_one_cent_per_tie_line_is_a_mismatch() -> None:
    held = replace(HELD, subtotal=D("0.40"), total_tax=D("0.04"), total=D("0.44"),
                   line_amounts=(D("0.10"), D("0.30")))
    check = compare_invoice(TIED, held)
    assert check.differences == ("Xero holds tax 0.04, Hour Cap sent 0.07", "Xero holds total 0.44, Hour Cap sent 0.47")
    assert check.notes == ()


def test_without_tie_lines_a_one_cent_tax_gap_is_a_mismatch() -> None:
    held = replace(HELD, total_tax=D("69.74"), total=D("534.74"))
    assert compare_invoice(SENT, held).differences == ("Xero holds tax 69.74, Hour Cap sent 69.75",
                                                       "Xero holds total 534.74, Hour Cap sent 534.75")


def test_a_tie_explained_tax_must_still_carry_the_right_total() -> None:
    held = replace(HELD, subtotal=D("0.40"), total_tax=D("0.06"), total=D("0.47"),
                   line_amounts=(D("0.10"), D("0.30")))
    assert compare_invoice(TIED, held).differences == ("Xero holds tax 0.06, Hour Cap sent 0.07",)


def test_inclusive_tie_lines_move_the_subtotal_and_keep_the_total() -> None:
    sent = replace(TIED, line_amount_type="Inclusive", subtotal=D("0.35"), total_tax=D("0.05"), total=D("0.40"),
                   tie_lines=1)  # the figures only: which line ties does not matter here
    ok = replace(HELD, line_amount_type="Inclusive", subtotal=D("0.36"), total_tax=D("0.04"), total=D("0.40"),
                 line_amounts=(D("0.10"), D("0.30")))
    assert compare_invoice(sent, ok).matches and compare_invoice(sent, ok).notes
    moved_total = replace(ok, total=D("0.41"))
    assert "Xero holds total 0.41, Hour Cap sent 0.40" in compare_invoice(sent, moved_total).differences


# -- contacts ---------------------------------------------------------------------------------------------------
def test_a_created_contact_must_carry_the_name_sent() -> None:
    assert contact_name_difference("Acme Ltd", "Acme Ltd") is None
    assert contact_name_difference("Acme Ltd", " Acme  Ltd ") is None  # Xero trims; spaces collapse
    assert contact_name_difference("Acme Ltd", "Acme Ltd.") == \
        "Xero holds the contact name “Acme Ltd.”, Hour Cap sent “Acme Ltd”"
    assert contact_name_difference("Acme Ltd", "ACME LTD") == \
        "Xero holds the contact name “ACME LTD”, Hour Cap sent “Acme Ltd”"
    assert contact_name_difference("Acme Ltd", None) == "Xero's answer did not include the contact's name"
