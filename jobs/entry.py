"""What RQ calls: `jobs.entry.run(outbox_id)`. The job carries the row id only; everything else is re-read.

The process-wide context is set by the worker command (`set_context`) so tasks share one engine and the
services the composition root attached. A bare `rq worker` without our command still works: the context is
then built lazily from the environment.
"""

from __future__ import annotations

import threading

from rq import get_current_job

from jobs.execute import execute
from jobs.registry import JobContext, load_all_tasks

_context: JobContext | None = None
_lock = threading.Lock()


def set_context(ctx: JobContext | None) -> None:
    global _context
    with _lock:
        _context = ctx


def get_context() -> JobContext:
    global _context
    with _lock:
        if _context is None:
            from settings import load_settings
            from storage.db import Database

            settings = load_settings(require_slack=False)
            load_all_tasks()
            _context = JobContext(db=Database(settings.database_url), settings=settings)
        return _context


def run(outbox_id: int) -> None:
    job = get_current_job()
    execute(get_context(), int(outbox_id), job_id=job.id if job is not None else None)
