"""The in-process runner and `execute`, end to end on the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from jobs.execute import execute
from jobs.inprocess import InProcessRunner
from jobs.registry import JobContext
from jobs.relay import relay_due
from storage.db import Database
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow
from tests.support.jobs_fixtures import (
    CALLS,
    RETRY_AT,
    ListTransport,
    force,
    load,
    record,
    tasks_for_tests,
    token,
    wait_for,
)


@pytest.fixture
def ctx(db: Database) -> JobContext:
    return JobContext(db=db, services={"marker": object()}, tasks=tasks_for_tests())


@pytest.fixture
def runner(ctx: JobContext) -> Iterator[InProcessRunner]:
    # A long poll: anything that runs quickly was woken by the after-commit listener, not found by polling.
    runner = InProcessRunner(ctx, workers=2, poll_seconds=30.0)
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture
def failures(ctx: JobContext) -> Iterator[list[tuple[JobContext, Outbox]]]:
    seen: list[tuple[JobContext, Outbox]] = []

    def hook(ctx: JobContext, row: Outbox) -> None:
        seen.append((ctx, row))

    ctx.tasks.on_failed(hook)
    yield seen
    ctx.tasks.remove_on_failed(hook)


def test_recorded_work_runs_right_after_commit(db: Database, runner: InProcessRunner) -> None:
    key = token()
    started = time.monotonic()
    outbox_id = record(db, "test.record", {"token": key, "invoice_id": 7})
    wait_for(lambda: load(db, outbox_id).status == OutboxStatus.DONE, timeout=5, what="row done")
    assert time.monotonic() - started < 5  # far below poll_seconds: the commit woke the runner
    assert CALLS[key] == [{"thread": CALLS[key][0]["thread"], "has_db": True, "invoice_id": 7}]
    row = load(db, outbox_id)
    assert row.attempts == 1 and row.finished_at is not None and row.lease_until is None
    assert row.job_id and row.last_error is None
    runner.drain(5)


def test_retry_at_reschedules_without_using_an_attempt(db: Database, runner: InProcessRunner) -> None:
    key = token()
    outbox_id = record(db, "test.retry_at", {"token": key})
    wait_for(
        lambda: len(CALLS[key]) == 1 and load(db, outbox_id).status == OutboxStatus.PENDING, what="reschedule"
    )
    runner.drain(5)  # the rescheduled row is not due: nothing left to do now
    row = load(db, outbox_id)
    assert row.attempts == 0
    assert row.available_at == RETRY_AT
    assert row.last_error is not None and "429" in row.last_error
    assert len(CALLS[key]) == 1


def test_transient_failures_back_off_then_succeed(db: Database, runner: InProcessRunner) -> None:
    key = token()
    outbox_id = record(db, "test.flaky", {"token": key, "failures": 2}, max_attempts=5)
    wait_for(lambda: load(db, outbox_id).status == OutboxStatus.DONE, timeout=10, what="flaky task done")
    row = load(db, outbox_id)
    assert len(CALLS[key]) == 3 and row.attempts == 3
    assert row.last_error is None


def test_transient_failure_waits_two_to_the_attempts_times_base(ctx: JobContext, db: Database) -> None:
    key = token()
    outbox_id = record(db, "test.slow_backoff", {"token": key})
    before = utcnow()
    assert execute(ctx, outbox_id) == "retry"
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    # attempt 1, base 10 s: 2**1 * 10 = 20 s, jittered into [10, 20] s.
    assert before + timedelta(seconds=10) <= row.available_at <= utcnow() + timedelta(seconds=20)
    assert row.last_error == "Transient: try much later"
    assert execute(ctx, outbox_id) == "skipped"  # not due yet: a stray delivery cannot jump the backoff
    assert len(CALLS[key]) == 1


def test_transient_failures_end_failed_after_max_attempts(
    db: Database, runner: InProcessRunner, failures: list[tuple[JobContext, Outbox]]
) -> None:
    key = token()
    outbox_id = record(db, "test.flaky", {"token": key, "failures": 10}, max_attempts=3)
    wait_for(lambda: load(db, outbox_id).status == OutboxStatus.FAILED, timeout=10, what="row failed")
    row = load(db, outbox_id)
    assert row.attempts == 3 and len(CALLS[key]) == 3
    assert row.last_error == "Transient: upstream 503 on call 3"
    assert [r.id for _, r in failures] == [outbox_id]


def test_permanent_fails_at_once_and_calls_on_failed(
    db: Database, runner: InProcessRunner, failures: list[tuple[JobContext, Outbox]]
) -> None:
    key = token()
    outbox_id = record(db, "test.permanent", {"token": key})
    wait_for(lambda: bool(failures), timeout=5, what="on_failed hook")
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1 and row.finished_at is not None
    assert row.last_error == "Permanent: contact rejected by Xero (access_token=*** must not leak)"
    hook_ctx, hook_row = failures[0]
    assert hook_ctx is runner.ctx and hook_row.id == outbox_id and hook_row.status == OutboxStatus.FAILED
    assert len(CALLS[key]) == 1


def test_unknown_task_is_retried_then_fails(ctx: JobContext, db: Database) -> None:
    outbox_id = record(db, "test.no_such_task", {}, max_attempts=1)
    assert execute(ctx, outbox_id) == "failed"
    assert "no task registered as 'test.no_such_task'" in (load(db, outbox_id).last_error or "")


def test_duplicate_delivery_of_one_row_runs_the_task_once(ctx: JobContext, db: Database) -> None:
    key = token()
    outbox_id = record(db, "test.record", {"token": key, "sleep": 0.3})
    transport = ListTransport()
    assert relay_due(db, transport) == 1
    [(_, job_id)] = transport.delivered
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def deliver() -> None:
        barrier.wait()
        outcomes.append(execute(ctx, outbox_id, job_id=job_id))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "skipped", "skipped"]
    assert execute(ctx, outbox_id, job_id=job_id) == "skipped"  # a late redelivery after completion
    assert len(CALLS[key]) == 1
    assert load(db, outbox_id).attempts == 1


def test_a_run_that_lost_its_lease_does_not_overwrite_the_new_owner(ctx: JobContext, db: Database) -> None:
    """Worker A is slow; its lease expires and the row is re-run by B. A's late result must be dropped."""
    key = token()
    outbox_id = record(db, "test.record", {"token": key, "sleep": 0.5})
    outcome: list[str] = []
    slow = threading.Thread(target=lambda: outcome.append(execute(ctx, outbox_id)))
    slow.start()
    wait_for(lambda: len(CALLS[key]) == 1, what="first run started")
    # What the sweeper does once A's lease has expired: a second attempt is due.
    force(db, outbox_id, status=OutboxStatus.PENDING.value, lease_until=None, available_at=utcnow())
    assert execute(ctx, outbox_id) == "done"
    slow.join()
    assert outcome == ["lost"]
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.DONE and row.attempts == 2


def test_drain_times_out_while_work_is_in_flight(db: Database, runner: InProcessRunner) -> None:
    key = token()
    record(db, "test.record", {"token": key, "sleep": 1.0})
    with pytest.raises(TimeoutError):
        runner.drain(0.3)
    runner.drain(5)
    assert len(CALLS[key]) == 1
