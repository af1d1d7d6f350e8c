"""The nudge DM's buttons (Log time opens the form; Not working today stops that day's reminders) and the
workspace's reminder settings on Home (managers)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot import log_form
from bot.errors import reported
from bot.home import publish_home
from bot.views.log_modal import build_log_modal, offers_projects
from bot.views.nudge import ACTION_NUDGE_LOG, ACTION_NUDGE_QUIET, ACTION_NUDGE_SAME, copied_reply, quiet_reply
from bot.views.nudge_settings import (
    ACTION_OPEN_NUDGE_SETTINGS,
    BLOCK_DAYS,
    BLOCK_EXPECTED,
    BLOCK_TIME,
    CALLBACK_NUDGE_SETTINGS,
    read_settings_form,
    settings_modal,
)
from errors import FormErrors
from team.roles import Permission, require
from timesheets.copy_day import copy_day
from timesheets.grammar.durations import DurationError, parse_duration
from timesheets.nudge_clock import DAY_NAMES, parse_clock
from timesheets.nudges import (
    Settings,
    change_settings,
    not_working_today,
    previous_working_day,
    workspace_settings,
)


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


@reported
def handle_open_settings(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        require(context["actor"](session), Permission.CHANGE_NUDGE_SETTINGS)
        settings = workspace_settings(session, context["workspace_id"])
    client.views_open(trigger_id=body["trigger_id"], view=settings_modal(settings))


def _wanted(values: dict[str, dict[str, Any]]) -> Settings:
    enabled, day_names, expected, at = read_settings_form(values)
    errors: dict[str, str] = {}
    days = sum(1 << DAY_NAMES.index(name) for name in set(day_names) if name in DAY_NAMES)
    if enabled and not days:
        errors[BLOCK_DAYS] = "Pick at least one working day."
    minutes = 0
    try:
        minutes = parse_duration(expected) if expected.strip() != "0" else 0
    except DurationError as error:
        errors[BLOCK_EXPECTED] = error.message
    minute = parse_clock(at)
    if minute is None:
        errors[BLOCK_TIME] = "Pick a time of day."
    if errors:
        raise FormErrors(errors)
    assert minute is not None
    return Settings(enabled, days, minutes, minute)


@reported
def handle_settings_submitted(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    wanted = _wanted(context["form"])  # a refusal here becomes field errors
    with context["db"].session() as session:
        change_settings(session, context["actor"](session), wanted)
    ack()
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@reported
def handle_same(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    """"Same as yesterday", confirmed: the entries of the member's previous working day copied onto the nudge's
    day."""
    ack()
    day = _day(action.get("value"))
    if day is None:
        return
    with context["db"].session() as session:
        actor = context["actor"](session)
        copied = copy_day(session, actor, previous_working_day(session, actor, day), day)
    text, blocks = copied_reply(day, copied)
    respond(text=text, blocks=blocks, replace_original=True)


def register(app: App) -> None:
    app.action(ACTION_NUDGE_LOG)(handle_log)
    app.action(ACTION_NUDGE_QUIET)(handle_quiet)
    app.action(ACTION_NUDGE_SAME)(handle_same)
    app.action(ACTION_OPEN_NUDGE_SETTINGS)(handle_open_settings)
    app.view(CALLBACK_NUDGE_SETTINGS)(handle_settings_submitted)
