"""Demo workspace for the Slack sandbox (``--demo``): one team, a few people in different time zones.

Fixed ids and tokens so the ``make demo`` walkthrough and its README can name them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.slack import SlackSandbox

DEMO_TEAM_ID = "T0HOURCAP"
DEMO_BOT_TOKEN = "xoxb-hourcap-demo"
DEMO_CLIENT_ID = "1111.2222"
DEMO_CLIENT_SECRET = "demo-client-secret"

DEMO_USERS = (
    # user id, name, real name, tz, admin/owner
    ("U0ADA", "ada", "Ada Admin", "Europe/London", True),
    ("U0BEN", "ben", "Ben Builder", "America/New_York", False),
    ("U0CHI", "chi", "Chi Contractor", "Australia/Sydney", False),
)
DEMO_CHANNELS = (
    # channel id, name, private, bot is member
    ("C0GENERAL", "general", False, True),
    ("C0INVOICES", "invoices", False, False),
    ("G0FINANCE", "finance-alerts", True, False),
)


def seed_demo(sandbox: SlackSandbox) -> list[str]:
    """Add the demo workspace; returns human-readable lines describing it."""
    sandbox.add_team(DEMO_TEAM_ID, "Hour Cap Demo", "hourcap-demo")
    lines = [f"team {DEMO_TEAM_ID} 'Hour Cap Demo'"]
    for user_id, name, real_name, tz, admin in DEMO_USERS:
        sandbox.add_user(
            user_id,
            team_id=DEMO_TEAM_ID,
            name=name,
            real_name=real_name,
            tz=tz,
            is_admin=admin,
            is_owner=admin,
            is_primary_owner=admin,
        )
        lines.append(f"user {user_id} {real_name} ({tz}){' admin' if admin else ''}")
    for channel_id, name, private, member in DEMO_CHANNELS:
        sandbox.add_channel(channel_id, name, team_id=DEMO_TEAM_ID, is_private=private, is_member=member)
        kind = "private" if private else "public"
        lines.append(f"channel {channel_id} #{name} ({kind}, bot {'in' if member else 'not in'} it)")
    sandbox.add_static_token(DEMO_BOT_TOKEN, DEMO_TEAM_ID)
    sandbox.register_oauth_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    sandbox.set_installer(DEMO_TEAM_ID, "U0ADA")
    lines.append(f"SLACK_BOT_TOKEN={DEMO_BOT_TOKEN}")
    lines.append(
        f"SLACK_CLIENT_ID={DEMO_CLIENT_ID} SLACK_CLIENT_SECRET={DEMO_CLIENT_SECRET} (installer U0ADA)"
    )
    return lines
