"""Gauges read from the database at scrape time: outbox depth and oldest due age by task, invoices by state.

The database is the source of truth, so these are asked of it when Prometheus scrapes, never counted in a
process (which would drift across restarts and instances). Three grouped queries on indexed columns. Labels are
task names (the registered tasks), outbox statuses and invoice states: bounded; never a workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Invoice, Outbox, OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)

WAITING = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value, OutboxStatus.RUNNING.value,
           OutboxStatus.FAILED.value)


class DatabaseGauges(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("hourcap_outbox_depth", "Outbox rows not done, by task (kind) and status",
                                  labels=["kind", "status"])
        oldest = GaugeMetricFamily("hourcap_outbox_oldest_due_seconds",
                                   "Age of the oldest due pending outbox row, by task (kind)", labels=["kind"])
        invoices = GaugeMetricFamily("hourcap_invoices", "Invoices by state", labels=["state"])
        now = utcnow()
        try:
            with self.db.session() as session:
                for task, status, count in session.execute(
                    select(Outbox.task, Outbox.status, func.count())
                    .where(Outbox.status.in_(WAITING)).group_by(Outbox.task, Outbox.status)
                ):
                    depth.add_metric([task, status], count)
                for task, first in session.execute(
                    select(Outbox.task, func.min(Outbox.available_at))
                    .where(Outbox.status == OutboxStatus.PENDING.value, Outbox.available_at <= now)
                    .group_by(Outbox.task)
                ):
                    due = first if first.tzinfo is not None else first.replace(tzinfo=now.tzinfo)
                    oldest.add_metric([task], max(0.0, (now - due).total_seconds()))
                for state, count in session.execute(
                    select(Invoice.status, func.count()).group_by(Invoice.status)
                ):
                    invoices.add_metric([state], count)
        except Exception:  # noqa: BLE001 - a scrape must still answer (with the process counters) when the DB is down
            log.warning("metrics: the database gauges could not be read", exc_info=True)
            return
        yield from (depth, oldest, invoices)
