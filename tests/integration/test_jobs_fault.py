"""A real forked `rq` worker (our `run_worker`) killed with SIGKILL mid-task; the outbox gets the work done
once.

The worker runs in its own session (process group) so SIGKILL takes its scheduler child with it; the work
horse puts itself in a separate process group, so it is killed by the pid it writes to the marker file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.rq_transport import RQTransport
from jobs.sweeper import sweep
from storage.db import Database
from storage.models import OutboxStatus
from storage.types import utcnow
from tests.support.jobs_fixtures import REPO, load, record, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]


class Workers:
    """Starts subprocess workers and makes sure none outlives the test."""

    def __init__(self, database_url: str, redis_url: str, queue: str, logs: Path) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
        }
        self.queue = queue
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, *, relay_interval: float = 0.2, sweep_interval: float = 3600.0
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.started)}.log").open("wb")
        code = "from tests.support.jobs_fixtures import worker_main; worker_main()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, self.queue, str(relay_interval), str(sweep_interval)],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def workers(
    database_url: str,
    redis_url: str,
    rq_queue: str,
    tmp_path: Path,
) -> Iterator[Workers]:
    pool = Workers(database_url, redis_url, rq_queue, tmp_path)
    yield pool
    pool.kill_all()


def test_worker_killed_mid_task_is_recovered_and_the_task_completes_once(
    db: Database,
    redis_url: str,
    rq_queue: str,
    workers: Workers,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "crash_once.log"
    outbox_id = record(db, "test.crash_once", {"path": str(marker)}, max_attempts=3)

    first = workers.start()  # its own relay thread delivers the row; its forked horse starts the task
    wait_for(lambda: marker.exists() and "start" in marker.read_text(), timeout=20, what="first run to start")
    assert load(db, outbox_id).status == OutboxStatus.RUNNING
    horse_pid = int(marker.read_text().split()[1])
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its scheduler
    os.kill(horse_pid, signal.SIGKILL)  # the horse, mid-task
    first.wait(timeout=10)

    row = load(db, outbox_id)
    assert row.status == OutboxStatus.RUNNING and row.attempts == 1 and row.lease_until is not None
    lease_until = row.lease_until
    wait_for(lambda: utcnow() > lease_until, timeout=5, what="the dead run's lease to expire")
    # The dead run's RQ job still says "started": only the lease tells us the worker is gone.
    assert RQTransport(redis_url, rq_queue).knows(row.job_id or "")
    report = sweep(db, RQTransport(redis_url, rq_queue))
    assert (report.requeued_expired, report.failed_expired) == (1, 0)
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1

    second = workers.start()
    wait_for(
        lambda: load(db, outbox_id).status == OutboxStatus.DONE, timeout=20, what="second worker to finish"
    )
    second.send_signal(signal.SIGTERM)  # warm shutdown while idle: exits cleanly
    assert second.wait(timeout=15) == 0, workers.log_text()

    assert marker.read_text().count("start") == 2
    assert marker.read_text().count("done") == 1
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.DONE and row.attempts == 2 and row.last_error is None
