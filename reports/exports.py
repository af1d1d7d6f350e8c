"""Asking for a report's CSV or chart: the request is checked now (the same role rules as the report itself) and
recorded as work in the outbox; a Slack-side task builds the file and uploads it to the person's DM."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from reports.periods import PeriodKind
from reports.report import ReportGrouping, ReportRequest, load_catalog, report_scope
from storage.models import Member
from storage.outbox import record

CSV_TASK = "report.csv"
CHART_TASK = "report.chart"


def request_args(request: ReportRequest) -> dict[str, Any]:
    """A request as plain job arguments (ids and values only)."""
    return {"period": request.period.value, "grouping": request.grouping.value,
            "start": request.start.isoformat() if request.start else None,
            "end": request.end.isoformat() if request.end else None,
            "client_id": request.client_id, "project_id": request.project_id, "member_id": request.member_id}


def request_from_args(args: dict[str, Any]) -> ReportRequest:
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else None

    return ReportRequest(PeriodKind(args["period"]), ReportGrouping(args["grouping"]), day(args.get("start")),
                         day(args.get("end")), args.get("client_id"), args.get("project_id"), args.get("member_id"))


def request_file(session: Session, actor: Member, request: ReportRequest, task: str, today: date) -> None:
    """Record the CSV or chart of ``request`` for ``actor``'s DM; refuses now what the report would refuse."""
    report_scope(session, actor, request, today, load_catalog(session, actor.workspace_id))
    record(session, task, {"member_id": actor.id, "today": today.isoformat(), "request": request_args(request)},
           workspace_id=actor.workspace_id)
