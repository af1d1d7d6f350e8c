"""/hours after PostgreSQL ended the app's connections: the pool checks them at checkout without a round trip
(storage/db.py `_refuse_dead_connection`, instead of a pre-ping per transaction), so the next command works.

PostgreSQL only: SQLite has no server to end a connection.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import text

from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.catalog import Catalog, make_catalog
from tests.support.slack_app import ack_body, entries_of
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def pooled_backends(database: Database) -> list[int]:
    """The PostgreSQL backend of every connection idle in `database`'s pool (all checked out at once, then back)."""
    with ExitStack() as stack:
        connections = [stack.enter_context(database.engine.connect())
                       for _ in range(database.engine.pool.checkedin())]  # type: ignore[attr-defined]
        return [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in connections]


def terminate(db: Database, pids: list[int]) -> None:
    """End those backends the way an operator or a server restart would, and wait until each is gone (PostgreSQL's
    `pg_terminate_backend(pid, timeout)` waits for the backend to exit; a transaction of its own for each, since
    `pg_stat_activity` keeps one snapshot for a whole transaction)."""
    for pid in pids:
        with db.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": pid}).scalar_one(), (
                f"backend {pid} still running 30 s after it was told to end")
    with db.engine.connect() as admin:
        alive = admin.execute(text("SELECT array_agg(pid) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                              {"pids": pids}).scalar_one()
    assert not alive, f"backends {alive} still running"


def test_the_next_hours_works_after_the_server_ended_every_pooled_connection(
        slack: SignedSlack, slack_api: SlackSandbox, runtime: Any, db: Database, catalog: Catalog) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no server to end a connection")
    assert ack_body(slack.command("1 acme-web Before", user=ALICE))["text"].startswith("Logged 1 h")
    backends = pooled_backends(runtime.db)
    assert backends, "the app's pool kept no connection"
    terminate(db, backends)

    body = ack_body(slack.command("2.5 acme-web After the restart", user=ALICE))

    assert body["text"].startswith("Logged 2 h 30 min on Acme — Website")
    assert [e.description for e in entries_of(db, ALICE)] == ["Before", "After the restart"]
    assert not set(pooled_backends(runtime.db)) & set(backends)
