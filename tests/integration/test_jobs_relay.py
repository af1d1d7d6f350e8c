"""The relay and the sweeper against the real database; several relays racing on the same rows."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from app import task_registry
from jobs.execute import execute
from jobs.registry import JobContext
from jobs.relay import relay_due
from jobs.sweeper import sweep
from storage.db import Database
from storage.models import Outbox, OutboxStatus, SlackEventReceipt, XeroWebhookEvent
from storage.types import utcnow
from tests.support.jobs_fixtures import ListTransport, force, load, record, token


def test_relay_moves_only_due_pending_rows(db: Database) -> None:
    due = record(db, "test.record", {"token": token()})
    later = record(db, "test.record", {"token": token()}, delay=timedelta(hours=1))
    transport = ListTransport()
    assert relay_due(db, transport) == 1
    row = load(db, due)
    assert row.status == OutboxStatus.ENQUEUED and row.enqueued_at is not None
    assert transport.delivered == [(due, row.job_id)]
    assert load(db, later).status == OutboxStatus.PENDING
    assert relay_due(db, transport) == 0  # already enqueued rows are not delivered again


def race(db: Database, relays: int, limit: int) -> ListTransport:
    """Start `relays` threads at once, each relaying until it finds nothing left; returns the deliveries."""
    transport = ListTransport()
    barrier = threading.Barrier(relays)
    errors: list[BaseException] = []

    def relay() -> None:
        barrier.wait()
        try:
            while relay_due(db, transport, limit=limit):
                pass
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(relays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return transport


def test_racing_relays_deliver_each_row_exactly_once(db: Database) -> None:
    """Real threads, real transactions: on PostgreSQL the relays genuinely compete for the same rows."""
    for _ in range(3):
        ids = {record(db, "test.record", {"token": token()}) for _ in range(40)}
        transport = race(db, relays=4, limit=7)
        counts = Counter(outbox_id for outbox_id, _ in transport.delivered)
        assert set(counts) == ids and set(counts.values()) == {1}
        with db.session() as session:
            rows = session.execute(
                select(Outbox.id, Outbox.status, Outbox.job_id).where(Outbox.id.in_(ids))
            ).all()
        assert {(r.id, r.job_id) for r in rows} == set(transport.delivered)
        assert {r.status for r in rows} == {OutboxStatus.ENQUEUED}


def test_sweeper_leaves_fresh_and_known_jobs_alone(db: Database) -> None:
    fresh = record(db, "test.record", {"token": token()})
    known = record(db, "test.record", {"token": token()})
    transport = ListTransport()
    relay_due(db, transport)
    force(db, known, enqueued_at=utcnow() - timedelta(minutes=10))
    report = sweep(db, transport)
    assert report.requeued_lost == 0
    assert load(db, fresh).status == load(db, known).status == OutboxStatus.ENQUEUED


def test_sweeper_requeues_jobs_a_transport_forgot(db: Database) -> None:
    """E.g. the in-process runner's pool died with the process: its job ids mean nothing to the new one."""
    outbox_id = record(db, "test.record", {"token": token()})
    relay_due(db, ListTransport())
    force(db, outbox_id, enqueued_at=utcnow() - timedelta(minutes=3))
    report = sweep(db, ListTransport())
    assert report.requeued_lost == 1
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0


def test_prune_keeps_recent_and_failed_rows(db: Database) -> None:
    now = utcnow()
    old_done = record(db, "test.record", {"token": token()})
    new_done = record(db, "test.record", {"token": token()})
    old_failed = record(db, "test.record", {"token": token()})
    force(db, old_done, status=OutboxStatus.DONE.value, finished_at=now - timedelta(days=8))
    force(db, new_done, status=OutboxStatus.DONE.value, finished_at=now - timedelta(days=6))
    force(db, old_failed, status=OutboxStatus.FAILED.value, finished_at=now - timedelta(days=30))
    with db.session() as session:
        session.add(SlackEventReceipt(event_id="Ev-old", received_at=now - timedelta(days=2)))
        session.add(SlackEventReceipt(event_id="Ev-new", received_at=now - timedelta(hours=2)))
        for name, age in (("old", timedelta(days=4)), ("new", timedelta(days=2))):
            session.add(XeroWebhookEvent(tenant_id="t-1", event_category="CONTACT", event_type="UPDATE",
                                         resource_id=f"c-{name}", event_date_utc="2026-11-01T00:00:00.000",
                                         received_at=now - age))
    tasks = task_registry()
    assert "maintenance.prune" in tasks.names()  # listed in app.py's task registry
    prune_id = record(db, "maintenance.prune")
    assert execute(JobContext(db=db, tasks=tasks), prune_id) == "done"
    with db.session() as session:
        assert set(session.scalars(select(Outbox.id))) == {new_done, old_failed, prune_id}
        assert list(session.scalars(select(SlackEventReceipt.event_id))) == ["Ev-new"]
        assert list(session.scalars(select(XeroWebhookEvent.resource_id))) == ["c-new"]  # a retry could still come
