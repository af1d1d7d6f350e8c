"""The monthly summary tick (task ``reports.monthly_tick``): every few minutes, record the summaries due, then
record its own next run (one dedupe key: however many processes start, one tick waits at a time)."""

from __future__ import annotations

from datetime import timedelta

from jobs.periodic import Tick
from reports.monthly_summary import tick

TICK = Tick("reports.monthly_tick", timedelta(minutes=5), tick, "monthly summaries recorded")
TICK_TASK, EVERY = TICK.task, TICK.every
schedule_tick = TICK.schedule
register = TICK.register
