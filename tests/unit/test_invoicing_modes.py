"""Retainer months and fixed budgets (invoicing/retainer.py, invoicing/fixed_budget.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.rounding import NO_ROUNDING, RoundingRule
from invoicing.fixed_budget import BudgetBasis, BudgetError, BudgetTerms, amount_to_bill, budget_part
from invoicing.lines import EntryRow, LineKind
from invoicing.money import from_cents, to_cents
from invoicing.retainer import RetainerError, RetainerTerms, month_end, month_label, retainer_month

D = Decimal
UP15 = RoundingRule.from_key("up:15")


def work(id: int, minutes: int, day: date = date(2026, 11, 5), project: int = 5) -> EntryRow:
    return EntryRow(id, "Alice", project, "Care plan", "CARE", day, minutes, "Maintenance", D("0"))


def care(**changes: object) -> RetainerTerms:
    terms: dict[str, object] = {"project_id": 5, "project_name": "Care plan", "project_code": "CARE",
                                "amount": D("2000.00"), "included_minutes": 600, "overage_rate": D("120.00")}
    terms.update(changes)
    return RetainerTerms(**terms)  # type: ignore[arg-type]


# -- retainer -----------------------------------------------------------------------------------------------
def test_a_month_within_the_included_hours_is_one_line_for_the_amount() -> None:
    bill = retainer_month(care(), date(2026, 11, 17), [work(1, 300), work(2, 120)], NO_ROUNDING)
    (line,) = bill.lines
    assert line.description == "Care plan (CARE) — retainer, November 2026"
    assert (line.kind, line.quantity, line.unit_amount, line.line_amount) == (
        LineKind.RETAINER, D("1"), D("2000.00"), D("2000.00"))
    assert line.entry_ids == (1, 2) and bill.entry_ids == (1, 2)  # the month's entries are reserved with it
    assert (bill.month, bill.worked_minutes, bill.overage_minutes) == (date(2026, 11, 1), 420, 0)
    assert "7h worked of 10h included" in line.note


def test_overage_beyond_the_included_hours_at_the_overage_rate_rounded_per_entry() -> None:
    rows = [work(1, 590), work(2, 5, date(2026, 11, 30)), work(3, 7, date(2026, 11, 1))]
    bill = retainer_month(care(), date(2026, 11, 1), rows, UP15)  # 600 + 15 + 15 worked
    retainer, overage = bill.lines
    assert (bill.worked_minutes, bill.overage_minutes) == (630, 30)
    assert overage.kind is LineKind.OVERAGE and overage.entry_ids == ()
    assert (overage.quantity, overage.unit_amount, overage.line_amount) == (D("0.50"), D("120.00"), D("60.00"))
    assert overage.description == "Care plan (CARE) — overage, November 2026: 30m beyond 10h included"
    assert "30m over, billed at 120.00/h" in overage.note
    assert retainer.entry_ids == (3, 1, 2)  # chronological


def test_overage_without_an_overage_rate_is_not_billed_but_said() -> None:
    bill = retainer_month(care(overage_rate=None), date(2026, 11, 1), [work(1, 700)], NO_ROUNDING)
    (line,) = bill.lines
    assert bill.overage_minutes == 100
    assert "1h 40m over, not billed as the project has no overage rate" in line.note


def test_overage_hours_that_do_not_terminate_are_billed_as_an_amount() -> None:
    bill = retainer_month(care(included_minutes=0), date(2026, 11, 1), [work(1, 100)], NO_ROUNDING)
    overage = bill.lines[1]
    assert (overage.quantity, overage.line_amount) == (D("1"), D("200.00"))
    assert overage.description.endswith("(1h 40m at 120.00/h)")


def test_a_month_with_no_work_still_bills_the_retainer() -> None:
    bill = retainer_month(care(), date(2026, 2, 10), [], UP15)
    assert len(bill.lines) == 1 and bill.lines[0].description.endswith("February 2026") and bill.entry_ids == ()


def test_entries_outside_the_month_or_project_are_a_caller_bug() -> None:
    with pytest.raises(RetainerError, match="outside November 2026"):
        retainer_month(care(), date(2026, 11, 1), [work(1, 60, date(2026, 12, 1))], NO_ROUNDING)
    with pytest.raises(RetainerError, match="another project"):
        retainer_month(care(), date(2026, 11, 1), [work(1, 60, project=6)], NO_ROUNDING)


def test_retainer_terms_are_checked() -> None:
    for bad in ({"amount": D("-1")}, {"amount": D("10.001")}, {"included_minutes": -1},
                {"overage_rate": D("-5")}):
        with pytest.raises(RetainerError):
            care(**bad)


def test_month_helpers() -> None:
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29) and month_end(date(2026, 12, 31)) == date(2026, 12, 31)
    assert month_label(date(2026, 1, 31)) == "January 2026"


# -- fixed budget -------------------------------------------------------------------------------------------
def build(budget: str = "10000.00", billed: str = "2500.00") -> BudgetTerms:
    return BudgetTerms(9, "Website build", "WEB", D(budget), D(billed))


def test_a_percentage_is_of_what_remains() -> None:
    bill = budget_part(build(), BudgetBasis.PERCENT, D("25"))
    assert bill.line.line_amount == D("1875.00") and bill.line.quantity == D("1")
    assert (bill.remaining_before, bill.remaining_after) == (D("7500.00"), D("5625.00"))
    assert bill.line.description == "Website build (WEB) — 25% of the remaining budget"
    assert bill.line.kind is LineKind.FIXED_FEE and bill.line.project_id == 9
    assert bill.line.note == ("Budget 10,000.00; billed before 2,500.00; remaining 7,500.00, "
                              "5,625.00 after this invoice.")


def test_a_percentage_is_rounded_half_up_once_and_100_percent_is_exactly_the_rest() -> None:
    assert amount_to_bill(build("0.05", "0"), "percent", D("50")) == D("0.03")  # 0.025
    assert amount_to_bill(build("1000.01", "0"), "percent", D("33.333")) == D("333.33")
    assert budget_part(build(), "percent", D("100")).remaining_after == D("0.00")


def test_an_amount_never_goes_beyond_what_remains() -> None:
    bill = budget_part(build(), BudgetBasis.AMOUNT, D("7500"))
    assert bill.line.line_amount == D("7500.00") and bill.remaining_after == D("0.00")
    assert bill.line.description == "Website build (WEB) — final payment of the fixed fee"
    assert budget_part(build(), "amount", D("100")).line.description.endswith("part payment of the fixed fee")
    with pytest.raises(BudgetError, match="Only 7,500.00 remains"):
        amount_to_bill(build(), "amount", D("7500.01"))


@pytest.mark.parametrize(
    ("basis", "value", "budget", "billed", "message"),
    [
        ("amount", "0", "100", "0", "greater than zero"),
        ("amount", "-5", "100", "0", "greater than zero"),
        ("amount", "10.005", "100", "0", "whole cents"),
        ("percent", "100.01", "100", "0", "at most 100"),
        ("percent", "0.001", "1.00", "0", "less than a cent"),
        ("percent", "10", "100", "100", "Nothing remains"),
        ("amount", "1", "100", "150", "Nothing remains"),  # over-billed before a budget cut: nothing left
    ],
)
def test_requests_that_cannot_be_billed(basis: str, value: str, budget: str, billed: str, message: str) -> None:
    with pytest.raises(BudgetError, match=message):
        amount_to_bill(build(budget, billed), basis, D(value))


def test_budget_terms_are_in_whole_cents() -> None:
    with pytest.raises(BudgetError):
        build("100.001")
    with pytest.raises(BudgetError):
        build("100", "-1")


@given(
    st.integers(min_value=1, max_value=10**9),
    st.lists(
        st.tuples(st.sampled_from(list(BudgetBasis)), st.integers(min_value=1, max_value=10**9)), max_size=12
    ),
)
def test_successive_invoices_never_bill_beyond_the_budget(
    budget_cents: int, asks: list[tuple[BudgetBasis, int]]
) -> None:
    budget, billed = from_cents(budget_cents), from_cents(0)
    for basis, raw in asks:
        value = D(raw % 10_000 + 1) / 100 if basis is BudgetBasis.PERCENT else from_cents(raw)  # 0.01 .. 100 %
        terms = BudgetTerms(1, "Build", "B", budget, billed)
        try:
            bill = budget_part(terms, basis, value)
        except BudgetError:
            continue
        assert 0 < bill.line.line_amount <= terms.remaining
        assert bill.line.quantity * bill.line.unit_amount == bill.line.line_amount
        billed += bill.line.line_amount
        assert to_cents(bill.remaining_after) == budget_cents - to_cents(billed)
    assert billed <= budget
