"""Uninstall, token revocation and reinstall, through signed events into the real web app (multi-workspace mode):
the Slack tokens go at once, the data stays for the retention period, a reinstall within it brings all of it back,
and a reinstall after the purge starts afresh without a stale cached member id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sandbox.slack import SlackSandbox
from storage.crypto import keyring
from storage.db import Database
from storage.models import (
    Client,
    Member,
    Outbox,
    Role,
    TimeEntry,
    Workspace,
    slack_bots,
    slack_installations,
)
from storage.types import utcnow
from team.retention import purge_expired
from team.uninstall import UNINSTALLED_TASK
from tests.support.catalog import make_catalog
from tests.support.jobs_fixtures import wait_for
from tests.support.slack_requests import SignedSlack
from tests.support.two_workspaces import install
from tests.support.workspace import ALICE, OTHER_TEAM, OWNER, STRANGER, TEAM


@pytest.fixture
def remove_app(slack_api: SlackSandbox) -> Iterator[Callable[[str], list[str]]]:
    """Remove the app from a team in the stand-in (its tokens revoked); the stand-in lives for the whole test
    session, so the tokens are reinstated afterwards for the tests that follow."""
    revoked: list[str] = []

    def remove(team: str) -> list[str]:
        tokens = slack_api.uninstall(team)
        revoked.extend(tokens)
        return tokens

    yield remove
    with slack_api.state.lock:
        for token in revoked:
            slack_api.state.tokens[token].revoked = False


def _token_rows(db: Database, team: str) -> int:
    with db.session() as s:
        return sum(s.scalar(select(func.count()).select_from(t).where(t.c.team_id == team)) or 0
                   for t in (slack_bots, slack_installations))


def _user_tokens(db: Database) -> int:
    with db.session() as s:
        table = slack_installations
        return s.scalar(select(func.count()).select_from(table)
                        .where(table.c.team_id == TEAM, table.c.user_token.is_not(None))) or 0


def _workspace(db: Database, team: str = TEAM) -> Workspace | None:
    with db.session() as s:
        return s.scalars(select(Workspace).where(Workspace.slack_team_id == team)).one_or_none()


def _uninstalled(db: Database) -> bool:
    workspace = _workspace(db)
    return workspace is not None and workspace.uninstalled_at is not None


def _entries(db: Database, team: str = TEAM) -> list[tuple[int, int, str]]:
    with db.session() as s:
        return [tuple(row) for row in s.execute(  # type: ignore[misc]
            select(TimeEntry.id, TimeEntry.minutes, TimeEntry.description).join(Workspace)
            .where(Workspace.slack_team_id == team).order_by(TimeEntry.id))]


def _log(slack: SignedSlack, text: str, user: str = OWNER, team: str | None = None) -> Any:
    return slack.command(text, user=user, team=team)


def _web(two_teams: SignedSlack) -> Any:
    return two_teams.client


def test_uninstall_deletes_the_tokens_at_once_keeps_the_data_and_acts_on_nothing(
        two_teams: SignedSlack, slack_api: SlackSandbox, db: Database,
        remove_app: Callable[[str], list[str]]) -> None:
    slack = two_teams
    make_catalog(db)
    _log(slack, "2h acme-web homepage")
    _log(slack, "1h acme-web header", user=ALICE)
    wait_for(lambda: len(_entries(db)) == 2, what="two entries logged")
    before = _entries(db)
    other_tokens = _token_rows(db, OTHER_TEAM)
    assert _token_rows(db, TEAM) > 0 and other_tokens > 0

    revoked = remove_app(TEAM)
    slack.uninstalled(team=TEAM)

    # at once, by the event's listener (Bolt acknowledges events first, so wait for it), not by a job
    wait_for(lambda: _token_rows(db, TEAM) == 0, what="the team's Slack tokens deleted")
    assert _token_rows(db, OTHER_TEAM) == other_tokens
    with db.session() as s:  # no token of the team left anywhere in the store's tables, in any form
        stored = [str(v) for t in (slack_bots, slack_installations) for row in s.execute(select(t)) for v in row]
    assert not any(token in value for token in revoked for value in stored)
    workspace = _workspace(db)
    assert workspace is not None and workspace.uninstalled_at is not None
    assert _entries(db) == before  # the data is kept
    with db.session() as s:  # the Xero side's work is recorded, once however often Slack says it
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == UNINSTALLED_TASK)) == 1

    slack_api.reset_calls()
    _log(slack, "3h acme-web after uninstall")  # Slack would not send it; if it came, nothing acts
    assert _entries(db) == before
    assert slack_api.calls_to("views.publish") == [] and slack_api.calls_to("chat.postMessage") == []

    _log(slack, "1h other", user=STRANGER, team=OTHER_TEAM)  # the other workspace goes on working
    assert _workspace(db, OTHER_TEAM).uninstalled_at is None  # type: ignore[union-attr]


def test_tokens_revoked_for_people_only_keeps_the_bot_and_the_workspace(
        two_teams: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    slack = two_teams
    make_catalog(db)
    bots = _token_rows(db, TEAM)
    with db.session() as s:  # as if the installer had also granted user scopes
        s.execute(update(slack_installations).where(slack_installations.c.team_id == TEAM)
                  .values(user_token=keyring.encrypt("xoxp-owner-user-token")))
    slack.tokens_revoked(oauth=[OWNER], team=TEAM)
    wait_for(lambda: _user_tokens(db) == 0, what="the owner's user token forgotten")
    assert _token_rows(db, TEAM) == bots  # the installations and the bot stay
    workspace = _workspace(db)
    assert workspace is not None and workspace.uninstalled_at is None
    _log(slack, "2h acme-web still here")
    wait_for(lambda: len(_entries(db)) == 1, what="an entry logged with the bot's token")

    slack.tokens_revoked(bot=["UBOT"], team=TEAM)  # the bot's token: Hour Cap cannot work there any more
    wait_for(lambda: _token_rows(db, TEAM) == 0, what="the team's Slack tokens deleted")
    assert _uninstalled(db)


def test_reinstall_within_the_retention_period_restores_everything(
        two_teams: SignedSlack, slack_api: SlackSandbox, db: Database,
        remove_app: Callable[[str], list[str]]) -> None:
    slack = two_teams
    make_catalog(db)
    _log(slack, "2h acme-web homepage")
    _log(slack, "1h acme-web header", user=ALICE)  # ALICE is now a cached member id in this process
    wait_for(lambda: len(_entries(db)) == 2, what="two entries logged")
    with db.session() as s:
        s.execute(update(Member).where(Member.slack_user_id == ALICE).values(role=Role.MANAGER.value))
        clients = sorted(s.scalars(select(Client.name).join(Workspace).where(Workspace.slack_team_id == TEAM)))
    before = _entries(db)
    workspace_id = _workspace(db).id  # type: ignore[union-attr]
    remove_app(TEAM)
    slack.uninstalled(team=TEAM)
    wait_for(lambda: _uninstalled(db), what="the workspace marked uninstalled")
    # 29 days on: still within the period, nothing purged
    assert purge_expired(db, 30, now=utcnow() + timedelta(days=29)) == []

    install(_web(two_teams), slack_api, ALICE)  # someone else reinstalls: the owner stays the owner

    workspace = _workspace(db)
    assert workspace is not None and workspace.id == workspace_id and workspace.uninstalled_at is None
    assert _entries(db) == before
    with db.session() as s:
        roles = dict(s.execute(select(Member.slack_user_id, Member.role)
                                .where(Member.workspace_id == workspace_id)).all())
        assert sorted(s.scalars(select(Client.name).where(Client.workspace_id == workspace_id))) == clients
    assert roles == {OWNER: Role.OWNER.value, ALICE: Role.MANAGER.value}
    _log(slack, "30m acme-web back", user=ALICE)
    wait_for(lambda: len(_entries(db)) == 3, what="an entry logged after the reinstall")
    # Home tells the admins their data is back and Xero needs connecting again
    slack_api.reset_calls()
    slack.home_opened(OWNER)
    home = slack_api.wait_for("views.publish")[0].params["view"]
    assert "Uninstalling disconnected Xero" in str(home)


def test_reinstall_after_the_purge_starts_afresh(two_teams: SignedSlack, slack_api: SlackSandbox,
                                                 db: Database,
        remove_app: Callable[[str], list[str]]) -> None:
    slack = two_teams
    make_catalog(db)
    _log(slack, "2h acme-web homepage", user=ALICE)  # cached: (TEAM, ALICE) -> this workspace's ids
    wait_for(lambda: len(_entries(db)) == 1, what="an entry logged")
    old_id = _workspace(db).id  # type: ignore[union-attr]
    remove_app(TEAM)
    slack.uninstalled(team=TEAM)
    wait_for(lambda: _uninstalled(db), what="the workspace marked uninstalled")
    with db.session() as s:  # the clock moves past the retention period
        s.execute(update(Workspace).where(Workspace.id == old_id)
                  .values(uninstalled_at=utcnow() - timedelta(days=31)))
    assert [p.workspace_id for p in purge_expired(db, 30)] == [old_id]
    assert _workspace(db) is None

    install(_web(two_teams), slack_api, OWNER)
    make_catalog(db)
    _log(slack, "1h acme-web fresh start", user=ALICE)  # a stale cached id would act in the purged workspace
    wait_for(lambda: len(_entries(db)) == 1, what="an entry in the new workspace")
    new = _workspace(db)
    assert new is not None and new.id != old_id
    with db.session() as s:
        entry = s.scalars(select(TimeEntry)).one()
        assert entry.workspace_id == new.id and entry.description == "fresh start"


def test_single_workspace_mode_marks_the_workspace_and_records_the_xero_revocation(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    """With one configured bot token there is no installation store: the workspace is marked and the Xero side's
    work recorded all the same (a reinstall there is a new token in SLACK_BOT_TOKEN and a restart)."""
    slack.home_opened(OWNER)
    slack_api.wait_for("views.publish")
    slack.app_uninstalled()
    wait_for(lambda: _uninstalled(db), what="the workspace marked uninstalled")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == UNINSTALLED_TASK)) == 1
