"""Invoice arithmetic as Xero does it, in Decimal.

``LineAmount = Quantity x UnitAmount`` rounded to 2 dp; tax is computed per line, rounded to 2 dp, then
summed; totals are 2 dp. Unit amounts keep 2 dp, or 4 with ``unitdp=4``; quantities keep 4 dp. Whether Xero
rounds half-up or half-even is unconfirmed (Xero does not document it), so the mode is a sandbox setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
CENT = Decimal("0.01")
FOUR_DP = Decimal("0.0001")


def to_decimal(value: object) -> Decimal | None:
    """A JSON number (or numeric string, which Xero also accepts) as Decimal; None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None


@dataclass(frozen=True)
class Rounder:
    """Rounds with the configured mode (``half_up`` or ``half_even``)."""

    mode: str = "half_up"

    def q(self, value: Decimal, exp: Decimal) -> Decimal:
        return value.quantize(exp, rounding=ROUNDING_MODES[self.mode])

    def cents(self, value: Decimal) -> Decimal:
        return self.q(value, CENT)

    def unit(self, value: Decimal, unitdp: int) -> Decimal:
        return self.q(value, FOUR_DP if unitdp == 4 else CENT)

    def quantity(self, value: Decimal) -> Decimal:
        return self.q(value, FOUR_DP)


def line_tax(line_amount: Decimal, rate: Decimal, amount_types: str, rounder: Rounder) -> Decimal:
    """Tax on one line: on top of the amount (Exclusive) or inside it (Inclusive); none for NoTax."""
    if amount_types == "NoTax" or rate == 0:
        return Decimal("0.00")
    if amount_types == "Inclusive":
        return rounder.cents(line_amount * rate / (Decimal(100) + rate))
    return rounder.cents(line_amount * rate / Decimal(100))
