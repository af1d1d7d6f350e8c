"""A real worker process (our `run_worker`) meeting a job that will not end: killed with SIGKILL mid-job, a job past
its timeout, and one that ignores its timeout. Jobs run in the worker's own process (no work horse), so what
matters is that nothing is lost when that process dies, and that a timeout stops a job without a fork to kill.

Each worker runs in its own session (process group), so SIGKILL of the group takes its scheduler child with it.
The tasks write the pid of the process running them to a marker file: it is the worker's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.relay import relay_due
from jobs.rq_transport import RQTransport
from jobs.sweeper import sweep
from jobs.worker import STUCK_EXIT, STUCK_GRACE
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
        self, *, relay_interval: float = 0.2, sweep_interval: float = 3600.0, stuck_grace: float = STUCK_GRACE
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.started)}.log").open("wb")
        code = "from tests.support.jobs_fixtures import worker_main; worker_main()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, self.queue, str(relay_interval), str(sweep_interval), str(stuck_grace)],
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


def runners(marker: Path) -> list[int]:
    """The pid of the process that ran each start of the task, in order."""
    return [int(line.split()[1]) for line in marker.read_text().splitlines() if line.startswith("start")]


def recovered_by_the_next_worker(db: Database, redis_url: str, rq_queue: str, workers: Workers, outbox_id: int,
                                 marker: Path) -> None:
    """A dead worker's row, still `running`: once its lease expires the sweeper re-queues it, a new worker runs it
    to the end in its own process, and the task ran twice in all, finishing once."""
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

    assert runners(marker)[1] == second.pid
    assert marker.read_text().count("start") == 2
    assert marker.read_text().count("done") == 1
    row = load(db, outbox_id)
    assert row.status == OutboxStatus.DONE and row.attempts == 2 and row.last_error is None


def test_worker_killed_mid_job_is_recovered_and_the_task_completes_once(
    db: Database,
    redis_url: str,
    rq_queue: str,
    workers: Workers,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "crash_once.log"
    outbox_id = record(db, "test.crash_once", {"path": str(marker)}, max_attempts=3)

    first = workers.start()  # its own relay thread delivers the row; the worker's own process starts the task
    wait_for(lambda: marker.exists() and "start" in marker.read_text(), timeout=20, what="first run to start")
    assert load(db, outbox_id).status == OutboxStatus.RUNNING
    assert runners(marker) == [first.pid]  # no work horse: killing the worker kills the job
    os.killpg(first.pid, signal.SIGKILL)  # the worker, mid-job, and its scheduler
    first.wait(timeout=10)

    recovered_by_the_next_worker(db, redis_url, rq_queue, workers, outbox_id, marker)


def test_a_job_past_its_timeout_is_stopped_inside_the_worker_which_goes_on(
    db: Database,
    redis_url: str,
    rq_queue: str,
    workers: Workers,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "hang_once.log"
    outbox_id = record(db, "test.crash_once", {"path": str(marker)}, max_attempts=3)
    assert relay_due(db, RQTransport(redis_url, rq_queue, job_timeout=1)) == 1  # its first run may take 1 s

    worker = workers.start()
    # The first run hangs for 60 s unless RQ's timeout stops it; the retry (delivered by the worker's relay with
    # the usual timeout) completes.
    wait_for(lambda: load(db, outbox_id).status == OutboxStatus.DONE, timeout=30, what="the retry to finish")
    assert runners(marker) == [worker.pid, worker.pid]  # both runs in the worker's process, which lived on
    assert marker.read_text().count("done") == 1
    row = load(db, outbox_id)
    assert row.attempts == 2 and row.last_error is None
    assert "JobTimeoutException" in workers.log_text()  # the first attempt's failure, logged by the executor
    assert worker.poll() is None
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0, workers.log_text()


def test_a_job_that_ignores_its_timeout_ends_its_worker_and_is_recovered(
    db: Database,
    redis_url: str,
    rq_queue: str,
    workers: Workers,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "stubborn_once.log"
    outbox_id = record(db, "test.stubborn_once", {"path": str(marker)}, max_attempts=3)
    assert relay_due(db, RQTransport(redis_url, rq_queue, job_timeout=1)) == 1

    first = workers.start(stuck_grace=1.0)
    # It swallows RQ's timeout and hangs on: 1 s past that timeout the worker gives up and exits.
    assert first.wait(timeout=30) == STUCK_EXIT, workers.log_text()
    assert runners(marker) == [first.pid]
    assert "still running" in workers.log_text()

    recovered_by_the_next_worker(db, redis_url, rq_queue, workers, outbox_id, marker)
