"""Reading what managers type into the client / project / rate forms (pure: no I/O, no Slack).

Money is `Decimal` with at most two decimal places, parsed from text by a strict pattern (so NaN, infinity,
exponents and thousands separators never get in); durations are whole minutes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TypeVar

from errors import InvalidInput

MAX_RATE = Decimal("1000000")  # per hour
MAX_AMOUNT = Decimal("1000000000")  # retainers and budgets
MAX_INCLUDED_HOURS = Decimal("744")  # a 31-day month, around the clock
NAME_MAX = 120
CODE_MAX = 32

PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)  # digits and one decimal point: no NaN, 1e3, -5
_MONEY = re.compile(r"[0-9]{1,10}(?:[.,][0-9]+)?", re.ASCII)  # ASCII only: \d would take ١٠٠ or １００
_CODE = re.compile(r"[A-Za-z0-9_-]+")
_SPACES = re.compile(r"\s+")


T = TypeVar("T")


def has_non_ascii_digit(value: str | None) -> bool:
    """True if `value` holds a digit other than 0–9 (`١٠٠`, `１００`, `²`): Python's `int()`, `Decimal()` and
    `str.isdigit()` read those as numbers, Hour Cap never does."""
    return any(c.isdigit() and not c.isascii() for c in value or "")


def digits_message(what: str, example: str) -> str:
    """The one wording for a number typed with other digits: "Use the digits 0–9 for the rate (for example …)."."""
    return f"Use the digits 0–9 for the {what} (for example {example})."


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


class Field:
    """Form field names: use cases report errors under them and the modals use them as block ids."""

    CLIENT_NAME = "client_name"
    CLIENT_ROUNDING = "client_rounding"
    ARCHIVED = "archived"
    PROJECT_CLIENT = "project_client"
    PROJECT_NAME = "project_name"
    CODE = "project_code"
    RATE = "hourly_rate"
    BILLABLE = "billable"
    MODE = "billing_mode"
    RETAINER_AMOUNT = "retainer_amount"
    INCLUDED_HOURS = "included_hours"
    OVERAGE_RATE = "overage_rate"
    BUDGET = "budget_amount"
    CHANNEL = "channel"
    CHANNEL_ALERTS = "channel_alerts"
    MEMBER = "member"
    MEMBER_RATE = "member_rate"
    ROUNDING = "rounding"


def clean_text(value: str | None) -> str:
    """Trimmed, inner runs of whitespace collapsed to one space."""
    return _SPACES.sub(" ", value or "").strip()


def name_key(value: str) -> str:
    """Uniqueness key for names: trimmed, spaces collapsed, case folded ("  ACME  Ltd" == "acme ltd")."""
    return clean_text(value).casefold()


def parse_name(value: str | None, what: str) -> str:
    name = clean_text(value)
    if not name:
        raise InvalidInput(f"Give the {what} a name.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"Keep the {what} name to {NAME_MAX} characters or fewer.")
    return name


def parse_code(value: str | None) -> str:
    code = (value or "").strip()
    if not code:
        raise InvalidInput("Give the project a short code, like acme-web: people type it after /hours.")
    if len(code) > CODE_MAX or not _CODE.fullmatch(code):
        raise InvalidInput(f"Codes use letters, digits, - and _ only (no spaces), at most {CODE_MAX} characters.")
    return code


def parse_money(value: str | None, label: str = "Rate", *, maximum: Decimal = MAX_RATE,
                required: bool = False, positive: bool = False) -> Decimal | None:
    """`"120"`, `"95.5"`, `"95.50"` or `"95,50"` → Decimal('95.50'); empty → None (or an error if required).

    Refused: negatives, anything but digits and one decimal separator (so no NaN, Infinity, 1e3, 1,000),
    more than two decimal places, values above `maximum`, and zero when `positive`.
    """
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label} is required for this billing mode: enter a number like 120 or 95.50.")
        return None
    if has_non_ascii_digit(text):
        raise InvalidInput(digits_message(_lower_first(label), "120 or 95.50"))
    if not _MONEY.fullmatch(text):
        raise InvalidInput(f"{label} must be a number like 120 or 95.50.")
    whole, _, cents = text.replace(",", ".").partition(".")
    if len(cents) > 2:
        raise InvalidInput(f"{label} can have at most 2 decimal places, like 95.50.")
    amount = Decimal(f"{whole}.{cents or '0'}").quantize(Decimal("0.01"))
    if amount > maximum:
        raise InvalidInput(f"{label} must be at most {maximum:,}.")
    if positive and amount == 0:
        raise InvalidInput(f"{label} must be more than 0.")
    return amount


def parse_hours_as_minutes(value: str | None, label: str = "Included hours", *, required: bool = False) -> int | None:
    """Hours typed as `40`, `37.5` or `37,5` → whole minutes (2250); refuses values that are not whole minutes."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label} is required for a retainer: enter hours like 40 or 37.5.")
        return None
    if has_non_ascii_digit(text):
        raise InvalidInput(digits_message(_lower_first(label), "40 or 37.5"))
    if not _MONEY.fullmatch(text):
        raise InvalidInput(f"{label} must be a number of hours like 40 or 37.5.")
    hours = Decimal(text.replace(",", "."))
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise InvalidInput(f"{label} must come to whole minutes, like 40, 37.5 or 12.25.")
    if hours > MAX_INCLUDED_HOURS:
        raise InvalidInput(f"{label} must be at most {MAX_INCLUDED_HOURS} hours a month.")
    if minutes <= 0:
        raise InvalidInput(f"{label} must be more than 0.")
    return int(minutes)


def money_input(amount: Decimal | None) -> str:
    """What a form field shows for an amount: no thousands separators, so it parses back unchanged."""
    return "" if amount is None else f"{amount:.2f}"


def hours_input(minutes: int | None) -> str:
    """2250 → `37.5`, 2400 → `40`; the inverse of `parse_hours_as_minutes`."""
    if minutes is None:
        return ""
    hours = Decimal(minutes) / 60
    text = f"{hours:.4f}".rstrip("0").rstrip(".")
    return text
