"""The push drill: N invoices through real `rq` worker processes, real Redis and PostgreSQL, the Xero sandbox over
HTTP, while things break — and every invoice reaches Xero exactly once.

Breakage, all at once:
- 30 % of the sandbox's invoice calls faulted (429 with Retry-After, 500, plain-text 503, slow answers past the
  client's timeout, commit-then-drop), PUTs and lookups alike;
- 3 SIGKILLs of a whole worker (its process group, the job in hand with it) while pushes are in flight;
- one real Redis restart: the drill runs its own `redis-server` on a free port (no root needed, and the shared
  Redis other tests use is never touched), killed and started again empty mid-run;
- Idempotency-Keys expiring in between: the sandbox keeps keys 5 s of its clock, and the clock runs fast.

Scaled-down timings, so the drill fits in a few minutes: client timeout 1 s, invoice lease 5 s, outbox lease 8 s,
backoff from 0.2 s, the sweeper every second with lost jobs re-queued after 3 s (instead of 2 min). The automatic
retry budget is raised from 3 to 12 and the outbox rows get 30 attempts: with faults drawn at random, some invoice
would otherwise legitimately end `failed` after 4 transient errors in a row (that limit is tested on its own in
test_invoice_push.py); the drill is about exactly-once, so every invoice must end pushed.

Prints `invoices=N pushed=N duplicates=0 lost=0`. N is HOURCAP_DRILL_INVOICES (default 500).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from jobs.registry import JobContext
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import connect_workspace, xero_settings
from storage.db import Database
from storage.models import Client, Invoice, InvoiceLine, Outbox
from tests.support import xero_connection
from tests.support.jobs_fixtures import REPO
from tests.support.processes import PrivateRedis, kill_tree
from tests.support.services import unavailable

pytestmark = [pytest.mark.slow, pytest.mark.redis]

N = int(os.environ.get("HOURCAP_DRILL_INVOICES", "500"))
WORKERS = 3
DEADLINE = float(os.environ.get("HOURCAP_DRILL_DEADLINE", "420"))
FAULT_ROUTE = "/api.xro/2.0/Invoices*"
FAULTS = ("429", "500", "503", "slow", "drop_after_commit")  # 7 % each, in turn: about 30 % of calls


# -- the worker process -------------------------------------------------------------------------------------------
def drill_worker() -> None:
    """`python -c 'from tests.integration.test_push_drill import drill_worker; drill_worker()' <config json>`."""
    from datetime import timedelta as td
    from functools import partial

    import jobs.worker
    from app import task_registry
    from invoicing import tasks_push as tasks_invoice_push
    from jobs.sweeper import sweep
    from settings import Settings
    from storage.crypto import keyring
    from xero.limits import Budget, LocalLimits

    config = json.loads(sys.argv[1])
    keyring.configure(config["keys"])
    tasks = task_registry()
    # Drill timings (see the module docstring): re-registering the same function replaces its knobs.
    tasks.add("invoice.push", tasks_invoice_push.push, lease=td(seconds=8), retry_base=0.2, retry_cap=2.0)
    jobs.worker.sweep = partial(sweep, stale_after=td(seconds=3))  # type: ignore[attr-defined]
    ctx = JobContext(db=Database(config["database_url"]), settings=Settings(**config["settings"]),
                     tasks=tasks, services={
        "xero_limits": LocalLimits(Budget(in_flight=50, per_minute=1_000_000)),
        "xero_timeout": 1.0,
        "invoice_push_lease": td(seconds=5),
        "invoice_push_retries": 12,
        "invoice_push_pause": td(seconds=2),
    })
    jobs.worker.run_worker(ctx, config["redis_url"], queue_name=config["queue"], relay_interval=0.2,
                           sweep_interval=1.0, logging_level="WARNING")


# -- helpers ----------------------------------------------------------------------------------------------------
class Pool:
    """Worker processes, restarted when they die (as systemd would), SIGKILLed on demand."""

    def __init__(self, config: dict[str, Any], logs: Path) -> None:
        self.config = config
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        self.started += 1
        code = "from tests.integration.test_push_drill import drill_worker; drill_worker()"
        proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(self.config)], cwd=REPO,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def keep_alive(self) -> None:
        for proc in list(self.procs):
            if proc.poll() is not None:
                self.procs.remove(proc)
                self.start()

    def sigkill_one(self) -> None:
        """SIGKILL a worker's process group and every process below it (its jobs run in the worker itself)."""
        kill_tree(next(p for p in self.procs if p.poll() is None))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                kill_tree(proc)

    def log_tail(self, lines: int = 60) -> str:
        text = "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        unavailable("redis-server", "not installed: the drill restarts a Redis of its own")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def queue_invoices(db: Database, workspace_id: int, client_id: int, n: int) -> None:
    """N queued invoices of one line each, their pushes recorded (what `invoicing.create` does, in bulk)."""
    with db.session() as s:
        rows = [{"workspace_id": workspace_id, "client_id": client_id, "number": i, "reference": f"DRILL-{i:05d}",
                 "status": "queued", "invoice_date": date(2026, 11, 1), "due_date": date(2026, 11, 15),
                 "line_amount_type": "Exclusive", "subtotal": Decimal("150.00") + i,
                 "tax_total": ((Decimal("150.00") + i) * Decimal("0.15")).quantize(Decimal("0.01")),
                 "total": Decimal("150.00") + i
                 + ((Decimal("150.00") + i) * Decimal("0.15")).quantize(Decimal("0.01")),
                 "settings_snapshot": {}, "push_attempt": 0, "mode": "time"} for i in range(1, n + 1)]
        s.execute(insert(Invoice), rows)
        ids = dict(s.execute(select(Invoice.reference, Invoice.id).where(Invoice.workspace_id == workspace_id)).all())
        s.execute(insert(InvoiceLine), [
            {"workspace_id": workspace_id, "invoice_id": ids[f"DRILL-{i:05d}"], "position": 0,
             "description": f"Drill work {i}", "quantity": Decimal("1.0000"), "unit_amount": Decimal("150.00") + i,
             "line_amount": Decimal("150.00") + i, "account_code": "200", "tax_type": "OUTPUT2"}
            for i in range(1, n + 1)])
        s.execute(insert(Outbox), [
            {"workspace_id": workspace_id, "task": "invoice.push", "args": {"invoice_id": invoice_id},
             "dedupe_key": f"invoice.push:{invoice_id}", "status": "pending", "attempts": 0, "max_attempts": 30}
            for invoice_id in ids.values()])


