"""Reports: ``/hours report`` (answered in the ack), its pager, the Home → Reports modal with live results, and
Home's monthly summary switch.

Thin listeners: read the request from the payload (the words, a button's value or the modal's selects), build the
report through ``reports.report.build_report`` (which checks the role) and render a pure view.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.errors import reported
from bot.home import publish_home, read_home_state, read_invoice_list_state
from bot.slack_errors import update_view
from bot.views.hours import Reply
from bot.views.monthly_summary import ACTION_MONTHLY_SUMMARY
from bot.views.report_files import queued_note
from bot.views.reports import (
    ACTION_CHART,
    ACTION_CSV,
    ACTION_FILTER,
    ACTION_OPEN,
    ACTION_PAGE,
    ACTION_PAGE_PREV,
    ANY,
    BLOCK_CLIENT,
    BLOCK_END,
    BLOCK_GROUPING,
    BLOCK_MEMBER,
    BLOCK_PERIOD,
    BLOCK_PROJECT,
    BLOCK_START,
    CALLBACK_REPORT,
    decode_request,
    report_modal,
    report_reply,
)
from errors import UserError
from reports.command_text import parse_report_text
from reports.exports import CHART_TASK, CSV_TASK, request_file
from reports.monthly_summary import set_monthly_summary
from reports.periods import PeriodKind
from reports.report import ReportGrouping, ReportRequest, build_report, load_catalog, sees_team
from timesheets.member_calendar import member_today


def command_reply(context: BoltContext, rest: str) -> Reply:
    """``/hours report <words>``: the report, ephemeral, in the ack."""
    request = parse_report_text(rest)
    with context["db"].session() as session:
        member = context["actor"](session)
        return report_reply(build_report(session, member, request, member_today(member)))


def _choice(value: Any) -> str | None:
    return None if value in (None, "", ANY) else str(value)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def request_from_form(form: Any, previous: ReportRequest) -> ReportRequest:
    """The modal's selects as a request (a select Slack did not send keeps the previous choice)."""
    def pick(block: str) -> Any:
        return form.value(block, ACTION_FILTER)

    try:
        period = PeriodKind(pick(BLOCK_PERIOD) or previous.period.value)
        grouping = ReportGrouping(pick(BLOCK_GROUPING) or previous.grouping.value)
    except ValueError:
        period, grouping = previous.period, previous.grouping
    return ReportRequest(period, grouping, _day(pick(BLOCK_START)) or previous.start,
                         _day(pick(BLOCK_END)) or previous.end, _choice(pick(BLOCK_CLIENT)),
                         _choice(pick(BLOCK_PROJECT)), _choice(pick(BLOCK_MEMBER)))


def build_modal(context: BoltContext, request: ReportRequest, page: int = 0,
                note: str | None = None) -> dict[str, Any]:
    with context["db"].session() as session:
        member = context["actor"](session)
        catalog = load_catalog(session, member.workspace_id)
        clients = sorted(((str(c.id), c.name) for c in catalog.clients.values()), key=lambda c: c[1].casefold())
        projects = sorted(((str(p.id), f"{p.name} ({p.code})") for p in catalog.projects.values()),
                          key=lambda p: p[1].casefold())
        members = sorted(((str(m.id), m.display_name or m.slack_user_id) for m in catalog.members.values()),
                         key=lambda m: m[1].casefold()) if sees_team(member) else []
        try:
            report, problem = build_report(session, member, request, member_today(member)), None
        except UserError as error:
            report, problem = None, str(error)
    return report_modal(report, request, page, clients=clients, projects=projects, members=members,
                        problem=problem, note=note)


@reported
def handle_open(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                client: WebClient) -> None:
    """Home → Reports (the default report), or a budget alert's Report button (the report its value names)."""
    ack()
    request, _page = decode_request(action.get("value")) if action.get("value") else (ReportRequest(), 0)
    client.views_open(trigger_id=body["trigger_id"], view=build_modal(context, request))


@reported
def handle_filter(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """A select or date of the modal changed: the result is rebuilt in place (first page)."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != CALLBACK_REPORT:
        return
    previous, _page = decode_request(view.get("private_metadata"))
    request = request_from_form(context["form"], previous)
    if request.period is not PeriodKind.CUSTOM:
        request = replace(request, start=None, end=None)
    update_view(client, view, build_modal(context, request), "report modal update")


@reported
def handle_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    """Previous / Next: in the modal a views.update, on a message a replacement through its response_url."""
    ack()
    request, page = decode_request(action.get("value"))
    view = body.get("view")
    if view is not None and view.get("callback_id") == CALLBACK_REPORT:
        update_view(client, view, build_modal(context, request, page), "report modal page")
        return
    with context["db"].session() as session:
        member = context["actor"](session)
        text, blocks = report_reply(build_report(session, member, request, member_today(member)), page)
    respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")


_FILES = {ACTION_CSV: (CSV_TASK, "CSV"), ACTION_CHART: (CHART_TASK, "chart")}


@reported
def handle_file(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    """Chart or CSV: checked and recorded now, built and uploaded to the person's DM by a task."""
    ack()
    task, what = _FILES[action["action_id"]]
    request, page = decode_request(action.get("value"))
    with context["db"].session() as session:
        member = context["actor"](session)
        request_file(session, member, request, task, member_today(member))
    view = body.get("view")
    if view is not None and view.get("callback_id") == CALLBACK_REPORT:
        current, page = decode_request(view.get("private_metadata"))
        update_view(client, view, build_modal(context, current, page, note=queued_note(what)), "report modal note")
        return
    respond(text=queued_note(what), replace_original=False, response_type="ephemeral")


@reported
def handle_monthly_summary(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                           client: WebClient) -> None:
    """Home's monthly summary switch (the use case checks the role); Home is published again where it was."""
    ack()
    with context["db"].session() as session:
        set_monthly_summary(session, context["actor"](session), action.get("value") == "on")
    view = body.get("view") or {}
    if view.get("type") == "home":
        page, show_all = read_home_state(view.get("private_metadata"))
        chosen, invoice_page = read_invoice_list_state(view.get("private_metadata"))
        publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                     show_archived=show_all, invoice_filter=chosen, invoice_page=invoice_page)


def register(app: App) -> None:
    app.action(ACTION_MONTHLY_SUMMARY)(handle_monthly_summary)
    app.action(ACTION_OPEN)(handle_open)
    app.action(ACTION_FILTER)(handle_filter)
    app.action(ACTION_PAGE)(handle_page)
    app.action(ACTION_PAGE_PREV)(handle_page)
    app.action(ACTION_CSV)(handle_file)
    app.action(ACTION_CHART)(handle_file)
