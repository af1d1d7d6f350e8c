"""Fixtures shared by integration modules: the invoice-push world, and an RQ queue of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage.db import Database
from storage.models import Outbox
from tests.support.invoice_push import PushWorld, connected_push_world, push_context
from tests.support.jobs_fixtures import clean_rq


@pytest.fixture
def push_ctx(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
             encryption_keys: tuple[str, ...]) -> JobContext:
    """A job context aimed at the Slack and Xero stand-ins, with the app's tasks."""
    return push_context(db, xero_sb, slack_api, database_url, encryption_keys)


@pytest.fixture
def push_world(db: Database, xero_sb: XeroSandbox, push_ctx: JobContext) -> PushWorld:
    """TEAM's workspace connected to the demo organisation, people, and a client linked to a Xero contact."""
    return connected_push_world(db, xero_sb)


@pytest.fixture
def rq_queue(redis_url: str, db: Database) -> Iterator[str]:
    """A queue name of our own; every RQ key for it, its jobs and its workers is removed afterwards."""
    name = f"hourcap-test-{uuid.uuid4().hex[:12]}"
    yield name
    with db.session() as session:
        job_ids = {j for j in session.scalars(select(Outbox.job_id)) if j}
    clean_rq(redis.Redis.from_url(redis_url), name, job_ids)
