"""Invoice push resilience with real parts: real `rq` worker processes (our `run_worker`), a `redis-server` of this
module's own on a free port, the database under test, and the Xero sandbox over HTTP. Nothing of ours is patched.

- Redis down when the invoice is created: the fast path fails quietly, the outbox row stays pending; once Redis is
  up the relay's polling delivers it and a worker pushes it exactly once.
- A crash between commit and enqueue (the invoice and its outbox row committed, no fast path ran): a worker's relay
  picks the row up and the invoice is pushed once.
- The worker is SIGKILLed right after Xero took the PUT (a slow answer, the worker killed mid-request, Xero commits
  anyway), so success is never recorded: the sweeper hands the row on, the retry finds the draft by reference, and
  the sandbox holds one draft — with the Idempotency-Key already expired, so only the lookup can save us.

Scaled-down timings (worker processes only): outbox lease 3 s for `invoice.push`, invoice lease 2 s, relay polling
every 0.2 s, the sweeper every 0.5 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue, Worker
from sqlalchemy import select

from jobs.relay import fast_path, relay_due
from jobs.rq_transport import RQTransport
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace, xero_settings
from storage import outbox
from storage.db import Database
from storage.models import Client, Invoice, InvoiceLine, Outbox, OutboxStatus
from tests.support import xero_connection
from tests.support.jobs_fixtures import REPO, wait_for
from tests.support.processes import PrivateRedis, kill_tree
from tests.support.services import unavailable

pytestmark = [pytest.mark.redis]

PUSH_TASK = "invoice.push"
PUT_INVOICES = "PUT /api.xro/2.0/Invoices"
INVOICES_PATH = "/api.xro/2.0/Invoices"


# -- the worker process -------------------------------------------------------------------------------------------
def resilience_worker() -> None:
    """`python -c 'from tests.integration.test_push_resilience import resilience_worker; resilience_worker()' <json>`"""
    from datetime import timedelta as td

    import jobs.worker
    from app import task_registry
    from invoicing import tasks_push as tasks_invoice_push
    from jobs.registry import JobContext
    from settings import Settings
    from storage.crypto import keyring
    from xero.limits import LocalLimits

    config = json.loads(sys.argv[1])
    keyring.configure(config["keys"])
    tasks = task_registry()
    # Short outbox lease so the sweeper notices a killed push within seconds (same function, new knobs).
    tasks.add(PUSH_TASK, tasks_invoice_push.push, lease=td(seconds=3), retry_base=0.2, retry_cap=1.0)
    ctx = JobContext(db=Database(config["database_url"]), settings=Settings(**config["settings"]),
                     tasks=tasks, services={
        "xero_limits": LocalLimits(),
        "xero_timeout": 10.0,
        "invoice_push_lease": td(seconds=2),
    })
    jobs.worker.run_worker(ctx, config["redis_url"], queue_name=config["queue"], relay_interval=0.2,
                           sweep_interval=0.5, logging_level="WARNING")


class Workers:
    """Worker processes of one test; none outlives it."""

    def __init__(self, config: dict[str, Any], logs: Path) -> None:
        self.config = config
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *, ready: bool = True) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        code = "from tests.integration.test_push_resilience import resilience_worker; resilience_worker()"
        proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(self.config)], cwd=REPO,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        if ready:
            conn = redis.Redis.from_url(self.config["redis_url"])
            queue = Queue(self.config["queue"], connection=conn)
            wait_for(lambda: proc.poll() is not None or len(Worker.all(connection=conn, queue=queue)) >= 1,
                     timeout=30, what="the worker to register")
            assert proc.poll() is None, self.log_text()
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                kill_tree(proc)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of our own on a free port, NOT started: each test decides when it comes up."""
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        unavailable("redis-server", "not installed: these tests stop and start a Redis of their own")
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def shop(db: Database, xero_sb: XeroSandbox) -> tuple[ConnectedWorkspace, int]:
    """A workspace connected to the sandbox and a client mapped to a Xero contact: (workspace, client id)."""
    ws = connect_workspace(db, xero_sb)
    contact_id = xero_sb.add_contact(ws.tenant_id, "Resilient Client Ltd")
    with db.session() as s:
        client = Client(workspace_id=ws.workspace_id, name="Resilient Client", name_key="resilient client",
                        xero_contact_id=contact_id)
        s.add(client)
        s.flush()
        return ws, client.id


