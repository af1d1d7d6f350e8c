"""Task registry: the names outbox rows refer to, the functions that do the work, and how they fail.

A task is `fn(ctx: JobContext, **args) -> None`, registered under a stable name with `@task("name")`. The name
is what the outbox stores, so renaming a task is a data migration. Tasks signal what went wrong with typed
exceptions instead of sleeping or retrying themselves, so one place (`jobs.execute`) owns scheduling:

- `RetryAt(when, reason)`: the outside service told us when to come back (Xero 429 Retry-After); no attempt
  used.
- `Transient(reason)`: worth retrying later with exponential backoff; any other exception counts as this.
- `Permanent(reason)`: retrying cannot help; the row fails now and `on_failed` hooks run.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from settings import Settings
    from storage.db import Database
    from storage.models import Outbox

DEFAULT_LEASE = timedelta(minutes=15)  # longer than RQTransport's job_timeout, so a live job never looks lost
DEFAULT_RETRY_BASE = 5.0  # seconds; attempt n waits about 2**n * base
DEFAULT_RETRY_CAP = 3600.0


@dataclass
class JobContext:
    """What a task may use: the database, settings, and named services attached by the composition root."""

    db: Database
    settings: Settings | None = None
    services: dict[str, Any] = field(default_factory=dict)


TaskFn = Callable[..., None]
FailedHook = Callable[[JobContext, "Outbox"], None]


class RetryAt(Exception):  # noqa: N818 - reads as an instruction: `raise RetryAt(when, reason)`
    """Come back at `when` (aware datetime); does not use an attempt."""

    def __init__(self, when: datetime, reason: str) -> None:
        if when.tzinfo is None:
            raise ValueError("RetryAt needs an aware datetime")
        super().__init__(reason)
        self.when = when
        self.reason = reason


class Transient(Exception):  # noqa: N818
    """Retry with exponential backoff, up to the row's `max_attempts`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Permanent(Exception):  # noqa: N818
    """Fail now: retrying cannot succeed (bad input, revoked access, validation error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


_tasks: dict[str, TaskSpec] = {}

# Called with (ctx, outbox_row) after a row ends failed (execute or sweeper); alerts hang off this.
on_failed: list[FailedHook] = []


def task(
    name: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
    retry_base: float = DEFAULT_RETRY_BASE,
    retry_cap: float = DEFAULT_RETRY_CAP,
) -> Callable[[TaskFn], TaskFn]:
    """Register `fn` under `name`; re-importing one function is harmless, two functions for one name fail."""

    def decorate(fn: TaskFn) -> TaskFn:
        existing = _tasks.get(name)
        if existing is not None and _origin(existing.fn) != _origin(fn):
            raise ValueError(f"task {name!r} is already registered by {_origin(existing.fn)}")
        _tasks[name] = TaskSpec(name, fn, lease, retry_base, retry_cap)
        return fn

    return decorate


def _origin(fn: TaskFn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def get_task(name: str) -> TaskSpec:
    try:
        return _tasks[name]
    except KeyError:
        raise UnknownTask(f"no task registered as {name!r}") from None


def registered() -> list[str]:
    return sorted(_tasks)


def load_all_tasks() -> list[str]:
    """Import every `jobs/tasks_*.py` so its `@task`s register; workers call this before taking work."""
    import jobs

    for module in pkgutil.iter_modules(jobs.__path__):
        if module.name.startswith("tasks_"):
            importlib.import_module(f"jobs.{module.name}")
    return registered()
