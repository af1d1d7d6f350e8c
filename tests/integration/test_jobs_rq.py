"""RQ as the transport, with real Redis and RQ's SimpleWorker (burst) using the JSON serializer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from jobs.registry import JobContext
from jobs.relay import relay_due
from jobs.rq_transport import RQTransport
from jobs.sweeper import sweep
from storage.db import Database
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow
from tests.support.jobs_fixtures import (
    CALLS,
    force,
    load,
    record,
    run_simple_worker,
    tasks_for_tests,
    token,
)

pytestmark = pytest.mark.redis
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused, like a Redis that is down


def test_relayed_rows_run_in_an_rq_worker(db: Database, redis_url: str, rq_queue: str) -> None:
    ctx = JobContext(db=db, tasks=tasks_for_tests())
    keys = [token() for _ in range(3)]
    ids = [record(db, "test.record", {"token": key}) for key in keys]
    transport = RQTransport(redis_url, rq_queue)
    assert relay_due(db, transport) == 3

    queue = Queue(rq_queue, connection=redis.Redis.from_url(redis_url), serializer=JSONSerializer)
    assert queue.count == 3
    job = Job.fetch(load(db, ids[0]).job_id or "", connection=queue.connection, serializer=JSONSerializer)
    assert job.func_name == "jobs.entry.run" and list(job.args) == [ids[0]]  # ids only, never secrets
    assert transport.knows(job.id)

    run_simple_worker(redis_url, rq_queue, ctx)
    for outbox_id, key in zip(ids, keys, strict=True):
        row = load(db, outbox_id)
        assert row.status == OutboxStatus.DONE and row.attempts == 1
        assert len(CALLS[key]) == 1
        assert not transport.knows(row.job_id or "")  # finished jobs are not "known": nothing to wait for


def test_relay_while_redis_is_down_keeps_rows_pending(db: Database, redis_url: str, rq_queue: str) -> None:
    ctx = JobContext(db=db, tasks=tasks_for_tests())
    keys = [token() for _ in range(2)]
    ids = [record(db, "test.record", {"token": key}) for key in keys]

    assert relay_due(db, RQTransport(DOWN, rq_queue)) == 0
    for outbox_id in ids:
        row = load(db, outbox_id)
        assert row.status == OutboxStatus.PENDING and row.enqueued_at is None and row.attempts == 0

    assert relay_due(db, RQTransport(redis_url, rq_queue)) == 2
    run_simple_worker(redis_url, rq_queue, ctx)
    assert [load(db, i).status for i in ids] == [OutboxStatus.DONE, OutboxStatus.DONE]
    assert all(len(CALLS[key]) == 1 for key in keys)


def test_sweeper_recovers_lost_jobs_and_dead_workers(db: Database, redis_url: str, rq_queue: str) -> None:
    ctx = JobContext(db=db, tasks=tasks_for_tests())
    failed: list[Outbox] = []
    def hook(_ctx: JobContext, row: Outbox) -> None:
        failed.append(row)

    ctx.tasks.on_failed(hook)
    try:
        keys = {name: token() for name in ("lost", "waiting", "crashed", "exhausted")}
        ids = {name: record(db, "test.record", {"token": key}, max_attempts=2) for name, key in keys.items()}
        transport = RQTransport(redis_url, rq_queue)
        assert relay_due(db, transport) == 4
        long_ago = utcnow() - timedelta(minutes=5)
        for name in ("lost", "waiting"):
            force(db, ids[name], enqueued_at=long_ago)
        # Redis lost one job (restart without persistence, or a flush).
        Job.fetch(
            load(db, ids["lost"]).job_id or "", connection=transport.connection, serializer=JSONSerializer
        ).delete()
        # Two workers were killed mid-task: their rows are running with leases that ran out.
        force(db, ids["crashed"], status=OutboxStatus.RUNNING.value, attempts=1, lease_until=long_ago)
        force(db, ids["exhausted"], status=OutboxStatus.RUNNING.value, attempts=2, lease_until=long_ago)

        report = sweep(db, transport, ctx=ctx)

        assert (report.requeued_lost, report.requeued_expired, report.failed_expired) == (1, 1, 1)
        assert load(db, ids["lost"]).status == OutboxStatus.PENDING
        assert load(db, ids["waiting"]).status == OutboxStatus.ENQUEUED  # its job still waits in Redis
        crashed = load(db, ids["crashed"])
        assert (
            crashed.status == OutboxStatus.PENDING and crashed.attempts == 1 and crashed.lease_until is None
        )
        exhausted = load(db, ids["exhausted"])
        assert exhausted.status == OutboxStatus.FAILED and "lease expired" in (exhausted.last_error or "")
        assert [row.id for row in failed] == [ids["exhausted"]]

        assert relay_due(db, transport) == 2
        run_simple_worker(redis_url, rq_queue, ctx)
        for name in ("lost", "waiting", "crashed"):
            assert load(db, ids[name]).status == OutboxStatus.DONE, name
            assert len(CALLS[keys[name]]) == 1, name
        assert load(db, ids["crashed"]).attempts == 2  # the killed run counted
        assert CALLS[keys["exhausted"]] == []
    finally:
        ctx.tasks.remove_on_failed(hook)


def test_a_job_popped_by_a_worker_that_died_before_starting_it_is_lost_and_requeued(
        db: Database, redis_url: str, rq_queue: str) -> None:
    """RQ's window between BLPOP and starting the job: the hash still says "queued" but no queue holds it."""
    ctx = JobContext(db=db, tasks=tasks_for_tests())
    key = token()
    outbox_id = record(db, "test.record", {"token": key})
    transport = RQTransport(redis_url, rq_queue)
    assert relay_due(db, transport) == 1
    job_id = load(db, outbox_id).job_id or ""
    assert transport.knows(job_id)
    # A worker pops it and is SIGKILLed before it marks the job started.
    assert transport.connection.lpop(f"rq:queue:{rq_queue}") is not None
    assert transport.connection.hget(Job.key_for(job_id), "status") == b"queued"
    assert not transport.knows(job_id)
    force(db, outbox_id, enqueued_at=utcnow() - timedelta(minutes=5))
    assert sweep(db, transport).requeued_lost == 1
    assert relay_due(db, transport) == 1
    run_simple_worker(redis_url, rq_queue, ctx)
    assert load(db, outbox_id).status == OutboxStatus.DONE and len(CALLS[key]) == 1