@pytest.fixture
def workers(database_url: str, encryption_keys: tuple[str, ...], xero_sb: XeroSandbox, private_redis: PrivateRedis,
            tmp_path: Path) -> Iterator[Workers]:
    settings = xero_settings(xero_sb, database_url, redis_url=private_redis.url)
    pool = Workers({"keys": list(encryption_keys), "database_url": database_url, "redis_url": private_redis.url,
                    "queue": f"hourcap-resilience-{uuid.uuid4().hex[:8]}",
                    "settings": xero_connection.settings_payload(settings)}, tmp_path)
    yield pool
    pool.stop()


# -- helpers ----------------------------------------------------------------------------------------------------
def create_invoice(db: Database, shop: tuple[ConnectedWorkspace, int], number: int) -> int:
    """What `invoicing.create` commits: a queued invoice with one line, and its push recorded in the outbox."""
    ws, client_id = shop
    with db.session() as s:
        invoice = Invoice(workspace_id=ws.workspace_id, client_id=client_id, number=number,
                          reference=f"RES-{number:04d}", status="queued", invoice_date=date(2026, 11, 1),
                          due_date=date(2026, 11, 15), currency="NZD", line_amount_type="Exclusive",
                          subtotal=Decimal("300.00"), tax_total=Decimal("45.00"), total=Decimal("345.00"),
                          settings_snapshot={})
        s.add(invoice)
        s.flush()
        s.add(InvoiceLine(workspace_id=ws.workspace_id, invoice_id=invoice.id, position=0,
                          description="2026-10-05 Resilience work", quantity=Decimal("2.0000"),
                          unit_amount=Decimal("150.00"), line_amount=Decimal("300.00"), account_code="200",
                          tax_type="OUTPUT2"))
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice.id}, workspace_id=ws.workspace_id,
                      dedupe_key=f"{PUSH_TASK}:{invoice.id}")
        return invoice.id


def invoice(db: Database, invoice_id: int) -> Invoice:
    with db.session() as s:
        row = s.get(Invoice, invoice_id)
        assert row is not None
        return row


def push_row(db: Database, invoice_id: int) -> Outbox:
    with db.session() as s:
        row = s.scalars(select(Outbox).where(Outbox.dedupe_key == f"{PUSH_TASK}:{invoice_id}")).one()
        return row


def drafts(sb: XeroSandbox, tenant: str, reference: str) -> list[dict[str, Any]]:
    return [i for i in sb.invoices(tenant) if i["Reference"] == reference]


def invoice_calls(sb: XeroSandbox, method: str) -> int:
    return sum(1 for c in sb.calls if c.method == method and c.path.startswith(INVOICES_PATH))


def assert_pushed_once(db: Database, sb: XeroSandbox, tenant: str, invoice_id: int, workers: Workers) -> None:
    wait_for(lambda: invoice(db, invoice_id).status in ("pushed", "failed"), timeout=30,
             what=f"invoice {invoice_id} to be pushed\n{workers.log_text()[-3000:]}")
    done = invoice(db, invoice_id)
    assert done.status == "pushed", (done.status, done.error_message)
    [draft] = drafts(sb, tenant, done.reference)
    assert done.xero_invoice_id == draft["InvoiceID"] and draft["Status"] == "DRAFT"
    wait_for(lambda: push_row(db, invoice_id).status == OutboxStatus.DONE, timeout=10, what="the push row to be done")


