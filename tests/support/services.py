"""Real services for tests: a migrated database (SQLite or PostgreSQL) and Redis.

The suite runs against whichever database TEST_DATABASE_URL names (default: a SQLite file per run). On
PostgreSQL every run gets its own schema, so concurrent runs on one server never see each other's rows. A missing
service skips its tests loudly, or fails them when HOURCAP_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import Database, normalise_url
from storage.migrate import upgrade
from storage.models import Base

REQUIRE_SERVICES = os.environ.get("HOURCAP_REQUIRE_SERVICES") == "1"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def unavailable(what: str, why: str) -> None:
    """Skip loudly, or fail under HOURCAP_REQUIRE_SERVICES=1."""
    message = f"{what} unavailable: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (HOURCAP_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@contextmanager
def migrated_database_url(tmp_dir: Path) -> Iterator[str]:
    """A freshly migrated database for one test session; removed afterwards."""
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url or base_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_dir / 'hourcap-test.db'}"
        upgrade(url)
        yield url
        return
    with empty_postgres_schema(base_url) as url:
        upgrade(url)
        yield url


@contextmanager
def empty_postgres_schema(base_url: str) -> Iterator[str]:
    """A URL of `base_url`'s server whose search_path is a new, empty schema (dropped afterwards): for tests of
    what creates the tables, such as `hourcap migrate`."""
    schema = f"hc_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base_url))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "service unavailable"
        admin.dispose()
        unavailable("PostgreSQL", f"{base_url}: {exc.__class__.__name__}: {exc}")
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{normalise_url(base_url)}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clean(db: Database) -> None:
    """Empty every table (children first); the schema stays."""
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def redis_url_or_skip() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", f"{url}: {exc.__class__.__name__}: {exc}")
    return url
