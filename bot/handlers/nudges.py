"""The nudge DM's buttons: Log time opens the form; Not working today stops that day's reminders."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot import log_form
from bot.errors import reported
from bot.views.log_modal import build_log_modal, offers_projects
from bot.views.nudge import ACTION_NUDGE_LOG, ACTION_NUDGE_QUIET, quiet_reply
from timesheets.nudges import not_working_today


@reported
def handle_log(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        form = log_form.blank_form(session, context["actor"](session), None)
    if offers_projects(form):
        client.views_open(trigger_id=body["trigger_id"], view=build_log_modal(form))


@reported
def handle_quiet(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient,
                 respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        day = not_working_today(session, context["actor"](session))
    text, blocks = quiet_reply(day)
    respond(text=text, blocks=blocks, replace_original=True)


def register(app: App) -> None:
    app.action(ACTION_NUDGE_LOG)(handle_log)
    app.action(ACTION_NUDGE_QUIET)(handle_quiet)
