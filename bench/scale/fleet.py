"""The drill's `hourcap serve` and `hourcap worker` processes, all with the same settings, each writing to a log of
its own; started, restarted one at a time and stopped with tests/support/processes.py, as the tests do."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from rq import Worker

from bench.scale import Broken
from bench.scale.world import CLIENT_ID, CLIENT_SECRET
from bench.workspace import SIGNING_SECRET
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from tests.support.processes import (
    HOURCAP,
    NotStarted,
    Running,
    clean_env,
    cpu_seconds,
    free_port,
    start,
    wait_answering,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Member:
    """One process of the fleet: its name in the logs, the process, and (a serve) its base URL."""

    name: str
    proc: Running
    url: str = ""


@dataclass
class Fleet:
    env: dict[str, str]
    logs: Path
    redis_url: str
    serves: list[Member] = field(default_factory=list)
    workers: list[Member] = field(default_factory=list)
    started: int = 0
    retired_cpu: float = 0.0  # CPU seconds of the workers a rolling restart replaced

    def _spawn(self, name: str, args: list[str], **env: str) -> Member:
        self.started += 1
        log = self.logs / f"{self.started:02d}-{name}.log"
        return Member(name, start([HOURCAP, *args], env={**self.env, **env}, cwd=self.logs, log=log))

    def add_serve(self) -> Member:
        return self.wait_ready(self.spawn_serve())

    def spawn_serve(self) -> Member:
        port = free_port()
        member = self._spawn(f"serve-{len(self.serves) + 1}", ["serve", "--host", "127.0.0.1", "--workers", "2",
                                                               "--no-migrate"], PORT=str(port))
        member.url = f"http://127.0.0.1:{port}"
        return member

    def wait_ready(self, member: Member) -> Member:
        """Until the serve process answers /readyz, then it takes traffic."""
        try:
            wait_answering(member.proc, f"{member.url}/readyz", timeout=90)
        except NotStarted as exc:
            raise Broken(f"{member.name} did not start: {exc}") from None
        self.serves.append(member)
        return member

    def add_worker(self) -> Member:
        return self.add_workers(1)[0]

    def add_workers(self, n: int) -> list[Member]:
        """Start `n` workers at once; return when RQ has registered all of them."""
        members = [self._spawn(f"worker-{self.started + 1}", ["worker"]) for _ in range(n)]
        self.wait_listening(members)
        self.workers.extend(members)
        return members

    def wait_listening(self, members: list[Member]) -> None:
        """Until RQ has registered each of these workers (it is then taking jobs)."""
        conn = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + 90
        while True:
            pids = {w.pid for w in Worker.all(connection=conn)}
            if all(m.proc.pid in pids for m in members):
                return
            for member in members:
                if member.proc.process.poll() is not None:
                    raise Broken(f"{member.name} exited at start:\n{member.proc.output()}")
            if time.monotonic() > deadline:
                raise Broken("workers did not start listening in 90 s")
            time.sleep(0.2)

    def rolling_restart(self) -> int:
        """Replace every worker, one at a time: start a new one, and once it listens SIGTERM an old one and wait
        for it to finish its job and exit. Returns how many were replaced."""
        replaced = 0
        for old in list(self.workers):
            self.add_worker()
            old.proc.terminate()
            deadline = time.monotonic() + 60
            while os.waitid(os.P_PID, old.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                if time.monotonic() > deadline:
                    raise Broken(f"{old.name} did not finish its job and exit within 60 s of SIGTERM")
                time.sleep(0.05)
            self.retired_cpu += cpu_seconds(old.proc.pid)  # exited, not yet reaped: its totals are still there
            old.proc.finish(timeout=10)
            self.workers.remove(old)
            replaced += 1
        return replaced

    def worker_cpu(self) -> float:
        """CPU seconds every worker has used, replaced workers included."""
        return self.retired_cpu + sum(cpu_seconds(m.proc.pid) for m in self.workers)

    def stop(self) -> None:
        """SIGTERM every process at once, then wait for each (warm shutdown for the workers)."""
        for member in self.workers + self.serves:
            member.proc.terminate()
        for member in self.workers + self.serves:
            member.proc.finish()
        self.workers.clear()
        self.serves.clear()


def hourcap_env(database_url: str, redis_url: str, keys: tuple[str, ...], slack: SlackSandbox,
                xero: XeroSandbox) -> dict[str, str]:
    """This process's environment without any Hour Cap setting, plus the drill's (multi-workspace install)."""
    return clean_env(
        SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_API_URL=slack.base_url, DATABASE_URL=database_url, REDIS_URL=redis_url,
        HOURCAP_ENCRYPTION_KEYS=",".join(keys), XERO_CLIENT_ID=xero.client_id,
        XERO_CLIENT_SECRET=xero.client_secret, XERO_LOGIN_URL=xero.login_url,
        XERO_IDENTITY_URL=xero.identity_url, XERO_API_URL=xero.api_url,
        XERO_CONNECTIONS_URL=xero.connections_url, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT),
    )
