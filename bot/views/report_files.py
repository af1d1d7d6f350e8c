"""Messages that carry a report's files (pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain
from reports.report import ReportRequest

Reply = tuple[str, list[dict[str, Any]]]


def file_stem(request: ReportRequest, today: date) -> str:
    return f"hourcap-report-{request.period.value.replace('_', '-')}-by-{request.grouping.value}-{today.isoformat()}"


def csv_comment(count: int) -> str:
    return f"The entries behind your report: {count:,} {'row' if count == 1 else 'rows'}, one per entry."


def chart_message(title: str, file_id: str) -> Reply:
    image = {"type": "image", "slack_file": {"id": file_id}, "alt_text": cut_plain(title, 2000),
             "title": b.plain(title, 2000)}
    return title, [image]


def queued_note(what: str) -> str:
    return f":inbox_tray: Your {what} is on its way to your direct messages with Hour Cap."
