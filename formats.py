"""Money and dates as every screen shows them: one formatter, built on Babel's copy of the Unicode CLDR.

A `Formats` holds the workspace's locale (separators, grouping, month and day names) and the Xero organisation's
currency (its symbol and its own number of decimals: JPY 0, KWD 3, most 2). Views take one and never format
money or dates by hand, so "$1,234.50" reads the same on Home, in a report and in an invoice's status message.

Decisions:
- Amounts are `Decimal`, rounded half-up to the currency's decimals before Babel sees them, as invoices round
  (Babel itself would round half-even). Without a currency (Xero not connected yet) an amount is a plain number
  with two decimals in the locale's separators.
- Dates keep one order in every locale, day first ("3 Nov", "Tue 3 Nov 2026"): the locale names the months and
  weekdays ("3 Nov." in de-DE). Month and year together follow the locale's own pattern ("November 2026").
- An unknown or malformed locale falls back to `DEFAULT_LOCALE`, so a stored value can never break a screen.
- CSV exports and the text of invoice lines sent to Xero stay plain decimals and ISO dates: they are data, not
  screens (reports/csv_export.py, invoicing/lines.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import NumberPattern, format_currency, get_currency_precision, parse_pattern

DEFAULT_LOCALE = "en-US"
# The locales an admin can pick (BCP 47 tags): a short list one Slack select shows whole. Their names and samples
# come from CLDR too (`locale_label`).
LOCALES: tuple[str, ...] = ("en-US", "en-GB", "en-AU", "en-NZ", "en-CA", "en-IE", "en-ZA", "de-DE", "fr-FR", "es-ES",
                            "nl-NL")
LOCALE_TAGS = frozenset(LOCALES)


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE, sep="-")


@lru_cache(maxsize=64)
def _plain_pattern(tag: str) -> NumberPattern:
    """The locale's decimal pattern with exactly two decimals (its grouping and separators kept)."""
    pattern = copy.copy(parse_pattern(_locale(tag).decimal_formats[None].pattern))
    pattern.frac_prec = (2, 2)
    return pattern


@lru_cache(maxsize=64)
def day_first(tag: str) -> bool:
    """Whether the locale writes a date's day before its month, by CLDR's medium date pattern: "3/4" typed in
    `/hours` is 3 April in en-GB, de-DE or en-ZA and March 4 in en-US or en-CA."""
    pattern = str(_locale(tag).date_formats["medium"].pattern)
    day, month = pattern.find("d"), pattern.find("M")
    return 0 <= day < month


@lru_cache(maxsize=4096)
def _money_text(tag: str, currency: str | None, shown: str) -> str:
    """One rounded amount as the locale writes it: Babel takes ~30 µs an amount, and screens repeat theirs (a
    project's rate on every row, a Home published again and again), so each is written once. Keyed by the amount's
    text, which tells apart what `==` does not (-0.00 and 0.00)."""
    amount = Decimal(shown)
    if currency is None:
        return _plain_pattern(tag).apply(amount, _locale(tag))
    return format_currency(amount, currency.upper(), locale=_locale(tag), currency_digits=True)


def currency_decimals(currency: str | None) -> int:
    """How many decimals the currency has (CLDR): USD 2, JPY 0, KWD 3; 2 without a currency."""
    return get_currency_precision(currency.upper()) if currency else 2


def rounded(amount: Decimal, currency: str | None) -> Decimal:
    """`amount` half-up to the currency's decimals, the way invoice amounts round."""
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Formats:
    locale: str = DEFAULT_LOCALE
    currency: str | None = None  # ISO 4217 code of the Xero organisation's base currency; None until known

    def with_currency(self, currency: str | None) -> Formats:
        """The same locale with a document's own currency (an invoice's), else this one's."""
        return Formats(self.locale, currency.upper() if currency else self.currency)

    # -- money ---------------------------------------------------------------------------------------------
    def money(self, amount: Decimal) -> str:
        """`$1,234.50` (en-US, USD), `1.234,50 €` (de-DE, EUR), `¥1,235` (JPY); `1,234.50` with no currency."""
        if not isinstance(amount, Decimal):
            raise TypeError(f"money is Decimal, not {type(amount).__name__}")
        return _money_text(self.locale, self.currency, str(rounded(amount, self.currency)))

    def rate(self, amount: Decimal) -> str:
        """An hourly rate: `$150.00/h`."""
        return f"{self.money(amount)}/h"

    # -- dates ---------------------------------------------------------------------------------------------
    def day(self, day: date) -> str:
        """`3 Nov`."""
        return format_date(day, "d MMM", locale=_locale(self.locale))

    def weekday(self, day: date) -> str:
        """`Tue 3 Nov`."""
        return format_date(day, "EEE d MMM", locale=_locale(self.locale))

    def full_date(self, day: date) -> str:
        """`3 Nov 2026`."""
        return format_date(day, "d MMM y", locale=_locale(self.locale))

    def weekday_date(self, day: date) -> str:
        """`Tue 3 Nov 2026`."""
        return format_date(day, "EEE d MMM y", locale=_locale(self.locale))

    def month(self, day: date) -> str:
        """`November` (the month on its own)."""
        return format_date(day, "LLLL", locale=_locale(self.locale))

    def short_month(self, day: date) -> str:
        """`Nov`."""
        return format_date(day, "LLL", locale=_locale(self.locale))

    def month_year(self, day: date) -> str:
        """`November 2026`, in the locale's own order."""
        return format_skeleton("yMMMM", day, locale=_locale(self.locale))

    def weekday_name(self, day: date) -> str:
        """`Tue`."""
        return format_date(day, "EEE", locale=_locale(self.locale))


DEFAULT = Formats()


def locale_label(tag: str) -> str:
    """"English (United States)", "German (Germany)": the locale's name in English."""
    return str(_locale(tag).get_display_name("en"))
