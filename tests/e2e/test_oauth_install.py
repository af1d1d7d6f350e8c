"""Multi-workspace install through Slack's OAuth flow; bot tokens never stored in plaintext."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from sqlalchemy import inspect, select, text

from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, Role, Workspace
from tests.support.slack_requests import SignedSlack
from tests.support.two_workspaces import install
from tests.support.two_workspaces import oauth_runtime as multi_workspace_runtime
from tests.support.workspace import ALICE, OWNER, SIGNING_SECRET, TEAM


@pytest.fixture
def oauth_runtime(slack_api: SlackSandbox, db: Database, database_url: str,
                  encryption_keys: tuple[str, ...]) -> Iterator[Any]:
    with multi_workspace_runtime(slack_api, database_url, encryption_keys) as rt:
        yield rt


def test_install_makes_the_installer_owner_and_stores_no_plaintext_token(
    oauth_runtime: Any, slack_api: SlackSandbox, db: Database
) -> None:
    web = oauth_runtime.web_app.test_client()
    install(web, slack_api, OWNER)
    issued = slack_api.calls_to("oauth.v2.access")
    assert len(issued) == 1
    with db.session() as s:
        workspace = s.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
        owner = s.scalars(select(Member).where(Member.slack_user_id == OWNER)).one()
        assert owner.role == Role.OWNER and workspace.installed_by_user_id == OWNER
        assert workspace.name == "Acme Studio"
    # No bot token in plaintext anywhere: scan every text column of every table.
    tokens = {t.token for t in slack_api.state.tokens.values() if t.token.startswith("xoxb-")}
    assert tokens
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    assert not any(tok in str(value) for tok in tokens), f"plaintext token in {table}"
    # ...yet the app can use it: a signed event is answered with the stored (decrypted) token.
    slack_api.reset_calls()
    SignedSlack(web, SIGNING_SECRET).home_opened(OWNER)
    publish = slack_api.wait_for("views.publish")[0]
    assert publish.token in tokens


def test_reinstall_by_someone_else_keeps_the_owner(oauth_runtime: Any, slack_api: SlackSandbox,
                                                   db: Database) -> None:
    web = oauth_runtime.web_app.test_client()
    install(web, slack_api, OWNER)
    install(oauth_runtime.web_app.test_client(), slack_api, ALICE)
    with db.session() as s:
        roles = {m.slack_user_id: m.role for m in s.scalars(select(Member))}
    assert roles == {OWNER: Role.OWNER, ALICE: Role.MEMBER}


def test_replayed_or_forged_state_installs_nothing(oauth_runtime: Any, slack_api: SlackSandbox,
                                                   db: Database) -> None:
    web = oauth_runtime.web_app.test_client()
    slack_api.set_installer(TEAM, OWNER)
    page = web.get("/slack/install").get_data(as_text=True)
    authorize = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page)
    assert authorize is not None
    back = urlsplit(httpx2.get(authorize.group(1).replace("&amp;", "&")).headers["location"])
    forged = back.query.replace("state=", "state=forged")
    attacker = oauth_runtime.web_app.test_client()  # no state cookie: a link replayed in another browser
    assert attacker.get(f"{back.path}?{back.query}").status_code == 400
    assert web.get(f"{back.path}?{forged}").status_code == 400
    web = oauth_runtime.web_app.test_client()
    page = web.get("/slack/install").get_data(as_text=True)
    authorize = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page)
    assert authorize is not None
    back = urlsplit(httpx2.get(authorize.group(1).replace("&amp;", "&")).headers["location"])
    assert web.get(f"{back.path}?{back.query}").status_code == 200
    assert web.get(f"{back.path}?{back.query}").status_code == 400  # state is single-use
    with db.session() as s:
        assert len(s.scalars(select(Member)).all()) == 1
