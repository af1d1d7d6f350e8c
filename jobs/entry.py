"""What RQ calls: `jobs.entry.run(outbox_id)`. The job carries the row id only; everything else is re-read.

RQ finds `run` by its import path, so the context its jobs run with (the one engine, the task registry and the
services the composition root built) has to be reachable per process. It is scoped: `jobs.worker.run_worker`
(`hourcap worker`) serves jobs inside `with serving(ctx):`, which sets it for the worker's lifetime and clears it
afterwards, so nothing outlives the worker (tests need no reset). A job taken by a process that serves no context
(a bare `rq worker`) fails loudly and goes back to the outbox, which retries it on a proper worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rq import get_current_job

from jobs.execute import execute
from jobs.registry import JobContext

_context: JobContext | None = None
_lock = threading.Lock()


@contextmanager
def serving(ctx: JobContext) -> Iterator[JobContext]:
    """Run this process's RQ jobs with `ctx` inside the block; afterwards the previous context (normally none)."""
    global _context  # noqa: PLW0603 - RQ calls `run` by name, so the worker's context is per process
    with _lock:
        previous, _context = _context, ctx
    try:
        yield ctx
    finally:
        with _lock:
            _context = previous


def get_context() -> JobContext:
    with _lock:
        if _context is None:
            raise RuntimeError("no job context in this process: run jobs with `hourcap worker`")
        return _context


def run(outbox_id: int) -> None:
    job = get_current_job()
    execute(get_context(), int(outbox_id), job_id=job.id if job is not None else None)
