"""Reads kept per workspace stamp: what a large workspace shows again and again, read once per change.

`WorkspaceStamp` (storage/models/team.py) changes in the commit of every change to what these reads show. A read
that takes the stamp first and the rows after is at least as new as the stamp: a change committed in between only
makes it newer, and gives the next reader a new stamp, so nothing old is ever served under the current stamp. The
kept values live in this process (one cache per `Database`, shared by its threads), so each process keeps its own
and none can serve another's stale copy; a workspace without a stamp row is read every time.

Only reads made before their session writes anything may be kept (read-only sessions, or a transaction's opening
reads, as a quick `/hours` does its projects): a value read by a transaction that has written could hold rows that
are rolled back. Values must be immutable (tuples, frozen dataclasses), since threads share them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import WorkspaceStamp

T = TypeVar("T")

STAMPED_CACHE = "hourcap.stamped.cache"  # the key, in every session's `info`, of its database's cache
KEPT = 512  # values kept per process: a few per busy workspace's Home, the least recently used go first


def read_stamp(session: Session, workspace_id: int) -> int | None:
    """The workspace's stamp now (None: it has none, so nothing of it is kept)."""
    return session.scalar(select(WorkspaceStamp.stamp).where(WorkspaceStamp.workspace_id == workspace_id))


class StampedCache:
    """Values by (workspace, what was read), each kept with the stamp it was read under."""

    def __init__(self, size: int = KEPT) -> None:
        self._size = size
        self._values: OrderedDict[tuple[int, Hashable], tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, workspace_id: int, stamp: int | None, key: Hashable, read: Callable[[], T]) -> T:
        """The value `read` returned under this `stamp`, or `read()` now (and kept) when there is none."""
        if stamp is None:
            return read()
        at = (workspace_id, key)
        with self._lock:
            kept = self._values.get(at)
            if kept is not None and kept[0] == stamp:
                self._values.move_to_end(at)
                return cast(T, kept[1])
        value = read()
        with self._lock:
            self._values[at] = (stamp, value)
            self._values.move_to_end(at)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Stamped:
    """One read-only session's view of the cache under the workspace's stamp, read once before anything it keeps:
    `Stamped.read`, or the `stamp` a caller read in the statement that opened its reading (such as
    team.members.member_with_workspace)."""

    def __init__(self, session: Session, workspace_id: int, stamp: int | None) -> None:
        self._cache: StampedCache | None = session.info.get(STAMPED_CACHE)
        self._workspace_id = workspace_id
        self._stamp = stamp

    @classmethod
    def read(cls, session: Session, workspace_id: int) -> Stamped:
        return cls(session, workspace_id, read_stamp(session, workspace_id))

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        if self._cache is None:
            return read()
        return self._cache.get(self._workspace_id, self._stamp, key, read)
