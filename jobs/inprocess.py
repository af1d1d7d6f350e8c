"""The in-process runner, used when REDIS_URL is unset: same outbox, same tasks, threads instead of RQ.

A thread pool is the transport; one poller thread relays due rows and sweeps. The poller is woken right after
any commit that recorded work (it is one of `db.outbox_listeners`), and otherwise sleeps until the next row falls
due or `poll_seconds` pass, whichever is first. Fine for one small team on one process; not for production,
where a crash loses the pool (the sweeper recovers that work on the next start).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, or_, select

from jobs.execute import execute
from jobs.registry import JobContext
from jobs.relay import relay_due
from jobs.sweeper import sweep
from jobs.transport import TransportUnavailable
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)


class ThreadTransport:
    """Runs `execute` on a thread pool; `knows` = submitted and not yet finished."""

    def __init__(self, ctx: JobContext, workers: int, on_done: threading.Event) -> None:
        self._ctx = ctx
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hourcap-job")
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._on_done = on_done

    def enqueue(self, outbox_id: int, job_id: str) -> None:
        with self._lock:
            if self._closed:
                raise TransportUnavailable("in-process runner is stopped")
            self._in_flight.add(job_id)
            self._pool.submit(self._run, outbox_id, job_id)

    def knows(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._in_flight

    def _run(self, outbox_id: int, job_id: str) -> None:
        try:
            execute(self._ctx, outbox_id, job_id=job_id)
        except Exception:  # noqa: BLE001 - the row stays enqueued/running; the sweeper recovers it
            log.exception("outbox %s: execute crashed", outbox_id)
        finally:
            with self._lock:
                self._in_flight.discard(job_id)
            self._on_done.set()  # a retry may now be due soon: let the poller recompute its sleep

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=True)


RELAY_THREAD = "hourcap-relay"  # the thread that polls the outbox and runs the sweeper


class InProcessRunner:
    def __init__(
        self,
        ctx: JobContext,
        workers: int = 2,
        poll_seconds: float = 2.0,
        *,
        sweep_seconds: float = 30.0,
        stale_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self.ctx = ctx
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.stale_after = stale_after
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.transport = ThreadTransport(ctx, workers, self._wake)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.ctx.db.outbox_listeners.add(self.wake)
        self._thread = threading.Thread(target=self._loop, name=RELAY_THREAD, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop polling and let running tasks finish; waiting rows stay in the outbox for the next start."""
        self.ctx.db.outbox_listeners.remove(self.wake)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.transport.close()

    def drain(self, timeout: float = 10.0) -> None:
        """Block until no due pending, enqueued or running rows remain; TimeoutError if they still do."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = self._busy_rows()
            if remaining == 0:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{remaining} outbox row(s) still due or in flight after {timeout}s")
            self.wake()
            time.sleep(0.02)

    def _busy_rows(self) -> int:
        with self.ctx.db.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Outbox)
                    .where(
                        or_(
                            Outbox.status.in_([OutboxStatus.ENQUEUED.value, OutboxStatus.RUNNING.value]),
                            (Outbox.status == OutboxStatus.PENDING.value) & (Outbox.available_at <= utcnow()),
                        )
                    )
                )
                or 0
            )

    def _loop(self) -> None:
        next_sweep = 0.0
        wait = 0.0
        while not self._stop.is_set():
            self._wake.wait(timeout=wait)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                relayed = relay_due(self.ctx.db, self.transport)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.sweep_seconds
                    sweep(self.ctx.db, self.transport, stale_after=self.stale_after, ctx=self.ctx)
                wait = 0.0 if relayed >= 200 else self._until_next_due()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unavailable; try again next tick
                log.exception("in-process relay round failed")
                wait = self.poll_seconds

    def _until_next_due(self) -> float:
        with self.ctx.db.session() as session:
            next_due = session.scalar(
                select(func.min(Outbox.available_at)).where(Outbox.status == OutboxStatus.PENDING.value)
            )
        if next_due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (next_due - utcnow()).total_seconds()))
