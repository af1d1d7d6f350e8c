"""`hourcap worker`: an RQ worker running its jobs in its own process, plus the outbox relay and sweeper.

Jobs run one at a time in the worker's main thread (RQ's `SimpleWorker`), not in a work horse forked for each job:
the engine's pooled connections, SQLAlchemy's compiled statements and the Xero clients' TLS context stay warm from
one job to the next. What the fork per job used to give, and what stands for it now:

- A time limit. RQ's job timeout (`jobs.rq_transport.JOB_TIMEOUT`) raises `JobTimeoutException` inside the job
  (SIGALRM, handled in the main thread); the executor records it as a transient failure, and the worker takes its
  next job. A job still running `stuck_grace` seconds after its timeout (it swallowed the exception, or is stuck
  where no signal reaches it) makes the worker exit at once with status `STUCK_EXIT`, as RQ used to kill such a
  horse: its supervisor starts a new worker, and the row's lease hands the work on (jobs/sweeper.py).
- Isolation. A job that brings its process down (SIGKILL, the OOM killer) takes the worker with it; the outbox
  makes that safe, as for any killed worker: the row stays `running` until its lease expires, then the sweeper
  re-queues it, and tasks are idempotent by contract.
- A fresh process. Nothing relies on one: log fields are bound per job (`logs.bound`), metrics go to the worker's
  own multiprocess file (metrics.py), the job context is the worker's for its lifetime (`jobs.entry.serving`).

The relay thread makes workers self-sufficient: rows written while Redis was down, or by a web process that
crashed between commit and enqueue, are still delivered, and lost jobs are re-queued, with no other process
running. RQ's own SIGTERM handling gives a warm shutdown (finish the current job, then exit); the relay thread
stops with it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any

import redis
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import Engine

from jobs.entry import serving
from jobs.registry import JobContext
from jobs.relay import fast_path, relay_due
from jobs.rq_transport import RQTransport
from jobs.sweeper import sweep

log = logging.getLogger(__name__)

STUCK_GRACE = 60.0  # seconds past a job's timeout before the worker gives up on it (RQ gave a horse as long)
STUCK_EXIT = 70  # the worker's exit status then (EX_SOFTWARE): its supervisor restarts it

_forked_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _reset_engines_in_child() -> None:
    # RQ forks its scheduler from the worker: the child must not reuse the parent's pooled connections.
    for engine in list(_forked_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_reset_engines_in_child)


class InProcessWorker(SimpleWorker):
    """RQ's SimpleWorker (jobs in the worker's main thread, under RQ's signal-based job timeout) that exits the
    process when a job outlives its timeout by `stuck_grace` seconds."""

    def __init__(self, *args: Any, stuck_grace: float = STUCK_GRACE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stuck_grace = stuck_grace

    def execute_job(self, job: Job, queue: Queue) -> None:
        timeout = job.timeout or self.queue_class.DEFAULT_TIMEOUT
        if timeout == -1:  # RQ's "no timeout"
            super().execute_job(job, queue)
            return
        watchdog = threading.Timer(timeout + self.stuck_grace, _give_up, args=(job.id, timeout, self.stuck_grace))
        watchdog.daemon = True
        watchdog.start()
        try:
            super().execute_job(job, queue)
        finally:
            watchdog.cancel()


def _give_up(job_id: str, timeout: int, grace: float) -> None:
    # The log handler flushes each line; nothing else may wait on the stuck main thread.
    log.critical("job %s still running %.0fs after its %ss timeout; the worker exits (status %s) so that its "
                 "supervisor starts a fresh one, and the outbox hands the work on", job_id, grace, timeout, STUCK_EXIT)
    os._exit(STUCK_EXIT)


def rq_worker(redis_url: str, queue_name: str, *, stuck_grace: float = STUCK_GRACE) -> InProcessWorker:
    """The RQ worker of `hourcap worker` for `queue_name`, on a Redis connection of its own (RQ raises its socket
    timeout to fit blocking dequeues)."""
    return InProcessWorker([queue_name], connection=redis.Redis.from_url(redis_url), serializer=JSONSerializer,
                           stuck_grace=stuck_grace)


def run_worker(
    ctx: JobContext,
    redis_url: str,
    *,
    queue_name: str = "hourcap",
    burst: bool = False,
    relay_interval: float = 2.0,
    sweep_interval: float = 30.0,
    logging_level: str | None = "INFO",
    stuck_grace: float = STUCK_GRACE,
) -> bool:
    """Work `queue_name` until SIGTERM/SIGINT (or, with `burst`, until empty); call from the main thread (RQ's job
    timeout is a SIGALRM handler).

    RQ's jobs (`jobs.entry.run`) run with `ctx` for as long as this call lasts, and with none once it returns.
    """
    with serving(ctx):
        return _work(ctx, redis_url, queue_name, burst, relay_interval, sweep_interval, logging_level, stuck_grace)


def _work(
    ctx: JobContext,
    redis_url: str,
    queue_name: str,
    burst: bool,
    relay_interval: float,
    sweep_interval: float,
    logging_level: str | None,
    stuck_grace: float,
) -> bool:
    _forked_engines.add(ctx.db.engine)
    transport = RQTransport(redis_url, queue_name)
    relay_now = fast_path(ctx.db, transport)  # follow-up work recorded by tasks goes out right after commit
    ctx.db.outbox_listeners.add(relay_now)
    relay_now()  # so a burst worker sees work that was waiting in the outbox
    stop = threading.Event()
    thread = threading.Thread(
        target=_relay_loop,
        args=(ctx, transport, stop, relay_interval, sweep_interval),
        name="hourcap-relay",
        daemon=True,
    )
    thread.start()
    worker = rq_worker(redis_url, queue_name, stuck_grace=stuck_grace)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
    finally:
        stop.set()
        ctx.db.outbox_listeners.remove(relay_now)
        thread.join(timeout=10)


def _relay_loop(
    ctx: JobContext,
    transport: RQTransport,
    stop: threading.Event,
    relay_interval: float,
    sweep_interval: float,
) -> None:
    next_sweep = time.monotonic()
    while not stop.is_set():
        try:
            relay_due(ctx.db, transport)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + sweep_interval
                sweep(ctx.db, transport, ctx=ctx)
        except Exception:  # noqa: BLE001 - a database or Redis blip must not kill the relay thread
            log.exception("relay round failed; retrying in %.1fs", relay_interval)
        stop.wait(relay_interval)
