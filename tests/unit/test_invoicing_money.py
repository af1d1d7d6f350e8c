"""Money rules of invoicing (invoicing/money.py, exact.py, totals.py): exact lines, one rounding, Xero's totals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.exact import amount_line, time_line
from invoicing.lines import Line, LineKind, hours_label, money_label
from invoicing.money import (
    as_2dp,
    cents_half_up,
    exact_hours,
    exact_product,
    from_cents,
    is_exact,
    is_half_cent_tie,
    places,
    time_amount,
    to_cents,
)
from invoicing.totals import LineAmountType, Totals, invoice_totals, line_tax, totals
from sandbox.xero.money import Rounder
from sandbox.xero.money import line_tax as xero_line_tax
from xero.push import DraftLine, line_item

D = Decimal
minutes = st.integers(min_value=0, max_value=100_000)
rates = st.integers(min_value=0, max_value=1_000_000).map(from_cents)
amounts = st.integers(min_value=0, max_value=10_000_000).map(from_cents)
tax_rates = st.sampled_from([D("0"), D("15.00"), D("7.50"), D("10"), D("12.5"), D("20"), D("8.875")])


# -- money helpers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [("2.50", 1), ("3", 0), ("300", 0), ("0.0001", 4), ("1E+2", 0)])
def test_places_counts_the_digits_a_value_needs(value: str, expected: int) -> None:
    assert places(D(value)) == expected


def test_cents_round_trip_and_refuse_fractions_of_a_cent() -> None:
    assert to_cents(D("12.34")) == 1234 and to_cents(D("12.3")) == 1230 and to_cents(D("-0.05")) == -5
    assert from_cents(1234) == D("12.34") and str(from_cents(5)) == "0.05" and str(from_cents(0)) == "0.00"
    with pytest.raises(ValueError):
        to_cents(D("0.005"))
    with pytest.raises(ValueError):
        as_2dp(D("1.001"))
    assert str(as_2dp(D("150"))) == "150.00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.125", "0.13"), ("0.135", "0.14"), ("0.1249999", "0.12"), ("-0.125", "-0.13"), ("2.5", "2.50")],
)
def test_cents_half_up_rounds_halves_away_from_zero(value: str, expected: str) -> None:
    assert str(cents_half_up(D(value))) == expected


def test_cents_half_up_is_exact_on_non_terminating_values() -> None:
    assert cents_half_up(Fraction(1, 3)) == D("0.33")
    assert cents_half_up(time_amount(100, D("150.00"))) == D("250.00")  # 1.666… h x 150
    assert cents_half_up(time_amount(1, D("0.30"))) == D("0.01")  # 0.005 exactly: half-up


def test_half_cent_ties_are_the_ones_where_half_up_and_half_even_disagree() -> None:
    assert is_half_cent_tie(D("0.125")) and is_half_cent_tie(D("0.045"))
    assert not is_half_cent_tie(D("0.135"))  # both modes give 0.14
    assert not is_half_cent_tie(D("0.1251")) and not is_half_cent_tie(D("0.12"))


@given(minutes)
def test_hours_are_exact_exactly_for_multiples_of_three_minutes(m: int) -> None:
    hours = exact_hours(m)
    assert (hours is not None) == (m % 3 == 0)
    if hours is not None:
        assert hours * 60 == m and is_exact(hours, 2)


def test_exact_product_is_none_when_xero_would_have_to_round() -> None:
    assert exact_product(D("1.50"), D("150.00")) == D("225.00")
    assert exact_product(D("0.05"), D("150.01")) is None  # 7.5005
    assert exact_product(D("0.5"), D("0.25")) is None  # 0.125: half-up 0.13, half-even 0.12


# -- time lines ---------------------------------------------------------------------------------------------
def test_hours_are_the_quantity_when_the_product_is_exact() -> None:
    line = time_line("2026-11-03 — Design review", 90, D("150.00"))
    assert (line.quantity, line.unit_amount, line.line_amount) == (D("1.50"), D("150.00"), D("225.00"))
    assert str(line.quantity) == "1.50" and line.description == "2026-11-03 — Design review"
    assert (line.minutes, line.rate, line.kind) == (90, D("150.00"), LineKind.TIME)


def test_quantity_one_and_the_amount_when_hours_do_not_terminate() -> None:
    line = time_line("Support", 100, D("150.00"))
    assert (line.quantity, line.unit_amount, line.line_amount) == (D("1"), D("250.00"), D("250.00"))
    assert line.description == "Support (1h 40m at 150.00/h)"
    odd = time_line("Support", 10, D("99.99"))  # 16.665 -> 16.67, rounded once, half-up
    assert (odd.quantity, odd.line_amount) == (D("1"), D("16.67"))


def test_quantity_one_when_hours_terminate_but_the_product_does_not() -> None:
    line = time_line("Support", 3, D("150.01"))  # 0.05 h x 150.01 = 7.5005
    assert (line.quantity, line.line_amount) == (D("1"), D("7.50")) and "(3m at 150.01/h)" in line.description


@given(minutes, rates)
def test_every_time_line_is_exact_and_rounded_once(m: int, rate: Decimal) -> None:
    line = time_line("Work", m, rate)
    assert line.quantity * line.unit_amount == line.line_amount  # nothing left for Xero to round
    assert line.line_amount == cents_half_up(time_amount(m, rate))  # whichever form, the same amount
    assert is_exact(line.quantity, 4) and is_exact(line.unit_amount, 2) and line.unitdp == 2
    assert line.quantity == 1 or line.quantity * 60 == m


def test_long_descriptions_are_clipped_keeping_the_hours() -> None:
    line = time_line("x" * 5000, 100, D("150.00"))
    assert len(line.description) == 4000 and line.description.endswith("(1h 40m at 150.00/h)")
    assert "…" in line.description


def test_a_line_refuses_an_inexact_product_or_a_missing_description() -> None:
    with pytest.raises(ValueError, match="Xero would compute"):
        Line("Oops", D("0.1667"), D("150.00"), D("25.00"))
    with pytest.raises(ValueError, match="decimal places"):
        Line("Oops", D("0.16667"), D("150.00"), D("25.0005"))
    with pytest.raises(ValueError, match="description"):
        Line("  ", D("1"), D("1.00"), D("1.00"))
    assert Line("Four places", D("300"), D("0.3333"), D("99.99")).unitdp == 4


def test_amount_lines_and_the_xero_line_item_carry_decimals_only() -> None:
    line = amount_line("Retainer", D("1500"), kind=LineKind.RETAINER)
    assert (line.quantity, line.unit_amount, line.line_amount) == (D("1"), D("1500.00"), D("1500.00"))
    item = line_item(DraftLine(line.description, line.quantity, line.unit_amount, "200", "OUTPUT2", "CONSULT",
                               [{"Name": "Region", "Option": "North"}, {"Name": "", "Option": "unnamed"}]))
    assert item == {
        "Description": "Retainer",
        "Quantity": D("1"),
        "UnitAmount": D("1500.00"),
        "AccountCode": "200",
        "TaxType": "OUTPUT2",
        "ItemCode": "CONSULT",
        "Tracking": [{"Name": "Region", "Option": "North"}],
    }
    assert not any(isinstance(v, float) for v in item.values())
    assert set(line_item(DraftLine(line.description, line.quantity, line.unit_amount))) == {
        "Description", "Quantity", "UnitAmount"}


def test_labels() -> None:
    assert [hours_label(m) for m in (0, 45, 60, 137, 180)] == ["0m", "45m", "1h", "2h 17m", "3h"]
    assert money_label(D("1234.5")) == "1,234.50" and money_label(D("0")) == "0.00"


# -- totals -------------------------------------------------------------------------------------------------
def test_tax_is_rounded_per_line_then_summed() -> None:
    result = totals([D("0.25")] * 10, "Exclusive", D("15"))
    assert result.total_tax == D("0.40") and result.subtotal == D("2.50") and result.total == D("2.90")
    assert line_tax(D("2.50"), D("15"), LineAmountType.EXCLUSIVE) == D("0.38")  # what taxing the sum would give


def test_inclusive_and_no_tax() -> None:
    inclusive = totals([D("50.00")], LineAmountType.INCLUSIVE, D("15"))
    assert (inclusive.subtotal, inclusive.total_tax, inclusive.total) == (D("43.48"), D("6.52"), D("50.00"))
    no_tax = totals([D("50.00"), D("0.01")], "notax", D("15"))
    assert (no_tax.subtotal, no_tax.total_tax, no_tax.total) == (D("50.01"), D("0.00"), D("50.01"))
    assert totals([], "Exclusive", D("15")) == Totals(D("0.00"), D("0.00"), D("0.00"), ())
    with pytest.raises(ValueError):
        LineAmountType.parse("Gross")


def test_per_line_rates_and_tie_reporting() -> None:
    result = totals([D("0.30"), D("0.10"), D("100.00")], "Exclusive", [D("15"), D("15"), D("0")])
    assert result.line_taxes == (D("0.05"), D("0.02"), D("0.00"))  # 0.045 -> 0.05 half-up; 0.015 -> 0.02
    assert result.tie_lines == (0,) and not result.certain  # 0.045: half-even would say 0.04
    with pytest.raises(ValueError):
        totals([D("1.00")], "Exclusive", [D("15"), D("15")])
    lines = [time_line("A", 90, D("150.00")), time_line("B", 100, D("150.00"))]
    assert invoice_totals(lines, "Exclusive", D("15")).total == D("475.00") + D("33.75") + D("37.50")


@given(st.lists(amounts, max_size=20), tax_rates, st.sampled_from(list(LineAmountType)))
def test_totals_match_the_sandbox_arithmetic(values: list[Decimal], rate: Decimal, kind: LineAmountType) -> None:
    ours = totals(values, kind, rate)
    for mode in ("half_up", "half_even"):
        theirs = [xero_line_tax(v, rate, kind.value, Rounder(mode)) for v in values]
        differing = {i for i, (a, b) in enumerate(zip(ours.line_taxes, theirs, strict=True)) if a != b}
        if mode == "half_up":
            assert not differing
        else:
            assert differing <= set(ours.tie_lines)  # only where we said Xero might round the other way
