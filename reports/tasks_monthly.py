"""The monthly summary tick (task ``reports.monthly_tick``): every few minutes, record the summaries due, then
record its own next run (one dedupe key: however many processes start, one tick waits at a time)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from jobs.registry import JobContext, TaskRegistry
from reports.monthly_summary import tick
from storage import outbox

log = logging.getLogger(__name__)

TICK_TASK = "reports.monthly_tick"
EVERY = timedelta(minutes=5)


def schedule_tick(session: Session, *, delay: timedelta | None = None) -> None:
    """Ask for the next tick (a no-op when one is already waiting)."""
    outbox.record(session, TICK_TASK, {}, workspace_id=None, dedupe_key=TICK_TASK, delay=delay)


def run_tick(ctx: JobContext) -> None:
    with ctx.db.session() as session:
        sent = tick(session)
    if sent:
        log.info("monthly summaries: %d recorded", sent)
    with ctx.db.session() as session:
        schedule_tick(session, delay=EVERY)


def register(tasks: TaskRegistry) -> None:
    tasks.add(TICK_TASK, run_tick)
