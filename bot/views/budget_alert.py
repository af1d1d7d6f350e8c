"""The budget alert DM'd to managers (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.reports import ACTION_OPEN, encode_request, hours
from bot.views.text import user_text
from formats import DEFAULT, Formats
from reports.periods import PeriodKind, month_end
from reports.report import ReportGrouping, ReportRequest

Reply = tuple[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class BudgetAlertView:
    project_id: int
    project_name: str
    client_id: int
    client_name: str
    threshold: int
    share: int
    month: date | None  # a retainer month's first day; None for a fixed budget
    included_minutes: int = 0
    budget: Decimal | None = None
    formats: Formats = DEFAULT  # the workspace's locale and the Xero organisation's currency


def budget_alert_message(alert: BudgetAlertView) -> Reply:
    name = f"*{user_text(alert.project_name)}* ({user_text(alert.client_name)})"
    if alert.month is not None:
        when = alert.formats.month_year(alert.month)
        what = f"{alert.share}% of the {hours(alert.included_minutes)} included in {when}"
        request = ReportRequest(PeriodKind.CUSTOM, ReportGrouping.MEMBER, alert.month, month_end(alert.month),
                                str(alert.client_id), str(alert.project_id))
    else:
        of = f" of {alert.formats.money(alert.budget)}" if alert.budget is not None else ""
        what = f"{alert.share}% of its fixed budget{of}"
        request = ReportRequest(PeriodKind.THIS_MONTH, ReportGrouping.MEMBER, client_id=str(alert.client_id),
                                project_id=str(alert.project_id))
    icon = ":rotating_light:" if alert.threshold >= 100 else ":warning:"
    over = " — it is over" if alert.share > 100 else ""
    text = f"{icon} {name} has used {what} (logged billable time){over}."
    fallback = f"{alert.project_name} ({alert.client_name}): {what}"
    return fallback, [b.section(text), b.actions("budget_alert", [b.button("Report", ACTION_OPEN,
                                                                           encode_request(request))])]


_CHANNEL_PROBLEMS = {
    "not_in_channel": "Hour Cap isn't in that channel: invite it there (`/invite @Hour Cap`)",
    "is_archived": "the channel is archived: link another one in the project",
    "channel_not_found": "Hour Cap can't see that channel (private, or deleted): invite it there or link another one",
}


def channel_failed_note(channel_id: str, error: str) -> dict[str, Any]:
    """Added to the managers' DM when Slack refused the alert's post in the project's linked channel."""
    why = _CHANNEL_PROBLEMS.get(error, f"Slack answered `{user_text(error[:60])}`")
    return b.context(f":warning: This alert could not be posted in <#{channel_id}>: {why}. "
                     "Or turn off channel alerts in the project.")
