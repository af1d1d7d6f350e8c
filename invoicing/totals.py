"""Invoice totals the way Xero computes them (as sandbox/xero/money.py models them).

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

from invoicing.lines import Line
from invoicing.money import from_cents, half_cent_tie, half_up, ratio, to_cents


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


def tax_terms(kind: LineAmountType, rate: Decimal) -> tuple[int, int] | None:
    """(multiplier, divisor) with tax cents = ``half_up(amount cents x multiplier, divisor)`` for a line at
    ``rate`` percent, or None when there is no tax. Exclusive: amount x rate / 100; inclusive: amount x rate /
    (100 + rate). Integers, so ``invoicing.summary`` applies the same rule in SQL."""
    if kind is LineAmountType.NO_TAX or rate == 0:
        return None
    numerator, denominator = ratio(rate)
    if kind is LineAmountType.INCLUSIVE:
        return numerator, 100 * denominator + numerator
    return numerator, 100 * denominator


def line_tax_cents(cents: int, terms: tuple[int, int] | None) -> tuple[int, bool]:
    """(tax in cents, whether it falls on a half cent Xero might round the other way) for a line of ``cents``."""
    if terms is None:
        return 0, False
    multiplier, divisor = terms
    sign = -1 if cents < 0 else 1
    exact = abs(cents) * multiplier
    return sign * half_up(exact, divisor), bool(half_cent_tie(exact, divisor))


def line_tax(amount: Decimal, rate: Decimal, kind: LineAmountType | str) -> Decimal:
    """Tax on one line amount at ``rate`` percent, rounded half-up to 2 dp."""
    kind = LineAmountType.parse(kind) if isinstance(kind, str) else kind
    return from_cents(line_tax_cents(to_cents(amount), tax_terms(kind, rate))[0])


def summed(kind: LineAmountType, line_cents: int, tax_cents: int) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, total) from the sum of the line amounts and the sum of the per-line taxes."""
    lines, tax = from_cents(line_cents), from_cents(tax_cents)
    if kind is LineAmountType.INCLUSIVE:
        return lines - tax, tax, lines
    return lines, tax, lines + tax


def totals(
    amounts: Iterable[Decimal], kind: LineAmountType | str, tax_rates: Decimal | Sequence[Decimal]
) -> Totals:
    """Subtotal, tax and total for line amounts (each exact at 2 dp) at one tax rate or one rate per line.

    Rates are percentages (15 for 15%). With NoTax the rates are ignored, as Xero ignores them.
    """
    return cents_totals([to_cents(a) for a in amounts], kind, tax_rates)


def cents_totals(cents: Sequence[int], kind: LineAmountType | str,
                 tax_rates: Decimal | Sequence[Decimal]) -> Totals:
    """``totals`` of line amounts given in integer cents (the modal prices its grouped lines in cents)."""
    kind = LineAmountType.parse(kind) if isinstance(kind, str) else kind
    if isinstance(tax_rates, Decimal):
        terms = [tax_terms(kind, tax_rates)] * len(cents)
    else:
        if len(tax_rates) != len(cents):
            raise ValueError("one tax rate per line, or a single rate for all")
        terms = [tax_terms(kind, r) for r in tax_rates]
    taxed = [line_tax_cents(c, t) for c, t in zip(cents, terms, strict=True)]
    subtotal, tax, total = summed(kind, sum(cents), sum(t for t, _ in taxed))
    return Totals(subtotal, tax, total, tuple(from_cents(t) for t, _ in taxed),
                  tuple(i for i, (_, tie) in enumerate(taxed) if tie))


def invoice_totals(lines: Sequence[Line], kind: LineAmountType | str, tax_rates: Decimal | Sequence[Decimal]) -> Totals:
    """``totals`` over the lines' amounts (the preview's figures)."""
    return totals((line.line_amount for line in lines), kind, tax_rates)