# -- the cases --------------------------------------------------------------------------------------------------
def test_redis_down_at_creation_is_delivered_by_the_relay_once_redis_is_back(
        db: Database, xero_sb: XeroSandbox, shop: tuple[ConnectedWorkspace, int],
        private_redis: PrivateRedis, workers: Workers) -> None:
    transport = RQTransport(private_redis.url, workers.config["queue"])
    relay_now = fast_path(db, transport)  # what a web process registers: relay right after commit
    db.outbox_listeners.add(relay_now)
    try:
        invoice_id = create_invoice(db, shop, 1)  # Redis is not listening: the fast path fails, quietly
    finally:
        db.outbox_listeners.remove(relay_now)
    row = push_row(db, invoice_id)
    assert row.status == OutboxStatus.PENDING and row.enqueued_at is None and row.attempts == 0  # claim undone
    assert invoice(db, invoice_id).status == "queued"

    # The relay's polling (what every worker's relay thread runs), started while Redis is still down.
    stop, rounds, errors = threading.Event(), [], []

    def poll() -> None:
        while not stop.is_set():
            try:
                rounds.append(relay_due(db, transport))
            except Exception as exc:  # noqa: BLE001 - surfaced below
                errors.append(exc)
            stop.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        wait_for(lambda: len(rounds) >= 3, timeout=20, what="three relay rounds while Redis is down")
        assert sum(rounds) == 0 and push_row(db, invoice_id).status == OutboxStatus.PENDING
        private_redis.start()  # Redis is back
        wait_for(lambda: push_row(db, invoice_id).status != OutboxStatus.PENDING, timeout=10,
                 what="the polling relay to deliver the row")
    finally:
        stop.set()
        poller.join(timeout=10)
    assert errors == [] and sum(rounds) == 1
    assert transport.knows(push_row(db, invoice_id).job_id or "")
    assert xero_sb.call_count(INVOICES_PATH) == 0  # nothing reached Xero yet

    workers.start()
    assert_pushed_once(db, xero_sb, shop[0].tenant_id, invoice_id, workers)
    assert push_row(db, invoice_id).attempts == 1
    assert (invoice_calls(xero_sb, "PUT"), invoice_calls(xero_sb, "GET")) == (1, 0)


def test_a_crash_between_commit_and_enqueue_is_picked_up_by_the_relay(
        db: Database, xero_sb: XeroSandbox, shop: tuple[ConnectedWorkspace, int],
        private_redis: PrivateRedis, workers: Workers) -> None:
    private_redis.start()
    invoice_id = create_invoice(db, shop, 2)  # committed; no listener here: the process "died" before enqueueing
    row = push_row(db, invoice_id)
    assert row.status == OutboxStatus.PENDING and row.job_id is None
    assert redis.Redis.from_url(private_redis.url).keys("rq:job:*") == []  # nothing reached Redis

    workers.start()  # its relay finds the committed row in the outbox
    assert_pushed_once(db, xero_sb, shop[0].tenant_id, invoice_id, workers)
    assert push_row(db, invoice_id).attempts == 1
    assert (invoice_calls(xero_sb, "PUT"), invoice_calls(xero_sb, "GET")) == (1, 0)


def test_a_worker_killed_after_xero_answered_is_found_by_reference_not_duplicated(
        db: Database, xero_sb: XeroSandbox, shop: tuple[ConnectedWorkspace, int],
        private_redis: PrivateRedis, workers: Workers) -> None:
    tenant = shop[0].tenant_id
    xero_sb.idempotency_window_seconds = 0  # the retry cannot lean on the Idempotency-Key
    slow = xero_sb.faults.add(PUT_INVOICES, "slow", count=1, seconds=2.0)
    private_redis.start()
    first = workers.start()
    invoice_id = create_invoice(db, shop, 3)
    wait_for(lambda: slow.fired == 1, timeout=20, what="the PUT to reach the sandbox")
    kill_tree(first)  # the worker dies, job and all, while Xero is still answering
    reference = invoice(db, invoice_id).reference
    wait_for(lambda: len(drafts(xero_sb, tenant, reference)) == 1, timeout=10, what="Xero to commit the draft")
    xero_sb.clock.advance(60)

    killed = invoice(db, invoice_id)  # success was never recorded: Xero has it, we don't know
    assert killed.status == "pushing" and killed.xero_invoice_id is None
    assert push_row(db, invoice_id).status == OutboxStatus.RUNNING

    workers.start()  # its sweeper finds the expired lease; the retry looks the draft up before any PUT
    assert_pushed_once(db, xero_sb, tenant, invoice_id, workers)
    assert push_row(db, invoice_id).attempts == 2
    assert invoice_calls(xero_sb, "PUT") == 1 and invoice_calls(xero_sb, "GET") >= 1
    assert len(xero_sb.invoices(tenant)) == 1
