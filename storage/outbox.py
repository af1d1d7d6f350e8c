"""Recording work that must happen: the one way use cases ask for background work.

A row is written in the caller's transaction, so the work exists exactly when the change that needs it commits.
Listeners (the relay's fast path) are woken after that commit; the relay's polling is the safety net.
Arguments are ids and plain values only — never secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import after_commit
from storage.models import Outbox
from storage.types import utcnow

_listeners: list[Callable[[], None]] = []
_WAKE_FLAG = "hourcap.outbox.wake"


def add_listener(callback: Callable[[], None]) -> None:
    """Call `callback` after any transaction that recorded outbox work commits."""
    if callback not in _listeners:
        _listeners.append(callback)


def remove_listener(callback: Callable[[], None]) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _wake() -> None:
    for callback in list(_listeners):
        callback()


def record(
    session: Session,
    task: str,
    args: dict[str, Any] | None = None,
    *,
    workspace_id: int | None,
    dedupe_key: str | None = None,
    delay: timedelta | None = None,
    not_before: datetime | None = None,
    max_attempts: int = 5,
) -> Outbox | None:
    """Record `task(**args)` as work to do; None when an identical waiting request (same dedupe key) exists."""
    available_at = not_before or (utcnow() + delay if delay else utcnow())
    row = Outbox(
        workspace_id=workspace_id,
        task=task,
        args=dict(args or {}),
        dedupe_key=dedupe_key,
        available_at=available_at,
        max_attempts=max_attempts,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            return None
    if not session.info.get(_WAKE_FLAG):
        session.info[_WAKE_FLAG] = True

        def _after() -> None:
            session.info.pop(_WAKE_FLAG, None)
            _wake()

        after_commit(session, _after)
    return row
