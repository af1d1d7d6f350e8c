"""Home's "Money and dates" setting for admins (pure): how amounts and dates read now, and the locale picker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from formats import LOCALES, Formats, locale_label

ACTION_LOCALE = "workspace_locale_pick"
BLOCK_LOCALE = "workspace_locale"
SAMPLE_AMOUNT = Decimal("1234.50")
SAMPLE_DAY = date(2026, 11, 3)


def sample(formats: Formats) -> str:
    """"$1,234.50 · Tue 3 Nov 2026 · November 2026": what every screen shows with these formats."""
    return " · ".join((formats.money(SAMPLE_AMOUNT), formats.weekday_date(SAMPLE_DAY),
                       formats.month_year(SAMPLE_DAY)))


def _short_sample(formats: Formats) -> str:
    return f"{formats.money(SAMPLE_AMOUNT)} · {formats.full_date(SAMPLE_DAY)}"


def locale_section(formats: Formats) -> list[dict[str, Any]]:
    currency = (f"the Xero organisation's currency ({formats.currency})" if formats.currency
                else "no currency symbol until Xero is connected")
    text = (f"*Money and dates:* {sample(formats)}\n"
            f"{locale_label(formats.locale)}; {currency}.")
    section = b.section(text, block_id=BLOCK_LOCALE)
    choices = [(tag, f"{locale_label(tag)} · {_short_sample(Formats(tag, formats.currency))}") for tag in LOCALES]
    section["accessory"] = b.static_select(ACTION_LOCALE, "Locale", choices, initial=formats.locale)
    return [section]  # one block: Home at its largest is near Slack's 100
