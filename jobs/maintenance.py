"""Housekeeping tasks of the machinery. `maintenance.prune` trims old outbox, Slack-receipt and Xero webhook-event
rows; the sweeper also prunes on every pass, so this task exists for deployments that want pruning on a schedule
of their own (record it with `dedupe_key="maintenance.prune"` so repeated requests coalesce)."""

from __future__ import annotations

import logging

from jobs.registry import JobContext, TaskRegistry
from jobs.sweeper import prune

log = logging.getLogger(__name__)

PRUNE_TASK = "maintenance.prune"


def prune_old_rows(ctx: JobContext) -> None:
    report = prune(ctx.db)
    log.info("pruned %d done outbox rows, %d Slack event receipts and %d Xero webhook events", report.done,
             report.receipts, report.webhook_events)


def register(tasks: TaskRegistry) -> None:
    tasks.add(PRUNE_TASK, prune_old_rows)
