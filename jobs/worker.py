"""`hourcap worker`: an RQ worker plus the outbox relay and sweeper in the worker's main process.

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

import redis
from rq import Worker
from rq.serializers import JSONSerializer
from sqlalchemy import Engine

from jobs.entry import serving
from jobs.registry import JobContext
from jobs.relay import fast_path, relay_due
from jobs.rq_transport import RQTransport
from jobs.sweeper import sweep

log = logging.getLogger(__name__)

_forked_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _reset_engines_in_child() -> None:
    # A forked work horse must not reuse the parent's pooled connections (two processes on one socket).
    for engine in list(_forked_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_reset_engines_in_child)


def run_worker(
    ctx: JobContext,
    redis_url: str,
    *,
    queue_name: str = "hourcap",
    burst: bool = False,
    relay_interval: float = 2.0,
    sweep_interval: float = 30.0,
    logging_level: str | None = "INFO",
) -> bool:
    """Work `queue_name` until SIGTERM/SIGINT (or, with `burst`, until empty); call from the main thread.

    RQ's jobs (`jobs.entry.run`) run with `ctx` for as long as this call lasts, and with none once it returns.
    """
    with serving(ctx):
        return _work(ctx, redis_url, queue_name, burst, relay_interval, sweep_interval, logging_level)


def _work(
    ctx: JobContext,
    redis_url: str,
    queue_name: str,
    burst: bool,
    relay_interval: float,
    sweep_interval: float,
    logging_level: str | None,
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
    # Its own connection: RQ raises the socket timeout on the worker's connection to fit blocking dequeues.
    worker = Worker(
        [queue_name],
        connection=redis.Redis.from_url(redis_url),
        serializer=JSONSerializer,
    )
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
