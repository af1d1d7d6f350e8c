"""Reports in Slack: the ephemeral answer to ``/hours report`` and the Home → Reports modal (pure builders).

Names people typed (clients, projects, members) reach mrkdwn only through ``text.user_text``; rows are packed into
sections whole by ``blocks.line_sections``, and a long report pages (**Previous** / **Next**), saying which rows
are shown of how many, so nothing is ever cut silently. What the person asked for travels in the pager buttons'
values and in the modal's metadata (``encode_request``), so a page or a change rebuilds the report from scratch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.text import user_text
from formats import Formats
from reports.budgets import FixedBudget, RetainerMonth
from reports.figures import Figures
from reports.periods import PeriodKind, period_label
from reports.report import Report, ReportGrouping, ReportRequest, ReportRow
from timesheets.burn import hours_text

ACTION_PAGE = "report_page"
ACTION_PAGE_PREV = "report_page_prev"
ACTION_OPEN = "report_open"  # Home → Reports
ACTION_CHART = "report_chart"
ACTION_CSV = "report_csv"
ACTION_FILTER = "report_filter"  # every select and date picker of the modal (block ids tell them apart)
CALLBACK_REPORT = "report_modal"
ROWS_PER_PAGE = 20  # top-level rows (a client's projects come with it)
MAX_ROW_SECTIONS = 12
ANY = "any"  # the filter choice "Any" (an option value cannot be empty)

BLOCK_PERIOD, BLOCK_GROUPING, BLOCK_CLIENT, BLOCK_PROJECT, BLOCK_MEMBER, BLOCK_START, BLOCK_END = (
    "report_period", "report_grouping", "report_client", "report_project", "report_member", "report_start",
    "report_end")

Reply = tuple[str, list[dict[str, Any]]]

_PERIODS = [(kind.value, kind.label) for kind in PeriodKind]
_GROUPINGS = [(g.value, f"By {g.value}") for g in ReportGrouping]


# ---- the request, carried in buttons and metadata ----------------------------------------------------------------


def encode_request(request: ReportRequest, page: int = 0) -> str:
    data: dict[str, Any] = {"p": request.period.value, "g": request.grouping.value, "n": page}
    for key, value in (("c", request.client_id), ("j", request.project_id), ("m", request.member_id)):
        if value not in (None, ""):
            data[key] = str(value)
    if request.start and request.end:
        data["s"], data["e"] = request.start.isoformat(), request.end.isoformat()
    return json.dumps(data, separators=(",", ":"))


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def decode_request(value: str | None) -> tuple[ReportRequest, int]:
    """What ``encode_request`` wrote; anything unreadable is the default report, first page."""
    try:
        data = json.loads(value or "{}")
        if not isinstance(data, dict):
            raise ValueError
        request = ReportRequest(PeriodKind(data.get("p", PeriodKind.THIS_WEEK.value)),
                                ReportGrouping(data.get("g", ReportGrouping.CLIENT.value)),
                                _day(data.get("s")), _day(data.get("e")), data.get("c"), data.get("j"),
                                data.get("m"))
        page = data.get("n", 0)
        return request, page if isinstance(page, int) and page >= 0 else 0
    except (ValueError, TypeError):
        return ReportRequest(), 0


# ---- figures as text ---------------------------------------------------------------------------------------------


def hours(minutes: int) -> str:
    return f"{hours_text(minutes)} h"


def _figures(figures: Figures, money: bool, formats: Formats) -> str:
    parts = [f"*{hours(figures.minutes)}*"]
    if figures.minutes:
        parts.append(f"billable {hours(figures.billable_minutes)} · non-billable {hours(figures.non_billable_minutes)}")
    if money and figures.billable_minutes:
        shown = formats.money
        parts.append(f"value {shown(figures.value)} (invoiced {shown(figures.invoiced)}, "
                     f"uninvoiced {shown(figures.uninvoiced)})")
        if figures.unapproved_cents:
            parts.append(f"not yet approved {shown(figures.unapproved)} (invoiced once approved)")
        if figures.unpriced_minutes:
            parts.append(f"{hours(figures.unpriced_minutes)} without a rate")
    return " · ".join(parts)


def _name(row: ReportRow) -> str:
    name = user_text(row.label)
    return f"{name} ({user_text(row.code)})" if row.code else name


def _row_lines(row: ReportRow, money: bool, formats: Formats) -> list[str]:
    lines = [f"*{_name(row)}* — {_figures(row.figures, money, formats)}"]
    lines.extend(f"    ◦ {_name(child)} — {_figures(child.figures, money, formats)}" for child in row.children)
    return lines


def _retainer_line(month: RetainerMonth, formats: Formats) -> str:
    name = user_text(month.project_name)
    when = formats.month_year(month.month)
    if not month.included_minutes:
        return f"{name}, {when}: {hours(month.used_minutes)} (retainer, no included hours set)"
    line = f"{name}, {when}: {hours(month.used_minutes)} of {hours(month.included_minutes)} ({month.share}%)"
    if month.overage_minutes:
        over = f"{hours(month.overage_minutes)} over"
        value = month.overage_value
        line += f" — {over}, {formats.money(value)} at the overage rate" if value is not None else f" — {over}"
    return line


def _budget_line(budget: FixedBudget, formats: Formats) -> str:
    name, money = user_text(budget.project_name), formats.money
    if budget.share is None or budget.budget is None:
        line = f"{name}: {money(budget.used)} of time logged (no budget total set)"
    else:
        line = f"{name}: {money(budget.used)} of {money(budget.budget)} ({budget.share}%)"
    if budget.unpriced_minutes:
        line += f"; {hours(budget.unpriced_minutes)} logged without a rate aren't counted"
    return line


def title(report: Report) -> str:
    kind = report.request.period
    when = period_label(report.period, report.formats)
    lead = "Your hours" if not report.money else "Report"
    head = f"{lead}: {kind.label.lower()}" if kind is not PeriodKind.CUSTOM else lead
    return f"{head} ({when}), by {report.request.grouping.value}"


def report_blocks(report: Report, page: int = 0, *, buttons: bool = True) -> list[dict[str, Any]]:
    """The report's blocks: title, filters, total, the page's rows, retainers and budgets, pager, Chart/CSV."""
    pages = max(1, -(-len(report.rows) // ROWS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = report.rows[page * ROWS_PER_PAGE:(page + 1) * ROWS_PER_PAGE]
    blocks: list[dict[str, Any]] = [b.section(f"*{title(report)}*")]
    if report.filters:
        blocks.append(b.context(" · ".join(user_text(f) for f in report.filters)))
    if not report.rows:
        blocks.append(b.section("No time logged in this period."))
    else:
        blocks.append(b.section(f"Total — {_figures(report.total, report.money, report.formats)}"))
        lines = [line for row in shown for line in _row_lines(row, report.money, report.formats)]
        blocks.extend(b.line_sections(lines, max_sections=MAX_ROW_SECTIONS, what="rows"))
    if report.retainers and page == 0:
        lines = [_retainer_line(m, report.formats) for m in report.retainers]
        blocks.append(b.section("*Retainers*\n" + "\n".join(lines)))
    if report.budgets and page == 0:
        lines = [_budget_line(x, report.formats) for x in report.budgets]
        blocks.append(b.section("*Fixed budgets*\n" + "\n".join(lines)))
    if pages > 1:
        first, last = page * ROWS_PER_PAGE + 1, page * ROWS_PER_PAGE + len(shown)
        blocks.append(b.context(f"Rows {first}–{last} of {len(report.rows)}"
                                + (f" — {len(report.rows) - last} more on the next page." if last < len(report.rows)
                                   else ".")))
        pager = []
        if page > 0:
            pager.append(b.button("Previous", ACTION_PAGE_PREV, encode_request(report.request, page - 1)))
        if page < pages - 1:
            pager.append(b.button("Next", ACTION_PAGE, encode_request(report.request, page + 1)))
        blocks.append(b.actions("report_pager", pager))
    if buttons and report.rows:
        value = encode_request(report.request)
        blocks.append(b.actions("report_files", [b.button("Chart", ACTION_CHART, value),
                                                  b.button("CSV", ACTION_CSV, value)]))
    return blocks


def report_reply(report: Report, page: int = 0) -> Reply:
    total = hours(report.total.minutes)
    return f"{title(report)}: {total}", report_blocks(report, page)


# ---- the modal ---------------------------------------------------------------------------------------------------


def _select(block_id: str, placeholder: str, choices: list[tuple[str, str]], value: str | None) -> dict[str, Any]:
    choices = choices[:100]  # a static select holds 100 options; more are reached with the other filters
    element = b.static_select(ACTION_FILTER, placeholder, choices, initial=value if value else None)
    return {"type": "actions", "block_id": block_id, "elements": [element]}


def _datepicker(block_id: str, placeholder: str, value: date | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": ACTION_FILTER, "placeholder": b.plain(placeholder)}
    if value is not None:
        element["initial_date"] = value.isoformat()
    return {"type": "actions", "block_id": block_id, "elements": [element]}


def report_modal(report: Report | None, request: ReportRequest, page: int, *, clients: list[tuple[str, str]],
                 projects: list[tuple[str, str]], members: list[tuple[str, str]], problem: str | None = None,
                 note: str | None = None) -> dict[str, Any]:
    """The Reports modal: period, grouping and filters (each change re-renders it), then the live result.
    ``members`` is empty for a member, who sees only their own hours."""
    everything = [(ANY, "Any")]
    blocks: list[dict[str, Any]] = [
        _select(BLOCK_PERIOD, "Period", _PERIODS, request.period.value),
        _select(BLOCK_GROUPING, "Grouping", _GROUPINGS, request.grouping.value),
        _select(BLOCK_CLIENT, "Client", everything + clients, str(request.client_id or ANY)),
        _select(BLOCK_PROJECT, "Project", everything + projects, str(request.project_id or ANY)),
    ]
    if members:
        blocks.append(_select(BLOCK_MEMBER, "Person", everything + members, str(request.member_id or ANY)))
    if request.period is PeriodKind.CUSTOM:
        blocks.append(_datepicker(BLOCK_START, "First day", request.start))
        blocks.append(_datepicker(BLOCK_END, "Last day", request.end))
    blocks.append(b.divider())
    if note:
        blocks.append(b.context(note))
    if problem:
        blocks.append(b.section(f":warning: {problem}"))
    elif report is not None:
        blocks.extend(report_blocks(replace(report, request=request), page))
    return {"type": "modal", "callback_id": CALLBACK_REPORT, "title": b.plain("Reports", 24),
            "close": b.plain("Close", 24), "private_metadata": encode_request(request, page), "blocks": blocks[:100]}
