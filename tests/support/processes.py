"""Processes the tests and the benches start and stop: the `hourcap` command and a clean environment for it, a free
loopback port, a long-running command whose output is collected (or written to a log file) and whose /healthz is
awaited, a private `redis-server` that can be restarted without disturbing anyone else's Redis, the processes below
one and their CPU time (from Linux's /proc), and killing a worker together with everything it forked.

bench/scale_drill.py runs its `hourcap serve` and `hourcap worker` processes with these too, so the tests and the
drill start, watch and stop them one way.
"""

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
from typing import IO, Any

import httpx2

HOURCAP = str(Path(sys.executable).parent / "hourcap")


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any of Hour Cap's settings, plus `values`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HOURCAP_", "XERO_", "DATABASE_",
                                                                     "REDIS_", "PORT", "WEB_CONCURRENCY"))}
    keep.update(values)
    return keep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NotStarted(AssertionError):
    """A process that exited, or did not answer in time, at start (an AssertionError: a test fails with it)."""


@dataclass
class Running:
    """A long-running command (`hourcap serve`, `hourcap worker`, `honcho start`), its output collected line by
    line, or written to `log` when it has one."""

    process: subprocess.Popen[Any]
    lines: list[str] = field(default_factory=list)
    log: Path | None = None
    signalled: bool = False
    _out: IO[bytes] | None = None
    _reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, tail: int = 3000) -> str:
        if self.log is not None:
            if self._out is not None and not self._out.closed:
                self._out.flush()
            return self.log.read_text(errors="replace")[-tail:]
        return "\n".join(self.lines)[-tail:]

    def terminate(self, sig: int = signal.SIGTERM) -> None:
        """Send `sig` while it runs, once: a second SIGTERM would make an RQ worker drop the job in hand."""
        if self.process.poll() is None and not self.signalled:
            self.process.send_signal(sig)
            self.signalled = True

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Ask it to stop (SIGTERM, as a platform does, unless sent already) and wait; the exit status."""
        self.terminate(sig)
        return self.process.wait(timeout=timeout)

    def finish(self, timeout: float = 30) -> None:
        """Stop it (SIGKILL if it lingers past `timeout`) and close its output."""
        try:
            self.stop(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._out is not None:
            self._out.close()


def start(argv: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path | None = None) -> Running:
    """Start `argv`, its output collected in memory, or written to `log`; stop it with `finish()`."""
    if log is not None:
        out = log.open("wb")
        process: subprocess.Popen[Any] = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=out,
                                                          stderr=subprocess.STDOUT)
        return Running(process, log=log, _out=out)
    process = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    started = Running(process)
    assert process.stdout is not None
    stdout = process.stdout
    started._reader = threading.Thread(target=lambda: started.lines.extend(line.rstrip("\n") for line in stdout),
                                       daemon=True)
    started._reader.start()
    return started


@contextlib.contextmanager
def running(argv: Sequence[str], *, env: dict[str, str], cwd: Path) -> Iterator[Running]:
    """Start `argv`; on the way out, stop it (SIGTERM, then SIGKILL if it lingers)."""
    started = start(argv, env=env, cwd=cwd)
    try:
        yield started
    finally:
        started.finish()


def wait_answering(running: Running, url: str, timeout: float = 30) -> None:
    """Until `url` answers 200; `NotStarted`, with the output, when the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx2.get(url, timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if running.process.poll() is not None or time.monotonic() > deadline:
            raise NotStarted(f"{running.process.args!r} did not answer {url}:\n{running.output()}")
        time.sleep(0.1)


def wait_healthy(running: Running, base_url: str, timeout: float = 30) -> None:
    """Until `base_url`/healthz answers 200 (see `wait_answering`)."""
    wait_answering(running, f"{base_url}/healthz", timeout)


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


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, …); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its children it reaped (utime, stime, cutime, cstime); 0 if it is gone. A
    process that exited and is not yet reaped (`os.waitid(..., WNOWAIT)`) still has its totals here."""
    fields = _stat(pid)
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc): e.g. an RQ worker's scheduler."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's process group (started with `start_new_session`) and every process below it, the job in
    hand with them: jobs run in the worker's own process."""
    doomed = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGKILL)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)
