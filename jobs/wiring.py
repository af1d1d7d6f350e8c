"""How a process runs jobs: in-process threads when REDIS_URL is unset, else RQ (web processes relay only).

The composition root builds one `JobsRuntime`. Web processes with Redis relay outbox rows to RQ right after the
commit that wrote them (fast path); `hourcap worker` processes run RQ plus the polling relay and sweeper (the
safety net). Without Redis, the in-process runner does all three in background threads.
"""

from __future__ import annotations

from typing import Any

from jobs.registry import JobContext, TaskRegistry
from settings import Settings
from storage.db import Database


class JobsRuntime:
    def __init__(self, settings: Settings, db: Database, tasks: TaskRegistry,
                 services: dict[str, Any] | None = None, *, queue_name: str = "hourcap") -> None:
        self.settings = settings
        self.db = db
        self.queue_name = queue_name
        self.context = JobContext(db=db, settings=settings, services=dict(services or {}), tasks=tasks)
        self.runner: Any = None
        self._relay_now: Any = None
        if settings.redis_url is not None:
            from jobs.relay import fast_path
            from jobs.rq_transport import RQTransport

            self._relay_now = fast_path(db, RQTransport(settings.redis_url, queue_name=queue_name))

    @property
    def in_process(self) -> bool:
        return self.settings.redis_url is None

    def redis_ping(self) -> None:
        if self.settings.redis_url is None:
            return
        import redis

        redis.Redis.from_url(self.settings.redis_url, socket_connect_timeout=2).ping()

    def start(self) -> None:
        """Begin executing (in-process) or relaying (RQ) recorded work."""
        if self.in_process:
            from jobs.inprocess import InProcessRunner

            self.runner = InProcessRunner(self.context)
            self.runner.start()
        else:
            self.db.outbox_listeners.add(self._relay_now)  # the workers' polling relay is the safety net

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        if self._relay_now is not None:
            self.db.outbox_listeners.remove(self._relay_now)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until no due work is left (in-process mode): the demo and tests use it."""
        if self.runner is not None:
            self.runner.drain(timeout)

    def run_worker(self, *, burst: bool = False) -> int:
        from jobs.worker import run_worker

        assert self.settings.redis_url is not None
        run_worker(self.context, self.settings.redis_url, queue_name=self.queue_name, burst=burst)
        return 0
