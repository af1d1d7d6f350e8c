"""The database a bench runs on, chosen and emptied the same way for every bench.

BENCH_DATABASE_URL if set (migrated; our tables wiped before and after), else a throwaway PostgreSQL database on
127.0.0.1:5432 (a schema if the role may not create databases; dropped afterwards), else a temporary SQLite file.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.crypto import generate_key, keyring
from storage.db import Database, normalise_url
from storage.migrate import upgrade
from storage.models import Base

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class BenchDatabase:
    url: str
    label: str
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


def _postgres_reachable(url: str) -> bool:
    engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - anything means "not here"
        return False
    finally:
        engine.dispose()


def _throwaway_postgres(base_url: str) -> BenchDatabase:
    """A database of our own on the server (dropped afterwards); a schema in `base_url` if we may not create one."""
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    name = f"hourcap_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    base = make_url(normalise_url(base_url))
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no CREATEDB privilege: fall back to a schema, as the test suite does
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        separator = "&" if "?" in base_url else "?"
        url = f"{normalise_url(base_url)}{separator}options=-csearch_path%3D{name}"

        def drop_schema() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
            admin.dispose()

        return BenchDatabase(url, f"PostgreSQL, schema {name} in {base.database} (dropped afterwards)",
                             [drop_schema])

    def drop_database() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = base.set(database=name).render_as_string(hide_password=False)
    return BenchDatabase(url, f"PostgreSQL, database {name} on {base.host}:{base.port} (dropped afterwards)",
                         [drop_database])


def choose_database(tmp_dir: Path) -> BenchDatabase:
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        shown = make_url(normalise_url(given)).render_as_string(hide_password=True)
        kind = "SQLite" if given.startswith("sqlite") else "PostgreSQL"
        return BenchDatabase(normalise_url(given), f"{kind}, BENCH_DATABASE_URL={shown} (our tables wiped)")
    if _postgres_reachable(LOCAL_POSTGRES):
        return _throwaway_postgres(LOCAL_POSTGRES)
    path = tmp_dir / "hourcap-bench.db"
    return BenchDatabase(f"sqlite:///{path}", f"SQLite, temporary file {path} (PostgreSQL not reachable)")


def wipe(db: Database) -> None:
    """Empty every table of ours (children first); the schema stays."""
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def analyze(db: Database) -> None:
    """Planner statistics for the seeded rows, as autovacuum would have gathered them on a live database: without
    them both sides of a bench are planned blind (a bare GROUP BY alone runs 3x slower)."""
    with db.session() as session:
        session.execute(text("ANALYZE"))


@contextmanager
def keyed_bench_database() -> Iterator[tuple[Database, BenchDatabase]]:
    """`bench_database()` with a fresh encryption key configured, for a bench that seeds encrypted columns."""
    keyring.configure((generate_key(),))
    with bench_database() as opened:
        yield opened


@contextmanager
def bench_database() -> Iterator[tuple[Database, BenchDatabase]]:
    """A migrated, empty database for one bench run; emptied (or dropped) afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="hourcap-bench-") as tmp:
        target = choose_database(Path(tmp))
        try:
            upgrade(target.url)
            db = Database(target.url)
            wipe(db)
            try:
                yield db, target
            finally:
                wipe(db)
                db.dispose()
        finally:
            for step in target.cleanup:
                step()
