"""Slack's `app_uninstalled` and `tokens_revoked` events (they need no scope; Bolt lets them through without a
token, since there is none left to check).

`app_uninstalled`, or `tokens_revoked` naming the bot: the workspace's Slack tokens are deleted at once and it is
marked uninstalled (team/uninstall.py), which also records the revocation of its Xero connection as work for a
worker, so the event is acknowledged fast. `tokens_revoked` naming people only (`tokens.oauth`): their user tokens
go, and Hour Cap keeps working with the bot's. Replacing Bolt's own revocation listeners: ours delete the tokens
and mark the workspace in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.middleware import authorized_team
from team.uninstall import revoke_user_tokens, uninstall

log = logging.getLogger(__name__)


def _ids(tokens: Any, kind: str) -> list[str]:
    found = tokens.get(kind) if isinstance(tokens, dict) else None
    return [value for value in found if isinstance(value, str)] if isinstance(found, list) else []


def handle_app_uninstalled(context: BoltContext) -> None:
    team_id = authorized_team(context)
    if not team_id:
        return
    with context["db"].session() as session:
        uninstall(session, team_id)
    log.info("uninstalled from team %s: Slack tokens deleted", team_id)


def handle_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
    team_id = authorized_team(context)
    if not team_id:
        return
    tokens = event.get("tokens")
    with context["db"].session() as session:
        if _ids(tokens, "bot"):
            uninstall(session, team_id)  # no bot token, no Hour Cap: the same as an uninstall
        else:
            revoke_user_tokens(session, team_id, _ids(tokens, "oauth"))
    log.info("tokens revoked in team %s (bot: %s, people: %d)", team_id, bool(_ids(tokens, "bot")),
             len(_ids(tokens, "oauth")))


def register(app: App) -> None:
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)
