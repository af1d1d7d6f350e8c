"""Timesheet approval in Slack: Submit week (under `/hours week` and `/hours submit`), the review message's
Approve / Send back (and its note modal), Reopen, Home's review list and the admins' settings.

Every value in a payload is only a claim: the use cases check who acts (members submit only their own week;
reviews need a manager, admin or owner who is not the week's author) and look weeks up inside the actor's
workspace. Review messages go to the review channel when one is set, else to each reviewer's DM.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import reported
from bot.home import publish_home, read_home_state, read_invoice_list_state
from bot.views.approvals import (
    ACTION_APPROVALS,
    ACTION_APPROVE,
    ACTION_APPROVED_ONLY,
    ACTION_NOTE,
    ACTION_REOPEN,
    ACTION_REVIEW_CHANNEL,
    ACTION_SEND_BACK,
    ACTION_SUBMIT,
    ACTION_SUBMIT_PREVIEW,
    BLOCK_NOTE,
    CALLBACK_SEND_BACK,
    Reply,
    decided_message,
    member_reopened,
    member_told,
    reopened_message,
    review_message,
    send_back_modal,
    submit_confirm_reply,
    submitted_reply,
)
from invoicing.approved_only import set_invoice_approved_only
from timesheets.approvals import (
    Decision,
    Submitted,
    decide,
    preview_submission,
    reopen_week,
    reviewable,
    set_approvals,
    set_review_channel,
    submit_week,
)
from timesheets.review_messages import remember_review_messages

log = logging.getLogger(__name__)


def _replace(respond: Respond, reply: Reply) -> None:
    text, blocks = reply
    respond(text=text, blocks=blocks, replace_original=True)


def _dm(client: WebClient, user_id: str, reply: Reply) -> None:
    text, blocks = reply
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def _republish(client: WebClient, body: dict[str, Any], context: BoltContext) -> None:
    view = body.get("view") or {}
    if view.get("type") != "home":
        return
    page, show_all = read_home_state(view.get("private_metadata"))
    chosen, invoice_page = read_invoice_list_state(view.get("private_metadata"))
    publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                 show_archived=show_all, invoice_filter=chosen, invoice_page=invoice_page)


def _post(client: WebClient, channel: str, reply: Reply) -> tuple[str, str]:
    text, blocks = reply
    answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    return str(answer["channel"]), str(answer["ts"])


def _announce(client: WebClient, context: BoltContext, submitted: Submitted) -> None:
    """The review message: once in the review channel, else in each reviewer's DM. Where each copy went is kept
    (timesheets/review_messages.py), so the first decision updates them all."""
    reply = review_message(submitted.sheet)
    posted: list[tuple[str, str]] = []
    try:
        if submitted.review_channel_id:
            try:
                posted.append(_post(client, submitted.review_channel_id, reply))
                return
            except SlackApiError as exc:  # not in the channel, archived...: the reviewers still hear of it
                log.warning("review channel refused the review message: %s", exc.response.get("error"))
        for user_id in submitted.reviewer_user_ids:
            posted.append(_post(client, user_id, reply))
    finally:
        if posted and submitted.sheet.submission_id is not None:
            with context["db"].session() as session:
                remember_review_messages(session, context["workspace_id"], submitted.sheet.submission_id, posted)


def _decided_everywhere(client: WebClient, decision: Decision, answered: tuple[object, object]) -> None:
    """Every other copy of the review message now says who decided, without buttons (`answered`, the copy the
    reviewer pressed, is replaced already). A copy Slack can no longer edit (deleted, a channel left) is skipped."""
    text, blocks = decided_message(decision)
    for channel, ts in decision.copies:
        if (channel, ts) == answered:
            continue
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update a copy of the review message: %s", exc.response.get("error"))


@reported
def handle_submit_preview(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          client: WebClient, respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        sheet = preview_submission(session, context["actor"](session), action.get("value"))
    _replace(respond, submit_confirm_reply(sheet))


@reported
def handle_submit(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                  respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        submitted = submit_week(session, context["actor"](session), action.get("value"))
    _replace(respond, submitted_reply(submitted.sheet, len(submitted.reviewer_user_ids)))
    _announce(client, context, submitted)


def _told(client: WebClient, decision: Decision) -> None:
    _dm(client, decision.sheet.slack_user_id, member_told(decision))


@reported
def handle_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                   respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        decision = decide(session, context["actor"](session), action.get("value"), approve=True)
    if body.get("response_url"):
        _replace(respond, decided_message(decision))
    container = body.get("container") or {}
    _decided_everywhere(client, decision, (container.get("channel_id"), container.get("message_ts")))
    _republish(client, body, context)
    _told(client, decision)


@reported
def handle_send_back(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                     client: WebClient, respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        sheet = reviewable(session, context["actor"](session), action.get("value"))
    container = body.get("container") or {}
    origin: dict[str, Any] = {"home": True} if (body.get("view") or {}).get("type") == "home" else {
        "c": container.get("channel_id"), "ts": container.get("message_ts")}
    client.views_open(trigger_id=body["trigger_id"], view=send_back_modal(sheet, origin))


def handle_send_back_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                               client: WebClient) -> None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    note = (((view.get("state") or {}).get("values") or {}).get(BLOCK_NOTE) or {}).get(ACTION_NOTE) or {}
    with context["db"].session() as session:
        decision = decide(session, context["actor"](session), meta.get("s"), approve=False,
                          note=str(note.get("value") or ""))
    ack()
    _decided_everywhere(client, decision, (meta.get("c"), meta.get("ts")))
    if meta.get("c") and meta.get("ts"):
        text, blocks = decided_message(decision)
        try:
            client.chat_update(channel=str(meta["c"]), ts=str(meta["ts"]), text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update the review message: %s", exc.response.get("error"))
    if meta.get("home"):
        publish_home(client, context["db"], context["workspace_id"], context["member_id"])
    _told(client, decision)


@reported
def handle_reopen(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                  respond: Respond) -> None:
    ack()
    with context["db"].session() as session:
        actor = context["actor"](session)
        sheet = reopen_week(session, actor, action.get("value"))
        admin = actor.display_name or "an admin"
    if body.get("response_url"):
        _replace(respond, reopened_message(sheet, admin))
    _dm(client, sheet.slack_user_id, member_reopened(sheet, admin))


@reported
def handle_setting(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                   client: WebClient) -> None:
    ack()
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    with context["db"].session() as session:
        set_approvals(session, context["actor"](session), chosen == "on")
    _republish(client, body, context)


@reported
def handle_review_channel(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        set_review_channel(session, context["actor"](session), action.get("selected_conversation") or None)
    _republish(client, body, context)


@reported
def handle_approved_only(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                         client: WebClient) -> None:
    ack()
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    with context["db"].session() as session:
        set_invoice_approved_only(session, context["actor"](session), chosen == "approved")
    _republish(client, body, context)


def register(app: App) -> None:
    app.action(ACTION_SUBMIT_PREVIEW)(handle_submit_preview)
    app.action(ACTION_SUBMIT)(handle_submit)
    app.action(ACTION_APPROVE)(handle_approve)
    app.action(ACTION_SEND_BACK)(handle_send_back)
    app.view(CALLBACK_SEND_BACK)(handle_send_back_submitted)
    app.action(ACTION_REOPEN)(handle_reopen)
    app.action(ACTION_APPROVALS)(handle_setting)
    app.action(ACTION_REVIEW_CHANNEL)(handle_review_channel)
    app.action(ACTION_APPROVED_ONLY)(handle_approved_only)
