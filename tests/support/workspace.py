"""A standard Slack workspace in the stand-in, and settings pointing the app at it."""

from __future__ import annotations

from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from settings import Settings, load_settings

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-hourcap-token"
TEAM = "T0HOURCAP"
OTHER_TEAM = "T0OTHER"
OWNER = "UOWNER"  # a Slack workspace admin: becomes Hour Cap's owner on first contact (token mode)
ALICE = "UALICE"  # Europe/London
BOB = "UBOB"  # America/Los_Angeles
KIRI = "UKIRI"  # Pacific/Auckland
STRANGER = "USTRANGER"  # in the other team


def seed_workspace(sandbox: SlackSandbox) -> None:
    sandbox.add_team(TEAM, "Acme Studio")
    sandbox.add_team(OTHER_TEAM, "Other Co")
    sandbox.add_static_token(BOT_TOKEN, TEAM)
    sandbox.add_user(OWNER, team_id=TEAM, name="olivia", real_name="Olivia Owner", tz="Europe/London",
                     is_admin=True, is_owner=True, is_primary_owner=True)
    sandbox.add_user(ALICE, team_id=TEAM, name="alice", real_name="Alice Archer", tz="Europe/London")
    sandbox.add_user(BOB, team_id=TEAM, name="bob", real_name="Bob Baker", tz="America/Los_Angeles")
    sandbox.add_user(KIRI, team_id=TEAM, name="kiri", real_name="Kiri Kahu", tz="Pacific/Auckland")
    sandbox.add_user(STRANGER, team_id=OTHER_TEAM, name="sam", real_name="Sam Stranger", tz="UTC")
    sandbox.add_channel("C0GENERAL", "general", team_id=TEAM, is_member=True)


def token_mode_settings(sandbox: SlackSandbox, database_url: str, keys: tuple[str, ...],
                        **overrides: str) -> Settings:
    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": sandbox.base_url,
        "DATABASE_URL": database_url,
        "HOURCAP_ENCRYPTION_KEYS": ",".join(keys),
    }
    env.update(overrides)
    return load_settings(env)


def token_and_xero_settings(sandbox: SlackSandbox, xero: XeroSandbox, database_url: str, keys: tuple[str, ...],
                            **overrides: str) -> Settings:
    """Token-mode settings with every XERO_* setting aimed at the Xero stand-in."""
    return token_mode_settings(
        sandbox, database_url, keys, XERO_CLIENT_ID=xero.client_id, XERO_CLIENT_SECRET=xero.client_secret,
        XERO_LOGIN_URL=xero.login_url, XERO_IDENTITY_URL=xero.identity_url, XERO_API_URL=xero.api_url,
        XERO_CONNECTIONS_URL=xero.connections_url, **overrides)
