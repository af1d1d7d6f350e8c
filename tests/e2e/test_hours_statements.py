"""What one quick `/hours` costs the database and Slack: pinned, so a change that adds round trips fails here.

The figures behind it are bench/hours_load.py's (README, Testing); this test counts, it never times.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update

from jobs.inprocess import RELAY_THREAD
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Project
from tests.support.catalog import Catalog, make_catalog
from tests.support.slack_app import ack_body, entries_of
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE

# The member, row-locked, with the workspace's date order, its money and date formats (its locale, its Xero
# currency) and its stamp; and one INSERT … SELECT … RETURNING that stores the entry only if the project is open,
# the day not closed and the daily cap not passed, taking the project's billable default and the rate in force
# (timesheets/entry_store.py). The workspace's projects are kept under its stamp (storage/stamps.py): read again,
# as a third statement, only after they change. At most: fewer is better, one more fails here. (It was 3 before
# the projects were kept, 6 before the formats joined the member's statement and the checks the insert, 10 before
# the reads were merged, 12 with the formats.)
MAX_STATEMENTS_PER_QUICK_LOG = 2


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL sent through `engine` meanwhile (transaction control — SQLite's BEGIN IMMEDIATE — left out), but not
    the in-process outbox relay's (jobs/inprocess.py): its thread polls the outbox and runs the sweeper on a clock
    of its own, so on a slow machine its first sweep can land in the middle of the request being counted."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name == RELAY_THREAD:
            return
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_quick_log_costs_at_most_two_statements_and_no_slack_call(slack: SignedSlack, slack_api: SlackSandbox,
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


def test_after_a_project_changes_the_next_quick_log_reads_the_projects_again(
        slack: SignedSlack, runtime: Any, db: Database, catalog: Catalog) -> None:
    ack_body(slack.command("1 acme-web First of the day", user=ALICE))
    with db.session() as s:  # another connection, through no use case: the database's triggers restamp
        s.execute(update(Project).where(Project.id == catalog.web).values(code="site"))
    with statements(runtime.db.engine) as seen:
        body = ack_body(slack.command("2 site Fixed the header", user=ALICE))  # unknown to a stale copy
    assert body["text"].startswith("Logged 2 h on Acme — Website"), body
    assert len(seen) == MAX_STATEMENTS_PER_QUICK_LOG + 1, "\n".join(statement[:160] for statement in seen)
    with statements(runtime.db.engine) as seen:
        ack_body(slack.command("1 site Reviewed it", user=ALICE))
    assert len(seen) == MAX_STATEMENTS_PER_QUICK_LOG  # kept again under the new stamp
