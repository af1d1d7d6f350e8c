"""Billing part of a fixed budget: a percentage or an amount of what remains.

Money is handled in integer cents: the remaining budget is ``budget - already billed`` (the caller sums the
project's earlier fixed-fee lines on invoices that are not cancelled), and an invoice never bills beyond it.

* **percentage** — of what *remains*, not of the original budget ("bill 50%" twice leaves a quarter), rounded
  half-up to the cent once. It is at most 100, so it can never exceed what remains; 100% bills exactly the rest.
* **amount** — in whole cents, refused (not rounded) if finer, and refused if more than what remains: the person
  typed a number and should see why it is wrong, not a different number.

The budget is measured in line amounts, i.e. in the same terms as the invoice's line amount type (ex-tax under
Exclusive, tax-inclusive under Inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from invoicing.exact import amount_line
from invoicing.lines import Line, LineKind, money_label, squash
from invoicing.money import cents_half_up, from_cents, is_exact, percent_of, to_cents


class BudgetError(ValueError):
    """The requested part cannot be billed; the message is written for the person (a field error)."""


class BudgetBasis(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True)
class BudgetTerms:
    project_id: int
    project_name: str
    project_code: str
    budget: Decimal
    billed: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        for name, value in (("budget", self.budget), ("billed", self.billed)):
            if not value.is_finite() or value < 0 or not is_exact(value, 2):
                raise BudgetError(f"The {name} must be zero or more, in whole cents.")

    @property
    def remaining_cents(self) -> int:
        """What is left to bill; never negative (an over-billed budget, from before a budget cut, has nothing left)."""
        return max(0, to_cents(self.budget) - to_cents(self.billed))

    @property
    def remaining(self) -> Decimal:
        return from_cents(self.remaining_cents)


@dataclass(frozen=True)
class BudgetBill:
    line: Line
    remaining_before: Decimal
    remaining_after: Decimal


def amount_to_bill(terms: BudgetTerms, basis: BudgetBasis | str, value: Decimal) -> Decimal:
    """The 2 dp amount a request bills; BudgetError if it is zero, negative, too fine or beyond what remains."""
    basis = BudgetBasis(basis)
    remaining = terms.remaining_cents
    if remaining == 0:
        raise BudgetError("Nothing remains of this project's budget.")
    if not value.is_finite() or value <= 0:
        raise BudgetError("Enter a number greater than zero.")
    if basis is BudgetBasis.PERCENT:
        if value > 100:
            raise BudgetError("A percentage is at most 100.")
        cents = to_cents(cents_half_up(percent_of(terms.remaining, value)))
        if cents == 0:
            raise BudgetError("That percentage comes to less than a cent.")
        return from_cents(min(cents, remaining))
    if not is_exact(value, 2):
        raise BudgetError("Amounts are in whole cents (at most 2 decimal places).")
    cents = to_cents(value)
    if cents > remaining:
        raise BudgetError(f"Only {money_label(terms.remaining)} remains of this project's budget.")
    return from_cents(cents)


def budget_part(terms: BudgetTerms, basis: BudgetBasis | str, value: Decimal) -> BudgetBill:
    """The fixed-fee line for part of the remaining budget, with what remains before and after it."""
    basis = BudgetBasis(basis)
    amount = amount_to_bill(terms, basis, value)
    title = squash(terms.project_name)
    code = terms.project_code.strip()
    heading = f"{title} ({code})" if code else title
    after = from_cents(terms.remaining_cents - to_cents(amount))
    if basis is BudgetBasis.PERCENT:
        what = f"{value.normalize():f}% of the remaining budget"
    elif after == 0:
        what = "final payment of the fixed fee"
    else:
        what = "part payment of the fixed fee"
    note = (f"Budget {money_label(terms.budget)}; billed before {money_label(terms.billed)}; "
            f"remaining {money_label(terms.remaining)}, {money_label(after)} after this invoice.")
    line = amount_line(f"{heading} — {what}", amount, kind=LineKind.FIXED_FEE, project_ids=(terms.project_id,),
                       note=note)
    return BudgetBill(line, terms.remaining, after)
