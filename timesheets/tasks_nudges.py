"""The nudge tick (task ``nudges.tick``): every few minutes, send the nudges due, then record its own next run.

The next run is recorded with one dedupe key, so however many processes start (each start asks for a tick) one
tick waits at a time, and a claimed outbox row runs once. A tick that comes late (workers down) sends the nudges
of people whose local day is still running; a day that ended meanwhile sends nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from jobs.registry import JobContext, TaskRegistry
from storage import outbox
from timesheets.nudges import tick

log = logging.getLogger(__name__)

TICK_TASK = "nudges.tick"
EVERY = timedelta(minutes=5)


def schedule_tick(session: Session, *, delay: timedelta | None = None) -> None:
    """Ask for the next tick (a no-op when one is already waiting)."""
    outbox.record(session, TICK_TASK, {}, workspace_id=None, dedupe_key=TICK_TASK, delay=delay)


def run_tick(ctx: JobContext) -> None:
    with ctx.db.session() as session:
        sent = tick(session)
    if sent:
        log.info("nudges: %d sent", sent)
    with ctx.db.session() as session:
        schedule_tick(session, delay=EVERY)


def register(tasks: TaskRegistry) -> None:
    tasks.add(TICK_TASK, run_tick)
