"""The budget alert (task ``budget.alert``): a DM to every active manager, admin and the owner of the workspace,
with a Report button that opens the project's report; and, when the project says so, a post in its linked channel.

A channel post Slack refuses (Hour Cap not invited, the channel archived or gone) is not retried: the managers'
DMs say it failed and how to fix it, so the alert is never lost and never repeated."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.slack_clients import SlackNotInstalled
from bot.views.budget_alert import BudgetAlertView, budget_alert_message, channel_failed_note
from jobs.registry import JobContext, TaskRegistry
from reports.tasks_budget import BUDGET_ALERT_TASK
from storage.models import BillingMode, BudgetAlert, Client, Member, Project, Role, Workspace
from team.formats import workspace_formats
from team.members import active_members

log = logging.getLogger(__name__)
MANAGER_ROLES = (Role.MANAGER.value, Role.ADMIN.value, Role.OWNER.value)


def announce(ctx: JobContext, alert_id: int) -> None:
    with ctx.db.session() as session:
        alert = session.get(BudgetAlert, alert_id)
        project = session.get(Project, alert.project_id) if alert is not None else None
        if alert is None or project is None or project.workspace_id != alert.workspace_id:
            return
        client = session.get(Client, project.client_id)
        workspace = session.get(Workspace, alert.workspace_id)
        assert client is not None and workspace is not None
        retainer = project.billing_mode == BillingMode.RETAINER.value
        view = BudgetAlertView(project.id, project.name, client.id, client.name, alert.threshold, alert.share,
                               date.fromisoformat(f"{alert.period}-01") if retainer else None,
                               project.retainer_included_minutes or 0, project.budget_amount,
                               workspace_formats(session, alert.workspace_id))
        people = list(session.scalars(select(Member.slack_user_id).where(
            Member.workspace_id == alert.workspace_id, Member.role.in_(MANAGER_ROLES), active_members())))
        channel = project.slack_channel_id if project.budget_alerts_in_channel else None
        team_id, enterprise_id = workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client_api = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
    except SlackNotInstalled:
        log.info("no bot token: budget alert %s not sent", alert_id)
        return
    text, blocks = budget_alert_message(view)
    if channel is not None:
        try:
            client_api.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            log.warning("could not post budget alert %s in %s: %s", alert_id, channel, error)
            blocks = [*blocks, channel_failed_note(channel, error)]
    for user_id in people:
        try:
            client_api.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not DM %s the budget alert: %s", user_id, exc.response.get("error"))


def register(tasks: TaskRegistry) -> None:
    tasks.add(BUDGET_ALERT_TASK, announce)
