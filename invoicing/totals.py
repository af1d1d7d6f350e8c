"""Invoice totals the way Xero computes them (docs/XERO.md "Numbers"; sandbox/xero/money.py).

Per line, tax is computed on the line amount and rounded to 2 dp; the rounded taxes are then summed:

* **Exclusive** — tax = amount x rate / 100 on top: subtotal = Σ amounts, total = subtotal + Σ tax;
* **Inclusive** — tax = amount x rate / (100 + rate) inside: total = Σ amounts, subtotal = total - Σ tax;
* **NoTax** — no tax: subtotal = total = Σ amounts.

Line amounts are exact by construction (``invoicing.lines.Line``), so only the per-line tax is rounded on
Xero's side. We round it half-up, exactly (no Decimal context precision), and report the lines whose tax falls
on a half cent where half-up and half-even disagree (``Totals.tie_lines``): Xero's choice there is unconfirmed,
so on those lines the preview cannot promise the cent. Summing the rounded per-line taxes, not taxing the sum,
matters: ten lines of 0.25 at 15% carry 0.40 of tax, not 0.38.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from invoicing.lines import Line
from invoicing.money import ZERO, as_2dp, cents_half_up, is_half_cent_tie


class LineAmountType(StrEnum):
    EXCLUSIVE = "Exclusive"
    INCLUSIVE = "Inclusive"
    NO_TAX = "NoTax"

    @classmethod
    def parse(cls, value: str) -> LineAmountType:
        """Case-insensitive, as Xero accepts it (``exclusive``, ``NOTAX``)."""
        for member in cls:
            if member.value.lower() == value.strip().lower():
                return member
        raise ValueError(f"line amount type {value!r} is not Exclusive, Inclusive or NoTax")


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    line_taxes: tuple[Decimal, ...]
    tie_lines: tuple[int, ...] = ()  # indexes of lines whose tax Xero might round the other way

    @property
    def certain(self) -> bool:
        """True when the figures do not depend on Xero's unconfirmed rounding mode."""
        return not self.tie_lines


def _exact_tax(amount: Decimal, rate: Decimal, kind: LineAmountType) -> Fraction:
    if kind is LineAmountType.NO_TAX or rate == 0:
        return Fraction(0)
    if kind is LineAmountType.INCLUSIVE:
        return Fraction(amount) * Fraction(rate) / (100 + Fraction(rate))
    return Fraction(amount) * Fraction(rate) / 100


def line_tax(amount: Decimal, rate: Decimal, kind: LineAmountType | str) -> Decimal:
    """Tax on one line amount at ``rate`` percent, rounded half-up to 2 dp."""
    kind = LineAmountType.parse(kind) if isinstance(kind, str) else kind
    return cents_half_up(_exact_tax(amount, rate, kind))


def totals(
    amounts: Iterable[Decimal], kind: LineAmountType | str, tax_rates: Decimal | Sequence[Decimal]
) -> Totals:
    """Subtotal, tax and total for line amounts (each exact at 2 dp) at one tax rate or one rate per line.

    Rates are percentages (15 for 15%). With NoTax the rates are ignored, as Xero ignores them.
    """
    kind = LineAmountType.parse(kind) if isinstance(kind, str) else kind
    values = [as_2dp(a) for a in amounts]
    if isinstance(tax_rates, Decimal):
        rates: Sequence[Decimal] = [tax_rates] * len(values)
    else:
        rates = tax_rates
        if len(rates) != len(values):
            raise ValueError("one tax rate per line, or a single rate for all")
    exact = [_exact_tax(a, r, kind) for a, r in zip(values, rates, strict=True)]
    taxes = tuple(cents_half_up(t) for t in exact)
    ties = tuple(i for i, t in enumerate(exact) if is_half_cent_tie(t))
    line_sum = sum(values, ZERO)
    tax = sum(taxes, ZERO)
    if kind is LineAmountType.INCLUSIVE:
        return Totals(line_sum - tax, tax, line_sum, taxes, ties)
    return Totals(line_sum, tax, line_sum + tax, taxes, ties)


def invoice_totals(lines: Sequence[Line], kind: LineAmountType | str, tax_rates: Decimal | Sequence[Decimal]) -> Totals:
    """``totals`` over the lines' amounts (the preview's figures)."""
    return totals((line.line_amount for line in lines), kind, tax_rates)
