"""The one money and date formatter (formats.py): CLDR symbols, decimals and separators, half-up rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import get_currency_symbol, parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from formats import DEFAULT, DEFAULT_LOCALE, LOCALES, Formats, currency_decimals, locale_label, rounded

CURRENCIES = ("USD", "GBP", "EUR", "NZD", "AUD", "JPY", "KWD", "CHF", "ZAR", "SEK", "BHD", "INR")
DAY = date(2026, 11, 3)


def _number_part(text: str, currency: str, tag: str) -> str:
    """The formatted amount without its currency symbol (and the spaces that part them)."""
    symbol = get_currency_symbol(currency, locale=Locale.parse(tag, sep="-"))
    return text.replace(symbol, "").replace(currency, "").strip(" \u00a0\u202f")


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(min_value=-10**12, max_value=10**12), places=st.integers(min_value=0, max_value=4),
       currency=st.sampled_from(CURRENCIES), tag=st.sampled_from(LOCALES))
def test_formatted_money_parses_back_to_the_amount_rounded_as_invoices_round(
        cents: int, places: int, currency: str, tag: str) -> None:
    amount = Decimal(cents).scaleb(-places)
    text = Formats(tag, currency).money(amount)
    shown = parse_decimal(_number_part(text, currency, tag), locale=Locale.parse(tag, sep="-"), strict=True)
    assert shown == rounded(amount, currency)
    fraction = str(shown).partition(".")[2]
    assert len(fraction) == currency_decimals(currency)  # the currency's own decimals, trailing zeros kept


def test_each_currency_has_its_own_decimals_from_cldr() -> None:
    assert (currency_decimals("USD"), currency_decimals("JPY"), currency_decimals("KWD")) == (2, 0, 3)
    assert Formats("en-US", "JPY").money(Decimal("1234.50")) == "¥1,235"  # no decimals, half-up
    assert Formats("en-US", "KWD").money(Decimal("1.2345")) == "KWD1.235"


def test_rounding_is_half_up_like_invoices_not_babels_half_even() -> None:
    assert Formats("en-US", "USD").money(Decimal("0.125")) == "$0.13"
    assert Formats("en-US", "USD").money(Decimal("2.665")) == "$2.67"
    assert DEFAULT.money(Decimal("0.005")) == "0.01"


def test_the_default_keeps_usd_and_gbp_as_they_were() -> None:
    assert Formats(DEFAULT_LOCALE, "USD").money(Decimal("1234.5")) == "$1,234.50"
    assert Formats(DEFAULT_LOCALE, "GBP").money(Decimal("4250")) == "£4,250.00"
    assert DEFAULT.money(Decimal("1234.5")) == "1,234.50"  # Xero not connected: no symbol
    assert (DEFAULT.day(DAY), DEFAULT.weekday(DAY), DEFAULT.weekday_date(DAY)) == ("3 Nov", "Tue 3 Nov",
                                                                                  "Tue 3 Nov 2026")
    assert (DEFAULT.month(DAY), DEFAULT.month_year(DAY)) == ("November", "November 2026")


def test_german_uses_comma_decimals_and_puts_the_euro_after() -> None:
    german = Formats("de-DE", "EUR")
    assert german.money(Decimal("1234.5")) == "1.234,50\u00a0€"
    assert german.rate(Decimal("95")) == "95,00\u00a0€/h"
    assert Formats("de-DE").money(Decimal("1234.5")) == "1.234,50"
    assert german.weekday_date(DAY) == "Di. 3 Nov. 2026"
    assert Formats("fr-FR").month_year(DAY) == "novembre 2026"


def test_an_invoice_currency_wins_over_the_organisations() -> None:
    assert Formats("en-US", "NZD").with_currency("usd").money(Decimal(1)) == "$1.00"
    assert Formats("en-US", "NZD").with_currency(None).money(Decimal(1)) == "NZ$1.00"


def test_a_stored_locale_that_is_not_known_falls_back_to_the_default() -> None:
    assert Formats("xx-NOPE", "USD").money(Decimal("1234.5")) == "$1,234.50"
    assert Formats("", "USD").day(DAY) == "3 Nov"


def test_money_is_decimal_never_float() -> None:
    with pytest.raises(TypeError):
        DEFAULT.money(12.5)  # type: ignore[arg-type]


def test_every_offered_locale_has_a_name() -> None:
    assert locale_label("en-US") == "English (United States)"
    assert locale_label("de-DE") == "German (Germany)"
    assert len(set(LOCALES)) == len(LOCALES) <= 100  # one Slack select holds them all


def test_an_amount_written_once_is_written_alike_for_each_locale_currency_and_sign() -> None:
    # formats writes each (locale, currency, amount) once: what it keeps must tell apart what == does not
    for first, second in ((Decimal("0.00"), Decimal("-0.00")), (Decimal("-0.00"), Decimal("0.00"))):
        written = (Formats("en-US", "USD").money(first), Formats("en-US", "USD").money(second))
        assert written[0].startswith("-") == first.is_signed()
        assert written[1].startswith("-") == second.is_signed()
    assert Formats("en-US", "USD").money(Decimal("5")) == "$5.00"
    assert Formats("de-DE", "USD").money(Decimal("5")) == "5,00\u00a0$"
    assert Formats("en-US", "EUR").money(Decimal("5")) == "€5.00"
    assert Formats("en-US", None).money(Decimal("5")) == "5.00"
