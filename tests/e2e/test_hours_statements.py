"""What one quick `/hours` costs the database and Slack: pinned, so a change that adds round trips fails here.

The figures behind it are bench/hours_load.py's (README, Testing); this test counts, it never times.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.catalog import Catalog, make_catalog
from tests.support.slack_app import ack_body, entries_of
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE

# The member, row-locked, with the workspace's date order; the workspace's projects; one statement for the
# project's state and rates, the lock date, the week's state and the day's minutes; the INSERT … RETURNING; and
# the workspace's money and date formats for the reply (team/formats.py: its locale, its Xero currency). At most:
# fewer is better, one more fails here. (It was 10 before the statements were merged, 12 with the formats.)
MAX_STATEMENTS_PER_QUICK_LOG = 6


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL sent through `engine` meanwhile (transaction control — SQLite's BEGIN IMMEDIATE — left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_quick_log_costs_at_most_six_statements_and_no_slack_call(slack: SignedSlack, slack_api: SlackSandbox,
                                                            runtime: Any, db: Database, catalog: Catalog) -> None:
    ack_body(slack.command("1 acme-web First of the day", user=ALICE))  # first contact: the profile is fetched
    slack_api.reset_calls()
    with statements(runtime.db.engine) as seen:
        body = ack_body(slack.command("2.5 acme-web Fixed the header", user=ALICE))
    assert body["text"].startswith("Logged 2 h 30 min on Acme — Website")
    assert len(entries_of(db, ALICE)) == 2
    listing = "\n".join(statement[:160] for statement in seen)
    assert len(seen) <= MAX_STATEMENTS_PER_QUICK_LOG, listing
    assert sum(statement.startswith("INSERT") for statement in seen) == 1, listing
    assert [call.method for call in slack_api.calls] == []
