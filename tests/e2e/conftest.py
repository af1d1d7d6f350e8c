"""Fixtures shared by end-to-end modules: Hour Cap served over HTTP with a Xero stand-in, and a browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.demo_xero import Browser
from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.xero_connect_flow import ServedApp, served_app


@pytest.fixture
def xero_app(slack_api: SlackSandbox, db: Database, database_url: str,
             encryption_keys: tuple[str, ...]) -> Iterator[ServedApp]:
    """Hour Cap on a loopback port in token mode for TEAM, with a Xero stand-in that redirects to it."""
    with served_app(slack_api, db, database_url, encryption_keys) as app:
        yield app


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A scripted browser: follows redirects, keeps cookies, submits the HTML forms it is shown."""
    b = Browser()
    yield b
    b.close()
