"""The scale-out drill: invoice pushes through real `hourcap serve` and `hourcap worker` processes on one PostgreSQL
and one Redis, against the Xero stand-in answering each call in 250 ms, while Slack sends signed `/hours`.

- World: 20 Slack workspaces installed through Slack's OAuth flow (the Slack stand-in) over HTTP into the served
  app, each connected to its own Xero organisation in the stand-in (Xero's limits: 5 calls in flight, 60 a
  minute, 5,000 a day per organisation; a client mapped to a contact; a project for `/hours`).
- Config A: 1 `hourcap serve` (gunicorn, 2 workers) + 1 `hourcap worker`. Config B: 2 serve + 4 workers, on the
  same database and Redis. Each config pushes PUSHES invoices (PUSHES / 20 per workspace), queued in bulk with
  their outbox rows (what `invoicing.create` commits) and relayed to RQ at once, as a web process does after the
  commit. Throughput = pushes / seconds from the relay until every invoice is pushed.
- During each run: signed `/hours` commands to the serve processes in turn (every reply must be "Logged …" and
  every entry stored); every workspace's stored access token expired a third of the way in (each must be
  refreshed by exactly one call, whichever worker gets there first); in config B a rolling restart of the
  workers: a replacement is started, and once it is listening one old worker gets SIGTERM (RQ's warm shutdown:
  it finishes its job and exits), one at a time until all four are new.
- Checked: every invoice pushed, exactly one draft per invoice in Xero (duplicates), none missing (lost), 429s
  answered by the stand-in, the highest number of concurrent calls per organisation, refresh calls per refresh
  token.

Sizing against Xero's minute (the drill must be bound by the 250 ms, not by the limit): one push is one
`PUT /Invoices` (token calls go to the identity service, outside the API's limits). Each config sends 400 / 20 = 20
calls per organisation, in rounds of 5 (one workspace's five, then the next's; rounds of 2 below 400), so 4 workers meet
on one organisation: at most 4 in flight (≤ 5), and at most 20 + 20 calls in any minute across the two runs,
inside 60. So the minute never binds and no call waits on our budget (`xero/limits.py`). Xero caps one
organisation at 60 calls a minute whatever we run: 400 pushes into ONE organisation could not take less than
400 / 60 = 6.7 minutes in either config (ratio 1). Spread over 20 organisations the ceiling is 20 × 60 = 1,200 a
minute (20 a second), above what 4 workers reach (4 / (0.25 s + their own time) ≈ 10 a second).

What bounds the ratio instead is CPU. The figures printed per config include the workers' CPU per push (a push is
the push job and two `invoice.notify` jobs, run in the worker's own process with warm statement caches and pooled
connections, jobs/worker.py) and this process's (the stand-ins). On an idle 2-core machine A is about
1 / (0.25 + 0.13 + database) pushes a second; B's four workers, the serve processes answering `/hours`,
PostgreSQL, Redis and the stand-ins share the same two cores, and the rolling restart's four new workers pay their
start-up (imports, first connections) inside B's run. A machine shared with other work reads less.

Prints one figure line: `scale drill: A=… pushes/s B=… pushes/s ratio=… (goal ≥ 3.5) 429s=0 peak_in_flight=…
(≤ 5) refreshes_per_token=1 duplicates=0 lost=0 …`. Exit status is non-zero only when something is broken
(duplicates, lost invoices, a 429, a refresh race, a lost `/hours` entry), never because the ratio is low.

Database: PostgreSQL only (BENCH_DATABASE_URL, else a throwaway database on 127.0.0.1, bench/database.py); on
SQLite the drill says it is skipped. Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/0); the drill empties
RQ's `hourcap` queue there before it starts. BENCH_SCALE_PUSHES changes the pushes per config.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.database import bench_database  # noqa: E402
from bench.scale import Broken  # noqa: E402
from bench.scale.fleet import Fleet, hourcap_env  # noqa: E402
from bench.scale.results import DrillResult, RunResult  # noqa: E402
from bench.scale.traffic import HoursTraffic  # noqa: E402
from bench.scale.world import WORKSPACES, Seeded, expire_tokens, queue_pushes, seed, statuses, wait_idle  # noqa: E402
from jobs.relay import relay_due  # noqa: E402
from jobs.rq_transport import RQTransport  # noqa: E402
from sandbox.slack import SlackSandbox  # noqa: E402
from sandbox.xero import XeroSandbox  # noqa: E402
from storage.crypto import generate_key, keyring  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Invoice, TimeEntry  # noqa: E402

__all__ = ["WORKSPACES", "Broken", "DrillResult", "run"]  # what tests/integration/test_scale_drill.py uses

PUSHES = int(os.environ.get("BENCH_SCALE_PUSHES", "400"))
LATENCY_MS = 250
QUEUE = "hourcap"  # `hourcap serve` and `hourcap worker` relay to and work this RQ queue
EXPIRE_AT = 1 / 3  # share of a run's pushes done when every stored access token is expired
RESTART_AT = 0.15  # share of config B's pushes done when the rolling restart begins
DEADLINE = 600.0  # seconds for one config's pushes; past it the run is reported broken

log = logging.getLogger("scale_drill")


def push_run(db: Database, fleet: Fleet, world: list[Seeded], xero: XeroSandbox, label: str, pushes: int, *,
             rolling_restart: bool = False) -> RunResult:
    per_workspace = pushes // len(world)
    total = per_workspace * len(world)
    wait_idle(db)
    xero.reset_calls()
    xero.reset_peaks()
    refreshed_before = xero.refreshes_per_token()
    tenants = queue_pushes(db, world, per_workspace, label, first=1 + 1000 * (ord(label[0]) - ord("A")))
    transport = RQTransport(fleet.redis_url, QUEUE)
    restarted, expired = 0, False
    restarter: threading.Thread | None = None
    restart_error: list[BaseException] = []

    def restart() -> None:
        nonlocal restarted
        try:
            restarted = fleet.rolling_restart()
        except BaseException as exc:  # noqa: BLE001 - reported by the run
            restart_error.append(exc)

    cpu_before, own_before = fleet.worker_cpu(), time.process_time()
    with HoursTraffic(world, fleet.serves) as traffic:
        started = time.monotonic()
        relay_due(db, transport, limit=total + 100)  # what the web process's fast path does after the commit
        while True:
            counts = statuses(db, label)
            settled = counts["pushed"] + counts["failed"] + counts["cancelled"]
            if settled >= total:
                break
            if time.monotonic() - started > DEADLINE:
                raise Broken(f"{label}: not settled in {DEADLINE:.0f} s: {dict(counts)}")
            if not expired and settled >= total * EXPIRE_AT:
                expire_tokens(db)
                expired = True
            if rolling_restart and restarter is None and settled >= total * RESTART_AT:
                restarter = threading.Thread(target=restart, name="rolling-restart", daemon=True)
                restarter.start()
            time.sleep(0.1)
        seconds = time.monotonic() - started
        cpu, own = fleet.worker_cpu() - cpu_before, time.process_time() - own_before
        if restarter is not None:
            restarter.join(timeout=300)
    if restart_error:
        raise Broken(f"{label}: rolling restart failed: {restart_error[0]}")
    if counts["pushed"] != total:
        raise Broken(f"{label}: not every invoice pushed: {dict(counts)}")
    in_xero: Counter[str] = Counter()
    for tenant in set(tenants.values()):
        in_xero.update(i["Reference"] for i in xero.invoices(tenant) if i["Reference"].startswith(f"{label}-"))
    with db.session() as s:
        recorded = dict(s.execute(select(Invoice.reference, Invoice.xero_invoice_id)
                                  .where(Invoice.reference.like(f"{label}-%"), Invoice.status == "pushed")).all())
    xero_ids = {i["Reference"]: i["InvoiceID"] for tenant in set(tenants.values()) for i in xero.invoices(tenant)}
    lost = sum(1 for ref in tenants if in_xero[ref] == 0 or xero_ids.get(ref) != recorded.get(ref))
    after = xero.refreshes_per_token()
    refreshes = {k: v - refreshed_before.get(k, 0) for k, v in after.items() if v != refreshed_before.get(k, 0)}
    return RunResult(label=label, serves=len(fleet.serves), workers=len(fleet.workers), pushes=total,
                     seconds=seconds, rate_limited=xero.rate_limited(),
                     peak_in_flight=max(xero.peaks_in_flight().values(), default=0), refreshes=refreshes,
                     duplicates=sum(n - 1 for n in in_xero.values() if n > 1), lost=lost,
                     hours_sent=traffic.sent, hours_refused=traffic.refused, restarted=restarted,
                     worker_cpu=cpu, driver_cpu=own, load=os.getloadavg()[0])



def run(database_url: str, redis_url: str, keys: tuple[str, ...], logs: Path, *, pushes: int = PUSHES) -> DrillResult:
    """The whole drill on a migrated PostgreSQL database (its Hour Cap tables empty) and a Redis, `pushes` invoice
    pushes per config (at least 3 per workspace, so every workspace still has pushes after its token expires)."""
    keyring.configure(keys)
    Queue(QUEUE, connection=redis.Redis.from_url(redis_url)).empty()
    db = Database(database_url)
    slack = SlackSandbox().start()
    xero = XeroSandbox().start()
    fleet = Fleet(hourcap_env(database_url, redis_url, keys, slack, xero), logs, redis_url)
    started = time.monotonic()
    try:
        serve = fleet.spawn_serve()
        fleet.add_worker()  # config A's worker, meanwhile: it does the installs' follow-up work during the seeding
        fleet.wait_ready(serve)
        world = seed(db, fleet.serves[0].url, slack, xero)
        xero.latency_ms = LATENCY_MS
        setup = time.monotonic() - started
        a = push_run(db, fleet, world, xero, "A", pushes)
        serve = fleet.spawn_serve()
        fleet.add_workers(3)
        fleet.wait_ready(serve)
        b = push_run(db, fleet, world, xero, "B", pushes, rolling_restart=True)
        with db.session() as s:
            stored = s.scalar(select(func.count()).select_from(TimeEntry)
                              .where(TimeEntry.description.like("Scale drill entry %"))) or 0
        return DrillResult(a, b, int(stored), setup)
    finally:
        fleet.stop()
        xero.stop()
        slack.stop()
        db.dispose()


@contextmanager
def _logs() -> Iterator[Path]:
    """The processes' logs: BENCH_SCALE_LOGS (kept), else a temporary directory."""
    kept = os.environ.get("BENCH_SCALE_LOGS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        yield Path(kept)
        return
    with tempfile.TemporaryDirectory(prefix="hourcap-scale-") as tmp:
        yield Path(tmp)


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    keys = (generate_key(),)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    with bench_database() as (_db, target), _logs() as logs:
        if not target.is_postgres:
            print(f"scale drill skipped: it needs PostgreSQL ({target.label})")
            return 0
        print(f"database: {target.label}; redis: {redis_url}; {WORKSPACES} workspaces, {PUSHES} pushes per config, "
              f"Xero answering in {LATENCY_MS} ms")
        try:
            result = run(target.url, redis_url, keys, logs)
        except Broken as exc:
            print(f"BROKEN: {exc}")
            return 1
        for line in result.detail_lines():
            print(line)
        print(result.figure_line())
        for problem in result.problems():
            print(f"BROKEN: {problem}")
        return 1 if result.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
