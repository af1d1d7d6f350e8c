"""The nudge tick (task ``nudges.tick``): every few minutes, send the nudges due, then record its own next run.

The next run is recorded with one dedupe key, so however many processes start (each start asks for a tick) one
tick waits at a time, and a claimed outbox row runs once. A tick that comes late (workers down) sends the nudges
of people whose local day is still running; a day that ended meanwhile sends nothing.
"""

from __future__ import annotations

from datetime import timedelta

from jobs.periodic import Tick
from timesheets.nudges import tick

TICK = Tick("nudges.tick", timedelta(minutes=5), tick, "nudges sent")
TICK_TASK, EVERY = TICK.task, TICK.every
schedule_tick = TICK.schedule
register = TICK.register
