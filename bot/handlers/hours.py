"""/hours: the command. The buttons on its replies and the Log time modal are bot/handlers/hours_replies.py.

Thin listeners: read the payload, call a timesheets use case inside one transaction, render a pure view, reply.
Command replies travel in the ack (ephemeral, within Slack's 3 seconds: one short transaction each); buttons on
those replies answer through the interaction's response_url; modals open straight after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import log_form
from bot.errors import reported
from bot.handlers import hours_replies, nudges, reports
from bot.handlers.invoices import open_invoice_modal
from bot.profiles import profile_loader
from bot.views.approvals import submit_button, submit_confirm_reply
from bot.views.hours import (
    NO_TIMER,
    Reply,
    help_reply,
    list_reply,
    logged_reply,
    team_log_reply,
    text_reply,
    timer_started_reply,
    timer_status_reply,
    timer_stopped_reply,
)
from bot.views.log_modal import (
    NO_PROJECTS,
    LogForm,
    build_log_modal,
    offers_projects,
)
from errors import InvalidInput
from invoicing.create import check_can_create_invoices
from storage.models import Workspace
from timesheets.approvals import approvals_enabled, last_week_start, preview_submission, week_closed
from timesheets.entries import (
    EntryInput,
    Period,
    list_entries,
    log_entry,
    member_for_logging,
)
from timesheets.grammar.markup import readable_text
from timesheets.grammar.parse import Command, parse_command, parse_hours, parse_timer_start, split_people
from timesheets.lookup import channel_project_id, project_choices, workspace_projects
from timesheets.member_calendar import member_today
from timesheets.nudges import remind
from timesheets.team_entries import check_may_log_for, log_for_people, people_named
from timesheets.timers import start_timer, stop_timer, timer_status

log = logging.getLogger(__name__)

PERIODS: dict[str, Period] = {"list": "week", "week": "week", "today": "today"}


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
            member, day_first, formats, kept = member_for_logging(session, self.context["workspace_id"],
                                                                  self.context["member_id"])
            named = people_named(member, people.user_ids, people.me)
            check_may_log_for(member, named)
            projects = workspace_projects(session, member.workspace_id, kept)
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


@reported
def handle_hours(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    HoursCommand(body, context, client).run(parse_command(body.get("text") or ""), ack)


def register_command(app: App) -> None:
    """The command, registered before every other listener: Bolt tries listeners in order, running each one's
    matchers, and `/hours` is what people send most."""
    app.command("/hours")(handle_hours)


def register(app: App) -> None:
    hours_replies.register(app)
    nudges.register(app)