def test_a_job_started_by_a_worker_that_died_before_claiming_the_row_is_requeued(
        db: Database, redis_url: str, rq_queue: str) -> None:
    """A claim makes the row RUNNING at once; a row still ENQUEUED long after its job started was never claimed."""
    ctx = JobContext(db=db, tasks=tasks_for_tests())
    key = token()
    outbox_id = record(db, "test.record", {"token": key})
    transport = RQTransport(redis_url, rq_queue)
    assert relay_due(db, transport) == 1
    job_id = load(db, outbox_id).job_id or ""
    # A worker popped it and marked it started, then was SIGKILLed before the executor claimed the row.
    assert transport.connection.lpop(f"rq:queue:{rq_queue}") is not None
    transport.connection.hset(Job.key_for(job_id), "status", "started")
    assert transport.knows(job_id) and transport.started(job_id)
    assert sweep(db, transport).requeued_lost == 0  # recently enqueued: it may just be starting
    force(db, outbox_id, enqueued_at=utcnow() - timedelta(minutes=5))
    assert sweep(db, transport).requeued_lost == 1
    assert relay_due(db, transport) == 1
    run_simple_worker(redis_url, rq_queue, ctx)
    assert load(db, outbox_id).status == OutboxStatus.DONE and len(CALLS[key]) == 1


def test_sweeper_leaves_enqueued_rows_alone_while_redis_is_down(
    db: Database, redis_url: str, rq_queue: str
) -> None:
    outbox_id = record(db, "test.record", {"token": token()})
    assert relay_due(db, RQTransport(redis_url, rq_queue)) == 1
    force(db, outbox_id, enqueued_at=utcnow() - timedelta(minutes=5))
    report = sweep(db, RQTransport(DOWN, rq_queue))
    assert report.requeued_lost == 0  # "cannot ask" is not "lost": no duplicate delivery on a Redis blip
    assert load(db, outbox_id).status == OutboxStatus.ENQUEUED
