"""The monthly summary DM'd to managers: last month by client — hours, value, invoiced and uninvoiced — with a
Report button and the chart (pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.report_files import chart_message
from bot.views.reports import ACTION_OPEN, encode_request, hours
from bot.views.text import user_text
from formats import DEFAULT, Formats
from reports.figures import Figures
from reports.periods import PeriodKind, month_end
from reports.report import Report, ReportGrouping, ReportRequest

Reply = tuple[str, list[dict[str, Any]]]
MAX_CLIENT_SECTIONS = 20  # a message holds 50 blocks; past these, a line says how many clients are not shown


def summary_request(month: date) -> ReportRequest:
    """The report behind the summary of ``month`` (its first day): that calendar month, by client."""
    return ReportRequest(PeriodKind.CUSTOM, ReportGrouping.CLIENT, month, month_end(month))


def month_name(month: date, formats: Formats = DEFAULT) -> str:
    return formats.month_year(month)


def _line(figures: Figures, formats: Formats) -> str:
    parts = [f"*{hours(figures.minutes)}*"]
    if figures.billable_minutes:
        money = formats.money
        parts.append(f"value {money(figures.value)}")
        parts.append(f"invoiced {money(figures.invoiced)} · uninvoiced {money(figures.uninvoiced)}")
        if figures.unapproved_cents:
            parts.append(f"not yet approved {money(figures.unapproved)}")
    else:
        parts.append("no billable time")
    return " · ".join(parts)


def summary_message(report: Report, month: date, chart_file_id: str | None) -> Reply:
    when = month_name(month, report.formats)
    blocks: list[dict[str, Any]] = [b.header(f"Monthly summary: {when}")]
    if not report.rows:
        blocks.append(b.section(f"No time was logged in {when}."))
    else:
        blocks.append(b.section(f"*Total* — {_line(report.total, report.formats)}"))
        lines = [f"*{user_text(row.label)}* — {_line(row.figures, report.formats)}" for row in report.rows]
        blocks.extend(b.line_sections(lines, max_sections=MAX_CLIENT_SECTIONS, what="clients"))
    blocks.append(b.actions("monthly_summary", [b.button("Report", ACTION_OPEN,
                                                         encode_request(summary_request(month)))]))
    if chart_file_id is not None:
        blocks.extend(chart_message(f"Hours per week by project, {when}", chart_file_id)[1])
    return f"Monthly summary, {when}: {hours(report.total.minutes)}", blocks


ACTION_MONTHLY_SUMMARY = "monthly_summary_switch"  # Home, managers and up: value "on" or "off"


def summary_switch(enabled: bool) -> dict[str, Any]:
    """Home's button beside Reports (no block of its own: Home holds at most 100): what a press would do."""
    if enabled:
        return b.button("Monthly summary: on", ACTION_MONTHLY_SUMMARY, "off")
    return b.button("Monthly summary: off", ACTION_MONTHLY_SUMMARY, "on", confirm=b.confirm(
        "Monthly summary", "On the 1st of each month at 09:00 in their own timezone, every manager, admin and the "
        "owner gets a DM with last month by client (hours, value, invoiced and uninvoiced) and its chart.",
        "Turn on"))
