"""Decimal money helpers for invoicing: cents, exactness checks, the one rounding we allow. No formatting here.

Why this module exists: the preview must show, to the cent, the totals Xero will compute from the lines we send.
Xero multiplies ``Quantity x UnitAmount`` and rounds to 2 dp, and whether it rounds
halves up or to even is unconfirmed. So we never let Xero round a line: every line we build has a product that
is already exact at 2 dp, checked here. Where an amount has to be rounded (a duration whose hours do not
terminate, a percentage of a budget), *we* round it, half-up, once per line, and send the rounded amount.

Exact arithmetic is integer arithmetic on ratios (``Decimal.as_integer_ratio``) rather than the Decimal context,
because ``minutes / 60`` does not terminate in decimal for most durations and a 28-digit context would round
silently; ``fractions.Fraction`` would be as exact but is too slow for a preview of thousands of lines.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_QUANTITY_PLACES = 4  # Xero keeps 4 dp of a quantity
MAX_UNIT_PLACES = 4  # with ``unitdp=4``; 2 otherwise


def places(value: Decimal) -> int:
    """How many decimal places ``value`` really needs (``2.50`` needs 1, ``3`` and ``300`` need 0)."""
    if not value.is_finite():
        raise ValueError("not a finite amount")
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values have an int exponent
    return max(0, -exponent)


def ratio(value: Decimal | Fraction | int) -> tuple[int, int]:
    """``value`` as (numerator, positive denominator), exactly. Decimal's own conversion: no Fraction is built, which
    keeps the rules below to integer arithmetic (a preview prices thousands of lines)."""
    return value.as_integer_ratio()


def is_exact(value: Decimal | Fraction, dp: int) -> bool:
    """True if ``value`` has no digits beyond ``dp`` decimal places, i.e. rounding it to ``dp`` changes nothing."""
    numerator, denominator = ratio(value)
    return numerator * 10**dp % denominator == 0


def to_cents(value: Decimal) -> int:
    """A 2 dp amount as integer cents; refuses (ValueError) anything with a fraction of a cent."""
    numerator, denominator = ratio(value)
    cents, rest = divmod(numerator * 100, denominator)
    if rest:
        raise ValueError(f"{value} is not a whole number of cents")
    return cents


def from_cents(cents: int) -> Decimal:
    """Integer cents as a 2 dp Decimal (``1234`` → ``12.34``)."""
    return Decimal(cents).scaleb(-2)


# -- integer rules ----------------------------------------------------------------------------------------------
# Written with ``+ * // % == &`` only, on non-negative integers, so the same function also evaluates on
# SQLAlchemy integer column expressions: ``invoicing.summary`` has the database sum per-entry amounts with exactly
# the arithmetic a line uses here (integer division on both PostgreSQL and SQLite; every product fits in 64 bits
# for a day's minutes at any rate the schema can hold).
def half_up(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator`` rounded to an integer, halves up (both ≥ 0, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def half_cent_tie(numerator: Any, denominator: Any) -> Any:
    """True when ``numerator / denominator`` cents lies exactly on a half cent whose halves-up and halves-to-even
    roundings disagree (12.5 → 13 or 12). See ``is_half_cent_tie``."""
    return ((2 * numerator) % (2 * denominator) == denominator) & ((numerator // denominator) % 2 == 0)


def time_cents(minutes: Any, rate_numerator: Any, rate_denominator: Any) -> Any:
    """Cents for ``minutes`` at an hourly rate of ``rate_numerator / rate_denominator``, rounded half-up once:
    ``minutes / 60 x rate x 100``. Exact (no rounding at all) whenever the product is a whole number of cents."""
    return half_up(100 * minutes * rate_numerator, 60 * rate_denominator)


def cents_half_up(value: Decimal | Fraction) -> Decimal:
    """``value`` rounded to 2 dp, halves away from zero, computed exactly (no context precision involved).

    The only rounding Hour Cap does to money. Half-up is what a person expects from "round to the cent"; as the
    rounded result is what we send (quantity 1 × this amount), Xero's own rounding mode never applies to it.
    """
    numerator, denominator = ratio(value)
    cents = half_up(100 * abs(numerator), denominator)
    return from_cents(-cents if numerator < 0 else cents)


def is_half_cent_tie(value: Decimal | Fraction) -> bool:
    """True if rounding ``value`` to the cent half-up and half-even disagree (``0.125``: 0.13 vs 0.12).

    Tax is the one place Xero rounds for us (per line), and its half-up vs half-even choice is
    unconfirmed: on such a tie our figure may differ from Xero's by a cent. The preview can flag it instead of
    pretending to know. (``0.135`` is a half too, but both modes give 0.14.)
    """
    numerator, denominator = ratio(value)
    return bool(half_cent_tie(100 * abs(numerator), denominator))


def exact_hours(minutes: int) -> Decimal | None:
    """``minutes / 60`` as a Decimal if it terminates within Xero's 4 dp of quantity, else None.

    60 = 2² · 3 · 5, so the hours terminate exactly when the minutes are a multiple of 3 — and then they need at
    most 2 dp (``minutes / 3`` twentieths of an hour). 10 min = 0.1666… h cannot be sent as a quantity.
    """
    if minutes % 3:
        return None
    return Decimal(minutes * 5 // 3).scaleb(-2)


def exact_product(quantity: Decimal, unit_amount: Decimal) -> Decimal | None:
    """``quantity x unit_amount`` as a 2 dp Decimal if it is exact at 2 dp (Xero would not round it), else None."""
    q_num, q_den = ratio(quantity)
    u_num, u_den = ratio(unit_amount)
    cents, rest = divmod(q_num * u_num * 100, q_den * u_den)
    return None if rest else from_cents(cents)


def time_amount(minutes: int, rate: Decimal) -> Fraction:
    """The exact (unrounded) value of ``minutes`` at an hourly ``rate``."""
    return Fraction(minutes, 60) * Fraction(rate)


def as_2dp(value: Decimal) -> Decimal:
    """A value already exact at 2 dp written with exactly 2 dp (``150`` → ``150.00``); refuses anything finer."""
    if not is_exact(value, 2):
        raise ValueError(f"{value} has more than 2 decimal places")
    return value.quantize(CENT)


def as_places(value: Decimal, dp: int) -> Decimal:
    """A value exact at ``dp`` places written with 2 dp when it fits, else with ``dp`` (``2.5`` → ``2.50``)."""
    if not is_exact(value, dp):
        raise ValueError(f"{value} has more than {dp} decimal places")
    return value.quantize(CENT) if is_exact(value, 2) else value.quantize(Decimal(1).scaleb(-dp))


def percent_of(amount: Decimal, percent: Decimal) -> Fraction:
    """The exact ``percent`` % of ``amount`` (unrounded)."""
    return Fraction(amount) * Fraction(percent) / 100

