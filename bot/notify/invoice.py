"""`invoice.notify` (args: `invoice_id`, `event`): tell Slack where an invoice stands.

Recorded by every status change of an invoice (`invoicing.push_status`) and when its status message is attached
after the invoice already moved on (`invoicing.create.attach_status_message`). It renders the invoice's *current*
state: the status message edited in place, a DM to the creator (pushed, check in Xero or failed, once per event),
and ONE alert per failed invoice in the alerts channel with Retry and Cancel (edited on later failures, resolved on
success or cancel, "retrying" while a Retry runs). An invoice Xero holds differently from what was sent ("check in
Xero") gets its alert too, without buttons: it is in Xero, so the fix is made there. Once the draft is in Xero, the
status message follows Xero's state (`xero_state`), and a draft voided or deleted there gets its own one alert
(`died`: entries released, waiting for Release entries, or flagged), edited when a manager releases them
(`released`).

Notifications of one invoice can run side by side — a Retry's "retrying" and the push's "pushed" are recorded
moments apart and two workers take them — and Slack applies edits in the order they arrive, not the order the
states happened. So a run reads the invoice, edits, and reads it again: when the invoice moved on meanwhile it
edits once more, until what it last wrote is what the database holds. The edit that lands last is then the
latest state: its run read the invoice after that edit landed, and a change committed later records a
notification of its own that reads (and edits) after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.invoice_messages import invoice_view, xero_facts
from bot.kept_message import Where, keep_message
from bot.slack_clients import SlackNotInstalled
from bot.views.invoice_status import InvoiceView, alert_message, creator_dm, resolved_alert, status_message
from bot.views.invoice_xero_state import died_alert
from invoicing.push_status import NOTIFY_TASK, Event
from jobs.registry import JobContext, TaskRegistry
from storage.db import Database
from storage.models import Client, Invoice, Member, TimeEntry, Workspace
from team.formats import workspace_formats

log = logging.getLogger(__name__)

MAX_PASSES = 4  # an invoice still changing after this many edits gets a notification of its own for the change
ALERT_EVENTS = (Event.FAILED, Event.RETRYING, Event.PUSHED, Event.CHECK_IN_XERO, Event.CANCELLED)
DM_EVENTS = (Event.PUSHED, Event.CHECK_IN_XERO, Event.FAILED)  # the rest leave the alert alone


@dataclass(frozen=True)
class Seen:
    """One read of the invoice: what its messages should say and where they are."""

    view: InvoiceView
    status_at: Where
    alert_at: Where
    alerts_channel: str | None
    team: tuple[str, str | None]
    creator_user: str | None
    in_batch: bool

    def same_as(self, other: Seen) -> bool:
        return self.view == other.view and self.status_at == other.status_at


def read(db: Database, invoice_id: int) -> Seen | None:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return None
        workspace = session.get(Workspace, invoice.workspace_id)
        assert workspace is not None
        creator = session.get(Member, invoice.created_by_member_id) if invoice.created_by_member_id else None
        return Seen(
            view=invoice_view(session, invoice),
            status_at=(invoice.status_channel_id, invoice.status_message_ts),
            alert_at=(invoice.alert_channel_id, invoice.alert_ts),
            alerts_channel=workspace.alerts_channel_id,
            team=(workspace.slack_team_id, workspace.slack_enterprise_id),
            creator_user=creator.slack_user_id if creator is not None else None,
            in_batch=bool((invoice.settings_snapshot or {}).get("batch_month")),
        )


def notify(ctx: JobContext, invoice_id: int, event: str) -> None:
    seen = read(ctx.db, invoice_id)
    if seen is None or (slack := _slack(ctx, *seen.team)) is None:
        return
    if event in (Event.DIED, Event.RELEASED):
        _release_alert(ctx.db, slack, invoice_id, seen.alerts_channel)
    _dm_creator(slack, seen, event)
    alert, alert_news = seen.alert_at, event in ALERT_EVENTS
    for _ in range(MAX_PASSES):
        _status(ctx.db, slack, invoice_id, seen.view, *seen.status_at)
        if alert_news:
            alert = _show_alert(ctx.db, slack, seen, event, alert)
        later = read(ctx.db, invoice_id)
        if later is None or later.same_as(seen):
            return
        log.info("invoice %s moved on (%s → %s) while Slack was told: editing again", invoice_id,
                 seen.view.status, later.view.status)
        seen, alert, alert_news = later, later.alert_at if later.alert_at[1] else alert, True
    log.info("invoice %s still changing after %d passes: its own notification follows", invoice_id, MAX_PASSES)


def _dm_creator(slack: WebClient, seen: Seen, event: str) -> None:
    """Once, for the event this notification is about. A month batch's creator has its summary; failures
    still reach them one by one."""
    if event not in DM_EVENTS or seen.view.status != event or not seen.creator_user:
        return
    if seen.in_batch and event == Event.PUSHED:
        return
    text, blocks = creator_dm(seen.view)
    user = seen.creator_user
    _call(lambda: slack.chat_postMessage(channel=user, text=text, blocks=blocks), "DM the creator")


def _status(db: Database, slack: WebClient, invoice_id: int, view: InvoiceView, channel: str | None,
            ts: str | None) -> None:
    if not channel:
        return
    text, blocks = status_message(view)
    if ts:
        _call(lambda: slack.chat_update(channel=channel, ts=ts, text=text, blocks=blocks), "edit status message")
        return
    answer = _call(lambda: slack.chat_postMessage(channel=channel, text=text, blocks=blocks), "post status")
    if answer is not None and answer.get("ts"):
        _store(db, invoice_id, status_message_ts=str(answer["ts"]))


def _show_alert(db: Database, slack: WebClient, seen: Seen, event: str, alert: Where) -> Where:
    """The alert for the state seen: posted for a failure (by the failure's own notification), edited while one
    exists, resolved — and forgotten — once the invoice is pushed or cancelled. Returns where it is."""
    view = seen.view
    channel, ts = alert
    if view.status == "failed":
        if event == Event.FAILED or ts:
            return _alert(db, slack, view, seen.alerts_channel, alert)
        return alert
    if view.status == "check_in_xero":  # its own alert (or the failure's, edited): kept, as the state is final
        if event == Event.CHECK_IN_XERO or ts:
            return _alert(db, slack, view, seen.alerts_channel, alert)
        return alert
    if channel and ts:
        text, blocks = resolved_alert(view)
        _call(lambda: slack.chat_update(channel=channel, ts=ts, text=text, blocks=blocks), "resolve alert")
        if view.status in ("pushed", "cancelled"):
            _store(db, view.invoice_id, alert_channel_id=None, alert_ts=None)
    return alert


def _alert(db: Database, slack: WebClient, view: InvoiceView, channel: str | None, previous: Where) -> Where:
    """ONE alert per invoice: edit the one posted for it, or post it (and remember where)."""
    if not channel:
        return previous
    text, blocks = alert_message(view)
    posted = keep_message(slack, channel, previous, text, blocks, f"invoice {view.invoice_id}'s alert")
    if posted is None:
        return previous
    _store(db, view.invoice_id, alert_channel_id=posted[0], alert_ts=posted[1])
    return posted


def _release_alert(db: Database, slack: WebClient, invoice_id: int, channel: str | None) -> None:
    """The one alerts-channel message about a draft that died in Xero: posted when it dies (entries released,
    waiting for Release entries, or flagged), edited when a manager releases them."""
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        facts = xero_facts(invoice, workspace_formats(session, invoice.workspace_id)) if invoice else None
        if invoice is None or facts is None or facts.status not in ("VOIDED", "DELETED"):
            return
        client = session.get(Client, invoice.client_id)
        entries = len(session.scalars(select(TimeEntry.id).where(TimeEntry.workspace_id == invoice.workspace_id,
                                                                 TimeEntry.invoice_id == invoice.id)).all())
        previous: Where = (invoice.release_alert_channel_id, invoice.release_alert_ts)
        reference, name = invoice.reference, client.name if client is not None else "(deleted client)"
    where = previous[0] or channel
    if not where:
        return
    text, blocks = died_alert(facts, invoice_id, reference, name, entries)
    posted = keep_message(slack, where, previous, text, blocks, f"invoice {invoice_id}'s release alert")
    if posted is not None:
        _store(db, invoice_id, release_alert_channel_id=posted[0], release_alert_ts=posted[1])


def _store(db: Database, invoice_id: int, **values: Any) -> None:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None:
            for name, value in values.items():
                setattr(invoice, name, value)


def _call(fn: Any, what: str) -> Any:
    try:
        return fn()
    except SlackApiError as exc:
        log.warning("slack: could not %s: %s", what, exc.response.get("error"))
        return None


def _slack(ctx: JobContext, team_id: str, enterprise_id: str | None) -> WebClient | None:
    try:
        client: WebClient = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
        return client
    except (KeyError, SlackNotInstalled):
        return None


def register(tasks: TaskRegistry) -> None:
    tasks.add(NOTIFY_TASK, notify)
