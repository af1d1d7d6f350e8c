"""Task registry: the names outbox rows refer to, the functions that do the work, and what runs when one fails.

A task is `fn(ctx: JobContext, **args) -> None`, added to a `TaskRegistry` under a stable name. The name is what
the outbox stores, so renaming a task is a data migration. Each feature registers its own tasks (a module-level
`register(tasks)` in `invoicing/tasks_push.py`, `xero/tasks_sync.py`, `bot/notify/…`); the composition root
(`app.py`) lists those modules and builds one registry per process, so tests build fresh ones.

Tasks signal what went wrong with the typed exceptions of `errors.py` instead of sleeping or retrying themselves,
so one place (`jobs.execute`) owns scheduling:

- `RetryAt(when, reason)`: the outside service told us when to come back (Xero 429 Retry-After); no attempt
  used.
- `Transient(reason)`: worth retrying later with exponential backoff; any other exception counts as this.
- `Permanent(reason)`: retrying cannot help; the row fails now and the registry's failure hooks run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Database
    from storage.models import Outbox

DEFAULT_LEASE = timedelta(minutes=15)  # longer than RQTransport's job_timeout, so a live job never looks lost
DEFAULT_RETRY_BASE = 5.0  # seconds; attempt n waits about 2**n * base
DEFAULT_RETRY_CAP = 3600.0

TaskFn = Callable[..., None]
FailedHook = Callable[["JobContext", "Outbox"], None]


@dataclass(frozen=True)
class TaskSpec:
    """A registered task and its scheduling knobs (lease: how long a run may hold the row)."""

    name: str
    fn: TaskFn
    lease: timedelta = DEFAULT_LEASE
    retry_base: float = DEFAULT_RETRY_BASE
    retry_cap: float = DEFAULT_RETRY_CAP


class UnknownTask(LookupError):  # noqa: N818
    pass


class TaskRegistry:
    """The tasks one process can run, and the hooks called with (ctx, outbox_row) after a row ends failed
    (in the executor or the sweeper): alerts hang off those."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskSpec] = {}
        self._failed_hooks: list[FailedHook] = []

    def add(
        self,
        name: str,
        fn: TaskFn,
        *,
        lease: timedelta = DEFAULT_LEASE,
        retry_base: float = DEFAULT_RETRY_BASE,
        retry_cap: float = DEFAULT_RETRY_CAP,
    ) -> None:
        """Register `fn` under `name`; registering the same function again is harmless, another one fails."""
        existing = self._tasks.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"task {name!r} is already registered by {_origin(existing.fn)}")
        self._tasks[name] = TaskSpec(name, fn, lease, retry_base, retry_cap)

    def on_failed(self, hook: FailedHook) -> None:
        if hook not in self._failed_hooks:
            self._failed_hooks.append(hook)

    def remove_on_failed(self, hook: FailedHook) -> None:
        if hook in self._failed_hooks:
            self._failed_hooks.remove(hook)

    @property
    def failed_hooks(self) -> tuple[FailedHook, ...]:
        return tuple(self._failed_hooks)

    def get(self, name: str) -> TaskSpec:
        try:
            return self._tasks[name]
        except KeyError:
            raise UnknownTask(f"no task registered as {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._tasks)


def _origin(fn: TaskFn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclass
class JobContext:
    """What a task may use: the database, settings, the registry it runs from, and named services attached by
    the composition root."""

    db: Database
    settings: Settings | None = None
    services: dict[str, Any] = field(default_factory=dict)
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
