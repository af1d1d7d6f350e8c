"""The monthly summary DM (task ``reports.monthly_summary``): last month by client for one manager, as they may
see it (the report's own role rules), with the chart uploaded to their DM and shown in the message.

Idempotent: a summary marked sent is never sent again, and one whose manager is no longer an active manager, or
whose workspace turned the summary off meanwhile, is dropped.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from slack_sdk import WebClient

from bot.file_upload import dm_channel, upload_to_dm
from bot.slack_clients import SlackNotInstalled
from bot.slack_errors import slack_api
from bot.views.monthly_summary import month_name, summary_message, summary_request
from jobs.registry import JobContext, TaskRegistry
from reports.chart import chart_data, render_png
from reports.monthly_summary import SUMMARY_ROLES, SUMMARY_TASK
from reports.periods import month_end
from reports.report import build_report
from storage.models import Member, MonthlySummary, Workspace
from storage.types import utcnow

log = logging.getLogger(__name__)


def send(ctx: JobContext, summary_id: int) -> None:
    with ctx.db.session() as session:
        summary = session.get(MonthlySummary, summary_id)
        if summary is None or summary.sent_at is not None:
            return
        member = session.get(Member, summary.member_id)
        workspace = session.get(Workspace, summary.workspace_id)
        if (member is None or workspace is None or member.workspace_id != workspace.id or not member.is_active
                or member.role not in SUMMARY_ROLES or not workspace.monthly_summary):
            return
        month = summary.month
        today = month_end(month) + timedelta(days=1)
        request = summary_request(month)
        report = build_report(session, member, request, today)
        png = render_png(chart_data(session, member, request, today)) if report.rows else None
        user_id, team_id, enterprise_id = member.slack_user_id, workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client: WebClient = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token: monthly summary %s not sent", summary_id)
        return
    file_id = None
    if png is None:  # nothing logged: no chart, the message says so
        channel = dm_channel(client, user_id)
    else:
        with tempfile.TemporaryDirectory(prefix="hourcap-summary-") as folder:
            path = Path(folder) / "chart.png"
            path.write_bytes(png)
            file_id, channel = upload_to_dm(client, user_id, path, filename=f"hourcap-summary-{month:%Y-%m}.png",
                                            title=f"Hours per week by project, {month_name(month, report.formats)}")
    text, blocks = summary_message(report, month, file_id)
    with slack_api():
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    with ctx.db.session() as session:
        summary = session.get(MonthlySummary, summary_id)
        if summary is not None:
            summary.sent_at = utcnow()


def register(tasks: TaskRegistry) -> None:
    tasks.add(SUMMARY_TASK, send)
