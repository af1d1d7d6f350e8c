"""Home's Xero data block for admins: sync status, what failed, refresh, and the alerts channel (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain, user_text
from xero.sync_status import LABELS, SyncSummary

ACTION_REFRESH = "xero_sync_refresh"  # static_select: a resource, or "all"
ACTION_ALERTS_CHANNEL = "alerts_channel_pick"  # conversations_select
BLOCK_SYNC_CONTROLS = "xero_sync_controls"
REFRESH_ALL = "all"


def _when(moment: datetime) -> str:
    """A time Slack renders in each reader's own timezone, with a UTC fallback."""
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{moment:%d %b %H:%M} UTC>"


def sync_status_line(summary: SyncSummary) -> str:
    if summary.syncing:
        return ":arrows_counterclockwise: Syncing with Xero…"
    last = summary.last_synced_at
    if last is None:
        return ":hourglass_flowing_sand: Not synced yet."
    return f":white_check_mark: Last synced from Xero {_when(last)}."


def sync_blocks(summary: SyncSummary, alerts_channel_id: str | None) -> list[dict[str, Any]]:
    """Status, the failure warning, the invite hint, and the controls (refresh; alerts channel)."""
    blocks: list[dict[str, Any]] = [b.context(sync_status_line(summary))]
    if summary.warning:
        blocks.append(b.section(f":warning: {user_text(summary.warning)}"))  # Xero's words: never formatting
    if summary.invite_hint:
        blocks.append(b.context(f":mailbox_with_no_mail: {summary.invite_hint}"))
    choices = [(REFRESH_ALL, "Everything")] + [(r.resource, r.label.capitalize()) for r in summary.resources]
    refresh = b.static_select(ACTION_REFRESH, "Refresh from Xero…", choices)
    channel: dict[str, Any] = {
        "type": "conversations_select", "action_id": ACTION_ALERTS_CHANNEL,
        "placeholder": b.plain("Alerts channel…"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                   "exclude_external_shared_channels": True},
    }
    if alerts_channel_id:
        channel["initial_conversation"] = alerts_channel_id
    blocks.append(b.actions(BLOCK_SYNC_CONTROLS, [refresh, channel]))
    where = f"<#{alerts_channel_id}>" if alerts_channel_id else "no channel yet — pick one"
    blocks.append(b.context(f"Alerts (sync failures, push failures, Needs reconnect) go to {where}."))
    return blocks


# -- the alert posted in the alerts channel while a resource fails to sync -----------------------------------
def sync_failure_alert(resource: str, why: str, todo: str) -> tuple[str, list[dict[str, Any]]]:
    label = LABELS[resource]
    text = f":warning: Syncing {label} from Xero failed. Why: {why} What to do: {todo}"
    blocks: list[dict[str, Any]] = [
        b.section(f":warning: *Syncing {label} from Xero failed*"),
        b.section(f"*Why:* {user_text(cut_plain(why, 2500))}\n*What to do:* {todo}"),
        b.context("This message updates if it fails again, and says so when syncing works again."),
    ]
    return text, blocks


def sync_resolved_alert(resource: str) -> tuple[str, list[dict[str, Any]]]:
    label = LABELS[resource]
    text = f":white_check_mark: Resolved: syncing {label} from Xero works again."
    return text, [b.section(text)]

