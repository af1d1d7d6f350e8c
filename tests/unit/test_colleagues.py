"""Who Slack says belongs to a workspace (team.members.Profile.belongs_to), the rule behind every person picker."""

from __future__ import annotations

import pytest

from storage.models import Workspace
from team.members import SLACK_USER_ID, Profile


def _workspace(enterprise_id: str | None = None) -> Workspace:
    return Workspace(slack_team_id="T0HOURCAP", slack_enterprise_id=enterprise_id, name="Acme")


@pytest.mark.parametrize(("profile", "enterprise", "belongs"), [
    (Profile("Alice", "UTC", team_id="T0HOURCAP"), None, True),
    (Profile("Alice", "UTC"), None, True),  # Slack did not say: the workspace's own users.info answered
    (Profile("Sam", "UTC", team_id="T0OTHER"), None, False),  # another organisation, seen in a shared channel
    (Profile("Sam", "UTC", team_id="T0HOURCAP", is_stranger=True), None, False),
    (Profile("Gia", "UTC", team_id="T0SISTER", enterprise_id="E0GRID"), "E0GRID", True),  # same Grid organisation
    (Profile("Gia", "UTC", team_id="T0SISTER", enterprise_id="E0ELSE"), "E0GRID", False),
])
def test_belongs_to(profile: Profile, enterprise: str | None, belongs: bool) -> None:
    assert profile.belongs_to(_workspace(enterprise)) is belongs


@pytest.mark.parametrize("value", ["U0ALICE", "W0GRIDUSER", "UABC"])
def test_ids_slack_sends(value: str) -> None:
    assert SLACK_USER_ID.fullmatch(value)


@pytest.mark.parametrize("value", ["<@U1>", "U1", "u0alice", "B0BOT", "U0ALICE ", "", "U0ÄLICE", "U" + "1" * 30])
def test_ids_slack_never_sends(value: str) -> None:
    assert not SLACK_USER_ID.fullmatch(value)
