"""Shared pieces for the jobs tests: test-only tasks, waiting helpers, RQ clean-up, a subprocess worker (the
`rq_queue` fixture is in tests/integration/conftest.py).

Test tasks keep their observations in `CALLS` keyed by a per-test token (so tests never see each other's
calls), except `test.crash_once` and `test.stubborn_once`, which run in a separate worker process and therefore
write to a file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import update

from errors import Permanent, RetryAt, Transient
from jobs.entry import serving
from jobs.registry import JobContext, TaskRegistry
from storage import outbox
from storage.db import Database
from storage.models import Outbox

REPO = Path(__file__).resolve().parents[2]
CALLS: dict[str, list[dict[str, Any]]] = defaultdict(list)
_calls_lock = threading.Lock()
RETRY_AT = datetime(2099, 1, 1, tzinfo=UTC)


def _note(token: str, **info: Any) -> int:
    with _calls_lock:
        CALLS[token].append(info)
        return len(CALLS[token])


def record_call(ctx: JobContext, token: str, sleep: float = 0.0, **extra: Any) -> None:
    _note(token, thread=threading.get_ident(), has_db=ctx.db is not None, **extra)
    if sleep:
        time.sleep(sleep)


def flaky(ctx: JobContext, token: str, failures: int) -> None:
    """Fails `failures` times (first a typed Transient, then an untyped error), then succeeds."""
    calls = _note(token)
    if calls <= failures:
        if calls % 2:
            raise Transient(f"upstream 503 on call {calls}")
        raise ConnectionResetError(f"connection reset on call {calls}")


def slow_backoff(ctx: JobContext, token: str) -> None:
    _note(token)
    raise Transient("try much later")


def rate_limited(ctx: JobContext, token: str) -> None:
    _note(token)
    raise RetryAt(RETRY_AT, "Xero 429: retry after the minute limit resets")


def permanent(ctx: JobContext, token: str) -> None:
    _note(token)
    raise Permanent("contact rejected by Xero (access_token=abc123 must not leak)")


def crash_once(ctx: JobContext, path: str) -> None:
    """First run announces itself and hangs (the test kills its worker); later runs complete."""
    marker = Path(path)
    earlier = marker.read_text().count("start") if marker.exists() else 0
    with marker.open("a") as handle:
        handle.write(f"start {os.getpid()}\n")
    if earlier == 0:
        time.sleep(60)
    with marker.open("a") as handle:
        handle.write("done\n")


def stubborn_once(ctx: JobContext, path: str) -> None:
    """Like `crash_once`, but its first run also ignores the job timeout: it swallows what RQ raises and hangs on."""
    marker = Path(path)
    earlier = marker.read_text().count("start") if marker.exists() else 0
    with marker.open("a") as handle:
        handle.write(f"start {os.getpid()}\n")
    deadline = time.monotonic() + 60
    while earlier == 0 and time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the point: a task that will not be stopped
            time.sleep(max(deadline - time.monotonic(), 0))
    with marker.open("a") as handle:
        handle.write("done\n")


def tasks_for_tests() -> TaskRegistry:
    """A fresh registry holding the test-only tasks above."""
    tasks = TaskRegistry()
    tasks.add("test.record", record_call)
    tasks.add("test.flaky", flaky, retry_base=0.01, retry_cap=0.05)
    tasks.add("test.slow_backoff", slow_backoff, retry_base=10.0, retry_cap=3600.0)
    tasks.add("test.retry_at", rate_limited)
    tasks.add("test.permanent", permanent)
    tasks.add("test.crash_once", crash_once, lease=timedelta(seconds=1.5), retry_base=0.05, retry_cap=0.1)
    tasks.add("test.stubborn_once", stubborn_once, lease=timedelta(seconds=1.5))
    return tasks


def token() -> str:
    return uuid.uuid4().hex


def record(db: Database, task_name: str, args: dict[str, Any] | None = None, **kwargs: Any) -> int:
    with db.session() as session:
        row = outbox.record(session, task_name, args, workspace_id=None, **kwargs)
        assert row is not None
        return row.id


def load(db: Database, outbox_id: int) -> Outbox:
    with db.session() as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        return row


def force(db: Database, outbox_id: int, **values: Any) -> None:
    """Put a row into a state time or a crash would have produced (e.g. an old `enqueued_at`)."""
    with db.session() as session:
        session.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class ListTransport:
    """A transport that only remembers deliveries: for relay races where no worker is wanted."""

    def __init__(self) -> None:
        self.delivered: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def enqueue(self, outbox_id: int, job_id: str) -> None:
        with self._lock:
            self.delivered.append((outbox_id, job_id))

    def knows(self, job_id: str) -> bool:
        with self._lock:
            return any(j == job_id for _, j in self.delivered)


def clean_rq(conn: redis.Redis, queue_name: str, job_ids: set[str]) -> None:
    """Delete the queue's keys, its jobs (by id or by origin) with their results, and its workers' records."""
    doomed: set[str] = set()
    owners: set[str] = set()
    job_ids = set(job_ids)
    keys = [key.decode() for key in conn.scan_iter(match="rq:*", count=1000)]
    for key in keys:
        if queue_name in key:
            doomed.add(key)
        elif (
            key.startswith("rq:job:")
            and conn.type(key) == b"hash"
            and conn.hget(key, "origin") == queue_name.encode()
        ):
            job_ids.add(key.removeprefix("rq:job:"))
        elif (
            key.startswith(("rq:worker:", "rq:scheduler:"))
            and conn.type(key) == b"hash"
            and conn.hget(key, "queues") == queue_name.encode()
        ):  # a worker or scheduler of this queue: its own keys carry its name
            owners.add(key.split(":")[2])
            conn.srem("rq:workers", key)
    doomed.update(key for key in keys if any(name in key for name in job_ids | owners))
    if doomed:
        conn.delete(*doomed)
    conn.srem("rq:queues", f"rq:queue:{queue_name}")


def run_simple_worker(redis_url: str, queue_name: str, ctx: JobContext) -> None:
    """Drain the queue in this process with `hourcap worker`'s RQ worker (burst; no relay thread or sweeper), its
    jobs running with `ctx` as `jobs.worker.run_worker` serves them, restoring pytest's signal handlers."""
    from jobs.worker import rq_worker

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    try:
        worker = rq_worker(redis_url, queue_name)
        with serving(ctx):
            worker.work(burst=True, logging_level="WARNING")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def worker_main() -> None:
    """The subprocess worker: `python -c 'from tests.support.jobs_fixtures import worker_main; ...'`."""
    from jobs.worker import run_worker

    queue_name, relay_interval, sweep_interval = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    stuck_grace = float(sys.argv[4])
    ctx = JobContext(db=Database(os.environ["DATABASE_URL"]), tasks=tasks_for_tests())
    run_worker(
        ctx,
        os.environ["REDIS_URL"],
        queue_name=queue_name,
        relay_interval=relay_interval,
        sweep_interval=sweep_interval,
        stuck_grace=stuck_grace,
    )
