"""What RQ calls: `jobs.entry.run(outbox_id)`. The job carries the row id only; everything else is re-read.

The worker command (`hourcap worker`, through `jobs.worker.run_worker`) sets the context its jobs run with: the
one engine, the task registry and the services the composition root built. A job taken by a process that never
set one (a bare `rq worker`) fails loudly and goes back to the outbox, which retries it on a proper worker.
"""

from __future__ import annotations

import threading

from rq import get_current_job

from jobs.execute import execute
from jobs.registry import JobContext

_context: JobContext | None = None
_lock = threading.Lock()


def set_context(ctx: JobContext | None) -> None:
    global _context  # noqa: PLW0603 - RQ calls `run` by name, so the worker's context is per process
    with _lock:
        _context = ctx


def get_context() -> JobContext:
    with _lock:
        if _context is None:
            raise RuntimeError("no job context in this process: run jobs with `hourcap worker`")
        return _context


def run(outbox_id: int) -> None:
    job = get_current_job()
    execute(get_context(), int(outbox_id), job_id=job.id if job is not None else None)
