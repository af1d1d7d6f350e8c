"""The report's CSV and chart, built and uploaded to the requester's DM (tasks ``report.csv``, ``report.chart``).

The CSV streams from the database into a temporary file and from there to Slack, so memory stays flat; the chart
is a PNG shown in a message whose image block points at the uploaded file (``slack_file``), so it needs no
public URL (Socket Mode included).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.file_upload import upload_to_dm
from bot.slack_clients import SlackNotInstalled
from bot.views.report_files import chart_message, csv_comment, file_stem
from jobs.registry import JobContext, TaskRegistry
from reports.chart import chart_data, render_png
from reports.csv_export import entry_rows, write_csv
from reports.exports import CHART_TASK, CSV_TASK, request_from_args
from reports.report import ReportRequest
from storage.models import Member, Workspace

log = logging.getLogger(__name__)


def _who(ctx: JobContext, member_id: int) -> tuple[WebClient, str] | None:
    with ctx.db.session() as session:
        member = session.get(Member, member_id)
        workspace = session.get(Workspace, member.workspace_id) if member is not None else None
        if member is None or workspace is None:
            return None
        user_id, team_id, enterprise_id = member.slack_user_id, workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client: WebClient = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token for the workspace of member %s: no report file", member_id)
        return None
    return client, user_id


def _actor(session: Any, member_id: int) -> Member:
    member = session.get(Member, member_id)
    assert member is not None
    return member


def send_csv(ctx: JobContext, member_id: int, today: str, request: dict[str, Any]) -> None:
    found = _who(ctx, member_id)
    if found is None:
        return
    client, user_id = found
    wanted: ReportRequest = request_from_args(request)
    day = date.fromisoformat(today)
    with tempfile.TemporaryDirectory(prefix="hourcap-csv-") as folder:
        path = Path(folder) / "report.csv"
        with ctx.db.session() as session, path.open("wb") as out:
            count = write_csv(entry_rows(session, _actor(session, member_id), wanted, day), out)
        name = f"{file_stem(wanted, day)}.csv"
        upload_to_dm(client, user_id, path, filename=name, title=name, comment=csv_comment(count))


def send_chart(ctx: JobContext, member_id: int, today: str, request: dict[str, Any]) -> None:
    found = _who(ctx, member_id)
    if found is None:
        return
    client, user_id = found
    wanted = request_from_args(request)
    day = date.fromisoformat(today)
    with ctx.db.session() as session:
        data = chart_data(session, _actor(session, member_id), wanted, day)
    with tempfile.TemporaryDirectory(prefix="hourcap-chart-") as folder:
        path = Path(folder) / "chart.png"
        path.write_bytes(render_png(data))
        name = f"{file_stem(wanted, day)}.png"
        file_id, channel = upload_to_dm(client, user_id, path, filename=name, title=data.title)
    text, blocks = chart_message(data.title, file_id)
    client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def register(tasks: TaskRegistry) -> None:
    tasks.add(CSV_TASK, send_csv)
    tasks.add(CHART_TASK, send_chart)
