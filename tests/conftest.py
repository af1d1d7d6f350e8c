"""Shared fixtures: real database, Redis, encryption keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.xero_connection import ConnectedWorkspace, connect_workspace  # noqa: E402
from storage.crypto import generate_key, keyring
from storage.db import Database
from tests.support.services import clean, migrated_database_url, redis_url_or_skip


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database_url(Path(tmp_path_factory.mktemp("db"))) as url:
        yield url


@pytest.fixture(scope="session")
def encryption_keys() -> tuple[str, ...]:
    keys = (generate_key(), generate_key())
    keyring.configure(keys)
    return keys


@pytest.fixture
def db(database_url: str, encryption_keys: tuple[str, ...]) -> Iterator[Database]:
    """A migrated, empty database (SQLite or PostgreSQL per TEST_DATABASE_URL)."""
    database = Database(database_url)
    clean(database)
    yield database
    database.dispose()


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()


# --- the whole app, against the Slack stand-in -------------------------------------------------------------

from sandbox.slack import SlackSandbox  # noqa: E402
from tests.support.slack_requests import SignedSlack  # noqa: E402
from tests.support.workspace import SIGNING_SECRET, seed_workspace, token_mode_settings  # noqa: E402


@pytest.fixture(scope="session")
def slack_sandbox_server() -> Iterator[SlackSandbox]:
    sandbox = SlackSandbox().start()
    seed_workspace(sandbox)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def slack_api(slack_sandbox_server: SlackSandbox) -> SlackSandbox:
    """The Slack stand-in, with calls and faults forgotten (workspace data kept)."""
    slack_sandbox_server.reset()
    return slack_sandbox_server


@pytest.fixture
def runtime(slack_api: SlackSandbox, db: Database, database_url: str,
            encryption_keys: tuple[str, ...]) -> Iterator[Any]:
    """The composed app in single-workspace mode, jobs in-process."""
    from app import build_runtime

    rt = build_runtime(token_mode_settings(slack_api, database_url, encryption_keys))
    slack_api.reset_calls()  # auth.test at construction is not what tests assert on
    yield rt
    rt.close()


@pytest.fixture
def slack(runtime: Any, slack_api: SlackSandbox) -> SignedSlack:
    """Signed requests into the real web app; response_urls point at the Slack stand-in."""
    return SignedSlack(runtime.web_app.test_client(), SIGNING_SECRET, response_base=slack_api.response_url_base)


@pytest.fixture
def two_teams(slack_api: SlackSandbox, db: Database, database_url: str,
              encryption_keys: tuple[str, ...]) -> Iterator[SignedSlack]:
    """Signed requests into the app installed (OAuth, multi-workspace) in TEAM by OWNER and OTHER_TEAM by
    STRANGER: each request acts in the workspace its team's installation authorizes."""
    from tests.support.two_workspaces import two_workspaces

    with two_workspaces(slack_api, database_url, encryption_keys) as signed:
        yield signed


# --- the Xero stand-in, and a workspace connected to it --------------------------------------------------------

from sandbox.xero import XeroSandbox  # noqa: E402


@pytest.fixture
def xero_sb() -> Iterator[XeroSandbox]:
    """The Xero stand-in on loopback, clock frozen (tests move it), consent automatic."""
    from tests.support.xero_sandbox import running_sandbox

    with running_sandbox() as sandbox:
        sandbox.auto_consent = True
        yield sandbox


@pytest.fixture
def connected(db: Database, xero_sb: XeroSandbox) -> ConnectedWorkspace:
    """A new workspace connected to the stand-in's demo organisation (a real token set)."""
    return connect_workspace(db, xero_sb)


@pytest.fixture
def xworld(slack_api: SlackSandbox, db: Database, database_url: str, encryption_keys: tuple[str, ...],
           xero_sb: XeroSandbox) -> Iterator[Any]:
    """Hour Cap in token mode for TEAM, connected to the Xero stand-in's demo organisation (the setup wizard's
    world: tests/support/xero_wizard.py)."""
    from tests.support.xero_wizard import wizard_world

    with wizard_world(slack_api, db, database_url, encryption_keys, xero_sb) as world:
        yield world
