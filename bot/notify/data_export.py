"""The zip of all of a workspace's data, built and sent to the admin who asked (task ``export.all_data``).

The zip is written to a temporary file (rows stream into it) and streamed from there to Slack, so memory stays
flat. The role is checked again here: someone who stopped being an admin since asking gets nothing.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from bot.file_upload import upload_to_dm
from bot.slack_clients import SlackNotInstalled
from bot.views.data_export import export_comment, export_filename
from errors import PermissionDenied
from jobs.registry import JobContext, TaskRegistry
from reports.data_export import EXPORT_TASK, write_export
from storage.models import Member, Workspace
from storage.types import utcnow
from team.roles import Permission, require

log = logging.getLogger(__name__)


def send_export(ctx: JobContext, member_id: int) -> None:
    with ctx.db.session() as session:
        member = session.get(Member, member_id)
        workspace = session.get(Workspace, member.workspace_id) if member is not None else None
        if member is None or workspace is None or workspace.uninstalled_at is not None:
            return
        try:
            require(member, Permission.EXPORT_DATA)
        except PermissionDenied:
            log.info("member %s is no longer an admin: no export", member_id)
            return
        user_id, team_id, enterprise_id = member.slack_user_id, workspace.slack_team_id, workspace.slack_enterprise_id
        workspace_id = workspace.id
    try:
        client = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token for team %s: no export sent", team_id)
        return
    with tempfile.TemporaryDirectory(prefix="hourcap-export-") as folder:
        path = Path(folder) / "export.zip"
        with ctx.db.session() as session, path.open("wb") as out:
            summary = write_export(session, workspace_id, out)
        name = export_filename(team_id, utcnow().date().isoformat())
        upload_to_dm(client, user_id, path, filename=name, title=name, comment=export_comment(summary.counts))


def register(tasks: TaskRegistry) -> None:
    tasks.add(EXPORT_TASK, send_export)
