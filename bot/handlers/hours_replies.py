"""/hours replies' buttons (Undo, Edit, Delete, paging), the Log time modal and "Log time on this message".

Thin listeners, like the command's (bot/handlers/hours.py): read the payload, call a timesheets use case inside
one transaction, render a pure view. Buttons on command replies answer through the interaction's response_url;
modals open straight after the ack; a reply that has no message to replace goes to the channel or the person's DM.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import log_form
from bot.errors import reported
from bot.slack_errors import (
    ChannelNotFound,
    IsArchived,
    NotInChannel,
    RestrictedAction,
    UserNotInChannel,
    slack_api,
    update_view,
)
from bot.views.hours import (
    ACTION_DELETE,
    ACTION_EDIT,
    ACTION_PAGE,
    ACTION_PAGE_PREV,
    ACTION_UNDO,
    Reply,
    entry_sentence,
    list_reply,
    logged_reply,
    removed_reply,
    text_reply,
)
from bot.views.log_modal import (
    ACTION_VALUE,
    CALLBACK_LOG,
    CALLBACK_LOG_MESSAGE,
    NO_PROJECTS,
    build_log_modal,
    offers_projects,
    read_form,
    read_metadata,
)
from timesheets.entries import (
    EntryInput,
    Period,
    delete_entry,
    edit_entry,
    entry_for_edit,
    list_entries,
    log_entry,
    undo_entry,
)
from timesheets.lookup import FIELD_PROJECT

log = logging.getLogger(__name__)

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


def _save(context: BoltContext, entry_id: object, data: EntryInput) -> tuple[Reply, str]:
    with context["db"].session() as session:
        member = context["actor"](session)
        if entry_id is None:
            source = "message" if data.permalink else "modal"
            return logged_reply(log_entry(session, member, data, source=source)), "Logged"
        entry = edit_entry(session, member, entry_id, data)
        return logged_reply(entry, "Saved"), entry_sentence(entry, "Saved")


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


def register(app: App) -> None:
    app.action(ACTION_UNDO)(handle_undo)
    app.action(ACTION_DELETE)(handle_delete)
    app.action(ACTION_PAGE)(handle_page)
    app.action(ACTION_PAGE_PREV)(handle_page)  # both pager buttons carry "period|page"
    app.action(ACTION_EDIT)(handle_edit)
    app.action({"block_id": FIELD_PROJECT, "action_id": ACTION_VALUE})(handle_project_picked)
    app.view(CALLBACK_LOG)(handle_log_submitted)
    app.shortcut(CALLBACK_LOG_MESSAGE)(handle_message_shortcut)
