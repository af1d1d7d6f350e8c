"""Processes the tests start and stop: the `hourcap` command and a clean environment for it, a free loopback
port, a long-running command whose output is collected and whose /healthz is awaited, a private `redis-server`
that can be restarted without disturbing anyone else's Redis, and killing a worker together with everything it
forked."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

HOURCAP = str(Path(sys.executable).parent / "hourcap")


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any of Hour Cap's settings, plus `values`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HOURCAP_", "XERO_", "DATABASE_",
                                                                     "REDIS_", "PORT"))}
    keep.update(values)
    return keep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A long-running command (`hourcap serve`, `honcho start`), its output collected line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self, tail: int = 3000) -> str:
        return "\n".join(self.lines)[-tail:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Ask it to stop (SIGTERM, as a platform does) and wait; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def wait_healthy(running: Running, base_url: str, timeout: float = 30) -> None:
    """Until `base_url`/healthz answers 200; fails with the output when the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx2.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if running.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{running.process.args!r} did not serve {base_url}/healthz:\n{running.output()}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(argv: Sequence[str], *, env: dict[str, str], cwd: Path) -> Iterator[Running]:
    """Start `argv`; on the way out, stop it (SIGTERM, then SIGKILL if it lingers)."""
    process = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    started = Running(process)
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: started.lines.extend(line.rstrip("\n") for line in stdout),
                              daemon=True)
    reader.start()
    try:
        yield started
    finally:
        try:
            started.stop()
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)


class PrivateRedis:
    """A `redis-server` of the drill's own, so restarting it disturbs nobody else."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc): the worker's scheduler and its work horse."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's process group and every process below it (the work horse has a group of its own)."""
    doomed = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGKILL)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)
