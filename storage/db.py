"""Engine and session handling, identical on SQLite and PostgreSQL.

`Database` owns one engine and a session factory. `db.session()` is a context manager giving a transaction that
commits on success and rolls back on error — the one way to touch the database. Callbacks registered with
`after_commit` run once the transaction is durable. `db.outbox_listeners` are the callbacks to run after a commit
of one of this database's sessions that recorded outbox work (the relay's fast path, the in-process runner's
wake): they belong to the `Database` the composition root built, so each process (and each test) has its own.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from storage.stamps import STAMPED_CACHE, StampedCache


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def on_postgresql(session: Session) -> bool:
    """Whether `session` talks to PostgreSQL (else SQLite): for the few statements each writes its own way."""
    return session.get_bind().dialect.name == "postgresql"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling would issue BEGIN itself; the "begin" hook below does it.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # SQLite ignores SELECT … FOR UPDATE; taking the write lock at BEGIN serialises writers instead,
            # so conditional updates (entry reservation, outbox claims, token refresh) stay race-free.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any parameters. The
    # same query spans workspaces of ten entries and of a million, a date range of a day or of a year: a plan
    # chosen blind (e.g. an index scan "for about 50 rows" that reads 10,000) costs more than planning each run.
    # A transaction of point reads and writes (a quick /hours) switches back for itself: storage/plans.py.
    # The URL's own `options` (say `-csearch_path=tenant_a`) are kept: connect_args would otherwise replace them.
    given = make_url(url).query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else given
    server_options = " ".join(filter(None, [given, "-c plan_cache_mode=force_custom_plan"]))
    options: dict[str, Any] = {"pool_recycle": RECYCLE_SECONDS, "connect_args": {"options": server_options}}
    if "poolclass" not in kwargs:
        options.update(pool_size=10, max_overflow=10)
    engine = create_engine(url, **options, **kwargs)
    event.listen(engine, "checkout", _refuse_dead_connection)
    return engine


# A pooled connection is replaced after this long, whatever its state: a firewall or proxy that drops idle
# connections silently (no FIN, so `_refuse_dead_connection` sees nothing) never gets to hand one back.
RECYCLE_SECONDS = 1800


def _refuse_dead_connection(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Liveness at checkout without a round trip (what `pool_pre_ping` costs every transaction).

    An idle connection in the pool has nothing to read: PostgreSQL only talks when asked. When the server ends a
    backend (pg_terminate_backend, a restart, idle_session_timeout) it sends a FATAL error and closes the socket,
    which makes the socket readable. So a connection psycopg knows is closed or broken, or whose socket is
    readable, is refused, and the pool opens a new one (SQLAlchemy's DisconnectionError contract). A connection
    cut between this check and its first statement fails that statement as before, and SQLAlchemy then drops
    every connection opened before it."""
    if dbapi_conn.closed or dbapi_conn.broken:
        raise exc.DisconnectionError("connection closed")
    poller = select.poll()
    try:
        poller.register(dbapi_conn.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    except (OSError, ValueError) as gone:  # psycopg's socket lookup fails on a dead connection
        raise exc.DisconnectionError("connection has no socket") from gone
    if poller.poll(0):
        raise exc.DisconnectionError("the server ended the connection")


OUTBOX_LISTENERS = "hourcap.outbox.listeners"  # the key, in every session's `info`, of its database's listeners


class Listeners:
    """Callbacks without arguments, each added once; `notify()` calls those added at that moment, in order."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def add(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)

    def remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def notify(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.outbox_listeners = Listeners()
        self.stamped = StampedCache()
        # Every session carries its database's listeners, so `storage.outbox.record` can wake them after commit,
        # and its cache of reads kept per workspace stamp (storage/stamps.py).
        info = {OUTBOX_LISTENERS: self.outbox_listeners, STAMPED_CACHE: self.stamped}
        self._factory = sessionmaker(self.engine, expire_on_commit=False, info=info)
        # Reads only: on PostgreSQL each statement stands alone (READ COMMITTED gives each statement its own
        # snapshot inside a transaction too), without the BEGIN and COMMIT round trips. SQLite has no round trips.
        self._reading_factory = sessionmaker(
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False, info=info)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads (what a screen shows): never write through it, each write would commit on
        its own."""
        session = self._reading_factory()
        try:
            yield session
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once, after `session`'s current transaction commits (never if it rolls back)."""

    def _run(_session: Session) -> None:
        callback()

    event.listen(session, "after_commit", _run, once=True)
