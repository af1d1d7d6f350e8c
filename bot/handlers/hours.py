"""/hours: the command, the Log time modal, and the buttons on its replies (Undo, Edit, Delete, paging).

Thin listeners: read the payload, call a timesheets use case inside one transaction, render a pure view, reply.
Command replies travel in the ack (ephemeral, within Slack's 3 seconds: one short transaction each); buttons on
those replies answer through the interaction's response_url; modals open straight after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import log_form
from bot.errors import reported
from bot.handlers import nudges, reports
from bot.handlers.invoices import open_invoice_modal
from bot.profiles import profile_loader
from bot.slack_errors import (
    ChannelNotFound,
    IsArchived,
    NotInChannel,
    RestrictedAction,
    UserNotInChannel,
    slack_api,
    update_view,
)
from bot.views.approvals import submit_button, submit_confirm_reply
from bot.views.hours import (
    ACTION_DELETE,
    ACTION_EDIT,
    ACTION_PAGE,
    ACTION_PAGE_PREV,
    ACTION_UNDO,
    NO_TIMER,
    Reply,
    entry_sentence,
    help_reply,
    list_reply,
    logged_reply,
    removed_reply,
    team_log_reply,
    text_reply,
    timer_started_reply,
    timer_status_reply,
    timer_stopped_reply,
)
from bot.views.log_modal import (
    ACTION_VALUE,
    CALLBACK_LOG,
    CALLBACK_LOG_MESSAGE,
    NO_PROJECTS,
    LogForm,
    build_log_modal,
    offers_projects,
    read_form,
    read_metadata,
)
from errors import InvalidInput
from invoicing.create import check_can_create_invoices
from storage.models import Workspace
from timesheets.approvals import approvals_enabled, last_week_start, preview_submission, week_closed
from timesheets.entries import (
    EntryInput,
    Period,
    delete_entry,
    edit_entry,
    entry_for_edit,
    list_entries,
    log_entry,
    member_for_logging,
    undo_entry,
)
from timesheets.grammar.markup import readable_text
from timesheets.grammar.parse import Command, parse_command, parse_hours, parse_timer_start, split_people
from timesheets.lookup import FIELD_PROJECT, channel_project_id, project_choices, workspace_projects
from timesheets.member_calendar import member_today
from timesheets.nudges import remind
from timesheets.team_entries import check_may_log_for, log_for_people, people_named
from timesheets.timers import start_timer, stop_timer, timer_status

log = logging.getLogger(__name__)

PERIODS: dict[str, Period] = {"list": "week", "week": "week", "today": "today"}
# Slack answers these when an ephemeral reply can't go to the channel; the reply then goes to the person's DM.
_NOT_POSTABLE = (ChannelNotFound, NotInChannel, UserNotInChannel, IsArchived, RestrictedAction)


def _split(value: str | None) -> tuple[str, str]:
    """Button values are "a|b"; anything else reads as ("", "")."""
    first, _, second = (value or "").partition("|")
    return first, second


def _period(value: str) -> Period:
    return "today" if value == "today" else "week"


def _page(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() else 0


class Replies:
    """How an /hours listener answers the person: in the ack, through a response_url, or by a fresh message."""

    def __init__(self, client: WebClient, user_id: str) -> None:
        self.client = client
        self.user_id = user_id

    def private(self, channel_id: str | None, reply: Reply) -> None:
        """An ephemeral message in the channel the flow started from, else (or if that fails) a DM."""
        text, blocks = reply
        if channel_id:
            try:
                with slack_api():
                    self.client.chat_postEphemeral(channel=channel_id, user=self.user_id, text=text, blocks=blocks)
                return
            except _NOT_POSTABLE:
                pass
        self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)

    @staticmethod
    def replace(respond: Respond | WebhookClient, reply: Reply) -> bool:
        """Replace the message an interaction came from; False when Slack refused (response_url expired)."""
        text, blocks = reply
        if isinstance(respond, WebhookClient):
            answer = respond.send(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
        else:
            answer = respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
        return answer.status_code == 200


# ---------------------------------------------------------------- the command


@dataclass(frozen=True)
class Outcome:
    """What one /hours invocation answers: a reply in the ack, and/or a modal opened right after it."""

    reply: Reply | None = None
    form: LogForm | None = None
    view: dict[str, Any] | None = None
    then: Callable[[], None] | None = None  # runs after the ack (e.g. opening a modal that loads slowly)


def _without_form(outcome: Outcome) -> Outcome:
    """A form with no project to pick is never opened (Slack refuses it): say what to do, in the ack."""
    lead = f"{outcome.reply[0]}\n" if outcome.reply is not None else ""
    return Outcome(reply=text_reply(lead + NO_PROJECTS), then=outcome.then)


class HoursCommand:
    """One `/hours` invocation: `do_<kind>` per subcommand, each returning its Outcome."""

    def __init__(self, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        self.db = context["db"]
        self.context = context
        self.actor = context["actor"]
        self.client = client
        self.channel_id: str | None = body.get("channel_id")
        self.trigger_id: str = body.get("trigger_id", "")

    def run(self, command: Command, ack: Ack) -> None:
        outcome: Outcome = getattr(self, f"do_{command.kind}")(command.rest)
        if outcome.form is not None and not offers_projects(outcome.form):
            outcome = _without_form(outcome)
        if outcome.reply is not None:
            text, blocks = outcome.reply
            ack(text=text, blocks=blocks, response_type="ephemeral")
        else:
            ack()
        if outcome.form is not None:
            self.client.views_open(trigger_id=self.trigger_id, view=build_log_modal(outcome.form))
        if outcome.view is not None:
            self.client.views_open(trigger_id=self.trigger_id, view=outcome.view)
        if outcome.then is not None:
            outcome.then()

    def do_modal(self, _rest: str) -> Outcome:
        with self.db.session() as session:
            return Outcome(form=log_form.blank_form(session, self.actor(session), self.channel_id))

    def do_log(self, rest: str) -> Outcome:
        people = split_people(rest)
        if people.unknown:
            raise InvalidInput(f"I can't tell who {', '.join(people.unknown)} is: pick each person from Slack's list "
                               "as you type, so the name becomes a mention. Nothing was logged.")
        with self.db.session() as session:
            # locked now rather than when the entry is stored: one round trip fewer, the date order with it
            member, day_first, formats = member_for_logging(session, self.context["workspace_id"],
                                                            self.context["member_id"])
            named = people_named(member, people.user_ids, people.me)
            check_may_log_for(member, named)
            projects = workspace_projects(session, member.workspace_id)
            parsed = parse_hours(
                readable_text(people.text), today=member_today(member), projects=project_choices(projects),
                channel_project_id=channel_project_id(projects, self.channel_id), day_first=bool(day_first),
            )
            several = bool(named) and named != (member.slack_user_id,)
            if several and not parsed.complete:  # the form logs for one person: say what to fix instead
                raise InvalidInput(f"{' '.join(parsed.problems)} Nothing was logged.")
            if not parsed.complete:  # ambiguous or unknown: the form, pre-filled, never a guess
                return Outcome(form=log_form.parsed_form(session, member, parsed, self.channel_id))
            project = next((p for p in projects if p.id == parsed.project_id), None)
            if several:
                # today (typed or not) is each person's own today; another day is that day for everyone
                day = None if parsed.work_date == member_today(member) else parsed.work_date
                data = EntryInput(parsed.project_id, day, parsed.minutes, parsed.description)
                result = log_for_people(session, member, named, data, project=project,
                                        load_profile=profile_loader(self.client))
                return Outcome(reply=team_log_reply(result))
            entry = log_entry(session, member, EntryInput(parsed.project_id, parsed.work_date, parsed.minutes,
                                                          parsed.description), source="text", project=project,
                              formats=formats)
            return Outcome(reply=logged_reply(entry))

    def _list(self, period: Period) -> Outcome:
        with self.db.session() as session:
            member = self.actor(session)
            listing = list_entries(session, member, period)
            text, blocks = list_reply(listing)
            if period == "week" and listing.entry_count and approvals_enabled(session, member.workspace_id) \
                    and not week_closed(session, member, listing.start):  # waiting or approved: nothing to submit
                blocks = [*blocks, submit_button(listing.start)]
            return Outcome(reply=(text, blocks))

    def do_submit(self, rest: str) -> Outcome:
        with self.db.session() as session:
            member = self.actor(session)
            week = last_week_start(member) if rest.strip().casefold() == "last" else None
            return Outcome(reply=submit_confirm_reply(preview_submission(session, member, week)))

    def do_list(self, _rest: str) -> Outcome:
        return self._list("week")

    def do_week(self, _rest: str) -> Outcome:
        return self._list("week")

    def do_today(self, _rest: str) -> Outcome:
        return self._list("today")

    def do_start(self, rest: str) -> Outcome:
        with self.db.session() as session:
            member = self.actor(session)
            projects = workspace_projects(session, member.workspace_id)
            parsed = parse_timer_start(readable_text(rest), projects=project_choices(projects),
                                       channel_project_id=channel_project_id(projects, self.channel_id))
            if not parsed.complete:
                problems = " ".join(parsed.problems) or "Which project? Try `/hours start project-code what you do`."
                raise InvalidInput(f"{problems} No timer was started.")
            running = start_timer(session, member, parsed.project_id, parsed.description)
            return Outcome(reply=timer_started_reply(running))

    def do_stop(self, rest: str) -> Outcome:
        with self.db.session() as session:
            member = self.actor(session)
            result = stop_timer(session, member, discard=rest.strip().casefold() == "discard")
            if result is None:
                return Outcome(reply=text_reply(NO_TIMER))
            reply = timer_stopped_reply(result)
            if not result.too_long:
                return Outcome(reply=reply)
            form = log_form.timer_form(session, member, result.timer.project_id, result.start_date,
                                       result.timer.description, reply[0], self.channel_id)
            return Outcome(reply=reply, form=form)

    def do_status(self, _rest: str) -> Outcome:
        with self.db.session() as session:
            return Outcome(reply=timer_status_reply(timer_status(session, self.actor(session))))

    def do_help(self, _rest: str) -> Outcome:
        with self.db.session() as session:
            workspace = session.get(Workspace, self.context["workspace_id"])
            return Outcome(reply=help_reply(bool(workspace and workspace.day_first_dates)))

    def do_remind(self, rest: str) -> Outcome:
        with self.db.session() as session:
            return Outcome(reply=text_reply(remind(session, self.actor(session), rest)))

    def do_report(self, rest: str) -> Outcome:
        return Outcome(reply=reports.command_reply(self.context, rest))

    def do_invoice(self, _rest: str) -> Outcome:
        with self.db.session() as session:
            check_can_create_invoices(self.actor(session))
        return Outcome(then=lambda: open_invoice_modal(self.client, self.context, self.trigger_id, self.channel_id))


# ---------------------------------------------------------------- buttons and the modal


def _save(context: BoltContext, entry_id: object, data: EntryInput) -> tuple[Reply, str]:
    with context["db"].session() as session:
        member = context["actor"](session)
        if entry_id is None:
            source = "message" if data.permalink else "modal"
            return logged_reply(log_entry(session, member, data, source=source)), "Logged"
        entry = edit_entry(session, member, entry_id, data)
        return logged_reply(entry, "Saved"), entry_sentence(entry, "Saved")


@reported
def handle_hours(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    HoursCommand(body, context, client).run(parse_command(body.get("text") or ""), ack)


@reported
def handle_undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        entry = undo_entry(session, context["actor"](session), action.get("value"))
    Replies.replace(respond, removed_reply(entry, "Undone — removed"))


@reported
def handle_delete(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                  respond: Respond) -> None:
    ack()
    entry_id, period = _split(action.get("value"))
    with context["db"].session() as session:
        member = context["actor"](session)
        gone = delete_entry(session, member, entry_id)
        listing = list_entries(session, member, _period(period))
    Replies.replace(respond, list_reply(listing, note=f":wastebasket: {entry_sentence(gone, 'Deleted')}"))


@reported
def handle_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    ack()
    period, number = _split(action.get("value"))
    with context["db"].session() as session:
        listing = list_entries(session, context["actor"](session), _period(period))
    Replies.replace(respond, list_reply(listing, _page(number)))


@reported
def handle_edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                respond: Respond) -> None:
    ack()
    entry_id, period = _split(action.get("value"))
    channel_id = (body.get("channel") or {}).get("id")
    with context["db"].session() as session:
        member = context["actor"](session)
        form = log_form.edit_form(session, member, entry_for_edit(session, member, entry_id), channel_id,
                                  body.get("response_url"), _period(period))
    client.views_open(trigger_id=body["trigger_id"], view=build_log_modal(form))


@reported
def handle_project_picked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Another project was picked in the Log time modal: re-render so "Billable" follows its default."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != CALLBACK_LOG or not view.get("id"):
        return
    meta = read_metadata(view.get("private_metadata"))
    with context["db"].session() as session:
        member = context["actor"](session)
        entry_id = None
        if meta.entry_id is not None:
            entry_id = entry_for_edit(session, member, meta.entry_id).id
        form = log_form.current_form(session, member, read_form(context["form"]), entry_id, meta.channel_id,
                                     meta.list_url, meta.period)
    # closed meanwhile, or changed again: the newer state wins
    update_view(client, view, build_log_modal(form), "log modal update")


def _permalink(client: WebClient, channel_id: str | None, message_ts: str | None) -> str | None:
    """The message's link; None when Slack won't give it (the form opens all the same, without one)."""
    if not channel_id or not message_ts:
        return None
    try:
        answer = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)
    except SlackApiError as refused:
        log.info("no permalink for a message: %s", refused.response.get("error"))
        return None
    link = answer.get("permalink")
    return link if isinstance(link, str) else None


@reported
def handle_message_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """"Log time on this message": the form comes from the trigger, so it opens in channels the bot is not in."""
    ack()
    channel_id = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    link = _permalink(client, channel_id, message.get("ts"))
    with context["db"].session() as session:
        form = log_form.message_form(session, context["actor"](session), str(message.get("text") or ""),
                                     channel_id, link)
    if not offers_projects(form):
        Replies(client, context["user_id"]).private(channel_id, text_reply(NO_PROJECTS))
        return
    client.views_open(trigger_id=body["trigger_id"], view=build_log_modal(form))


@reported
def handle_log_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                         client: WebClient) -> None:
    meta = read_metadata(view.get("private_metadata"))
    data = log_form.entry_input(read_form(context["form"]))
    if meta.entry_id is None and meta.permalink:
        data = replace(data, permalink=meta.permalink)
    reply, sentence = _save(context, meta.entry_id, data)  # a refusal here becomes a field error
    ack()
    replies = Replies(client, context["user_id"])
    if meta.entry_id is not None and meta.list_url:
        with context["db"].session() as session:
            listing = list_entries(session, context["actor"](session), _period(meta.period or "week"))
        refreshed = list_reply(listing, note=f":pencil2: {sentence}")
        try:
            if Replies.replace(WebhookClient(meta.list_url), refreshed):
                return
        except OSError as error:  # unreachable: confirm another way
            log.info("could not refresh the entry list: %s", error.__class__.__name__)
        # the list's response_url expired (30 minutes, a few uses): confirm another way
    replies.private(meta.channel_id, reply)


def register_command(app: App) -> None:
    """The command, registered before every other listener: Bolt tries listeners in order, running each one's
    matchers, and `/hours` is what people send most."""
    app.command("/hours")(handle_hours)


def register(app: App) -> None:
    app.action(ACTION_UNDO)(handle_undo)
    app.action(ACTION_DELETE)(handle_delete)
    app.action(ACTION_PAGE)(handle_page)
    app.action(ACTION_PAGE_PREV)(handle_page)  # both pager buttons carry "period|page"
    app.action(ACTION_EDIT)(handle_edit)
    app.action({"block_id": FIELD_PROJECT, "action_id": ACTION_VALUE})(handle_project_picked)
    app.view(CALLBACK_LOG)(handle_log_submitted)
    app.shortcut(CALLBACK_LOG_MESSAGE)(handle_message_shortcut)
    nudges.register(app)