def statuses(db: Database) -> Counter[str]:
    with db.session() as s:
        return Counter(dict(s.execute(select(Invoice.status, func.count()).group_by(Invoice.status)).all()))


# -- the drill --------------------------------------------------------------------------------------------------
def test_push_drill_every_invoice_reaches_xero_exactly_once(
        db: Database, database_url: str, encryption_keys: tuple[str, ...], xero_sb: XeroSandbox,
        private_redis: PrivateRedis, tmp_path: Path) -> None:
    if db.is_sqlite:
        pytest.skip("the push drill needs PostgreSQL (set TEST_DATABASE_URL): SQLite serialises every writer")
    started = time.monotonic()
    ws = connect_workspace(db, xero_sb)
    tenant = ws.tenant_id
    contact_id = xero_sb.add_contact(tenant, "Drill Client Ltd")
    with db.session() as s:
        client = Client(workspace_id=ws.workspace_id, name="Drill Client", name_key="drill client",
                        xero_contact_id=contact_id)
        s.add(client)
        s.flush()
        client_id = client.id
    queue_invoices(db, ws.workspace_id, client_id, N)

    xero_sb.set_limits(per_minute=1_000_000, in_flight=1_000, per_day=10_000_000, app_per_minute=10_000_000)
    xero_sb.idempotency_window_seconds = 5
    for seed, kind in enumerate(FAULTS):
        xero_sb.faults.add(FAULT_ROUTE, kind, probability=0.07, seed=seed, seconds=1.5, retry_after=1)

    settings = xero_settings(xero_sb, database_url, redis_url=private_redis.url)
    pool = Pool({"keys": list(encryption_keys), "database_url": database_url, "redis_url": private_redis.url,
                 "queue": "hourcap-drill", "settings": xero_connection.settings_payload(settings)}, tmp_path)
    stop_clock = threading.Event()

    def fast_clock() -> None:  # the sandbox's clock runs 5x: stored Idempotency-Keys expire within seconds
        while not stop_clock.wait(0.5):
            xero_sb.clock.advance(2.5)

    clock = threading.Thread(target=fast_clock, daemon=True)
    clock.start()
    kills, restarted = 0, False
    try:
        for _ in range(WORKERS):
            pool.start()
        while True:
            counts = statuses(db)
            settled = counts["pushed"] + counts["failed"] + counts["cancelled"]
            if settled >= N:
                break
            if time.monotonic() - started > DEADLINE:
                pytest.fail(f"drill did not settle in {DEADLINE}s: {dict(counts)}\n{pool.log_tail()}")
            # Three SIGKILLs while pushes are in flight, spread over the run; the Redis restart after the second.
            if kills < 3 and settled >= (kills + 1) * N // 5 and counts["pushing"] > 0:
                pool.sigkill_one()
                kills += 1
                if kills == 2 and not restarted:
                    private_redis.stop()
                    time.sleep(1.0)
                    private_redis.start()
                    restarted = True
            pool.keep_alive()
            time.sleep(0.2)
    finally:
        stop_clock.set()
        pool.stop()
        fired = Counter({f.kind: f.fired for f in xero_sb.faults.list()})
        xero_sb.faults.clear()

    counts = statuses(db)
    in_xero = xero_sb.invoices(tenant)
    by_reference = Counter(i["Reference"] for i in in_xero if i["Reference"].startswith("DRILL-"))
    duplicates = sum(c - 1 for c in by_reference.values() if c > 1)
    with db.session() as s:
        recorded = dict(s.execute(select(Invoice.reference, Invoice.xero_invoice_id)
                                  .where(Invoice.status == "pushed")).all())
    xero_ids = {i["Reference"]: i["InvoiceID"] for i in in_xero}
    lost = N - len([r for r, xid in recorded.items() if xero_ids.get(r) == xid]) - counts["failed"]
    print(f"\ninvoices={N} pushed={counts['pushed']} duplicates={duplicates} lost={lost}")
    print(f"drill: {time.monotonic() - started:.0f}s, {kills} SIGKILLs, redis restarted={restarted}, "
          f"workers started={pool.started}, sandbox invoice calls={xero_sb.call_count('/api.xro/2.0/Invoices')}, "
          f"faults fired={dict(fired)}")
    assert kills == 3 and restarted
    assert (counts["pushed"], duplicates, lost) == (N, 0, 0), (dict(counts), pool.log_tail())
    assert sum(by_reference.values()) == N and len(by_reference) == N
    assert timedelta(seconds=time.monotonic() - started) < timedelta(seconds=DEADLINE)
