"""A tick: a task that does some periodic work and then records its own next run.

The next run is one outbox row under the tick's own dedupe key, so however many processes start (each start asks
for a tick) one tick waits at a time, and a claimed outbox row runs once. The work itself is the feature's: a
function of a session that returns how many things it recorded, for the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from jobs.registry import JobContext, TaskRegistry
from storage import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tick:
    task: str
    every: timedelta
    work: Callable[[Session], int]
    done: str  # what `work` counts, for the log line ("nudges sent")

    def schedule(self, session: Session, *, delay: timedelta | None = None) -> None:
        """Ask for the next tick (a no-op when one is already waiting)."""
        outbox.record(session, self.task, {}, workspace_id=None, dedupe_key=self.task, delay=delay)

    def run(self, ctx: JobContext) -> None:
        with ctx.db.session() as session:
            count = self.work(session)
        if count:
            log.info("%s: %d", self.done, count)
        with ctx.db.session() as session:
            self.schedule(session, delay=self.every)

    def register(self, tasks: TaskRegistry) -> None:
        tasks.add(self.task, self.run)
