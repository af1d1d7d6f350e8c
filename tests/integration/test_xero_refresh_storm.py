"""Refresh storm: 16 jobs (8 threads here + 8 separate processes) start together on an expired access token.
Exactly one of them may call Xero's token endpoint; the others must wait for the lock, re-read the row and use
the new token. Run with the row lock (PostgreSQL `FOR UPDATE`, SQLite BEGIN IMMEDIATE — whichever database
TEST_DATABASE_URL names) and with the Redis lock.

The 8 worker processes are started once per module and driven over stdin/stdout (prepare → ready, go → result),
so the storm itself measures concurrency, not interpreter start-up (their entry point:
`tests.support.xero_connection.storm_worker`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, xero_settings
from storage.db import Database
from storage.models import ConnectionStatus, XeroConnection
from tests.support.xero_connection import (
    expire_access_token,
    invalid_grants,
    refresh_calls,
    settings_payload,
    storm_job,
    token_lock,
)
from xero.limits import LocalLimits

REPO = Path(__file__).resolve().parents[2]
THREADS = 8
PROCESSES = 8



class Workers:
    def __init__(self, keys: tuple[str, ...], logs: Path) -> None:
        code = "from tests.support.xero_connection import storm_worker; storm_worker()"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.procs = [
            subprocess.Popen([sys.executable, "-c", code, json.dumps(list(keys))], cwd=REPO, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=(logs / f"storm-worker-{n}.log").open("w"))
            for n in range(PROCESSES)
        ]

    def send(self, command: dict[str, Any]) -> None:
        line = json.dumps(command) + "\n"
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(line)
            proc.stdin.flush()

    def answers(self) -> list[dict[str, Any]]:
        out = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line, f"storm worker {proc.pid} exited (see its log next to the test's tmp files)"
            out.append(json.loads(line))
        return out

    def stop(self) -> None:
        for proc in self.procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def workers(encryption_keys: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    pool = Workers(encryption_keys, tmp_path_factory.mktemp("storm"))
    yield pool
    pool.stop()


@pytest.mark.parametrize("kind", ["row", "redis"])
def test_refresh_storm_calls_the_token_endpoint_once(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str, workers: Workers,
    kind: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str],
) -> None:
    redis_url = request.getfixturevalue("redis_url") if kind == "redis" else None
    settings = xero_settings(xero_sb, database_url)
    lock = token_lock(kind, redis_url)
    limits = LocalLimits()  # this test's own (the sandbox's in-flight limit is raised below)
    xero_sb.set_limits(per_minute=1000, in_flight=50)  # this test is about tokens; limits have their own test
    expire_access_token(db, connected.workspace_id)

    workers.send({"op": "prepare", "database_url": database_url, "settings": settings_payload(settings),
                  "workspace_id": connected.workspace_id, "lock": kind, "redis_url": redis_url})
    assert all(a.get("ready") for a in workers.answers())

    go = threading.Event()
    results: list[dict[str, Any]] = []

    def thread_job() -> None:
        go.wait()
        results.append(storm_job(db, settings, connected.workspace_id, lock, limits))

    threads = [threading.Thread(target=thread_job) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    workers.send({"op": "go"})
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    results += workers.answers()

    failures = [r for r in results if not r["ok"]]
    assert not failures, failures
    calls, refused = refresh_calls(xero_sb), invalid_grants(xero_sb)
    where = "postgresql" if not db.is_sqlite else "sqlite"
    line = f"refresh storm ({where}, {kind} lock): token_calls={calls} invalid_grant={refused} jobs={len(results)}"
    with capsys.disabled():  # the figure is part of the result: shown with or without -s
        print(f"\n{line}")
    assert (calls, refused, len(results)) == (1, 0, THREADS + PROCESSES), line
    assert len({r["token"] for r in results}) == 1, "every job must use the one refreshed token"
    assert {r["status"] for r in results} == {200}
    with db.session() as session:
        row = session.scalars(
            select(XeroConnection).where(XeroConnection.workspace_id == connected.workspace_id)
        ).one()
    assert row.token_version == 2 and row.status == ConnectionStatus.CONNECTED.value
