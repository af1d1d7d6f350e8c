"""The alerts channel: where sync failures, push failures and Needs reconnect are posted.

Admins pick it on Home. Whether Hour Cap can post there is Slack's to say, so the Slack layer checks first and
passes what it learned; this use case only decides and records.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from errors import InvalidInput
from storage.audit import audit
from storage.models import Member, Workspace
from team.roles import Permission, require

FIELD_ALERTS = "alerts_channel"


def check_can_choose_alerts_channel(actor: Member) -> None:
    """Refuse a member before the Slack layer asks Slack anything about the channel they picked."""
    require(actor, Permission.CHOOSE_ALERTS_CHANNEL)


def set_alerts_channel(session: Session, actor: Member, channel_id: str | None, *, postable: bool,
                       channel_label: str = "that channel") -> Workspace:
    """Make `channel_id` the workspace's alerts channel (None: no alerts channel); refused when the bot can't post."""
    require(actor, Permission.CHOOSE_ALERTS_CHANNEL)
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    if channel_id and not postable:
        raise InvalidInput(f"Hour Cap can't post in {channel_label} yet: invite it there first (type "
                           "`/invite @Hour Cap` in the channel), then pick the channel again.", field=FIELD_ALERTS)
    previous = workspace.alerts_channel_id
    workspace.alerts_channel_id = channel_id or None
    if previous != workspace.alerts_channel_id:
        audit(session, actor, "alerts.channel_set", f"channel:{channel_id or '-'}", previous=previous)
    return workspace
