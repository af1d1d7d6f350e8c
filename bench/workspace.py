"""The Slack workspace the benches seed into the Slack stand-in and sign requests for (each bench adds its own
members and channel). The benches' own: nothing here depends on how the tests name their workspace."""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy.orm import Session

from sandbox.slack import SlackSandbox
from storage.models import Workspace

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-hourcap-token"
TEAM = "T0HOURCAP"


def slack_stand_in(stack: ExitStack, team_name: str = "Acme Studio") -> SlackSandbox:
    """The Slack stand-in, started on loopback with the bench team and its bot token (stopped with `stack`)."""
    sandbox = SlackSandbox().start()
    stack.callback(sandbox.stop)
    sandbox.add_team(TEAM, team_name)
    sandbox.add_static_token(BOT_TOKEN, TEAM)
    return sandbox


def add_workspace(session: Session, team_id: str, name: str) -> Workspace:
    """A workspace whose invoice lines go to Xero account 200 with tax type OUTPUT2, flushed (its id is set)."""
    workspace = Workspace(slack_team_id=team_id, name=name, xero_account_code="200", xero_tax_type="OUTPUT2")
    session.add(workspace)
    session.flush()
    return workspace
