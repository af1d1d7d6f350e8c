"""Shared fixtures: real database, Redis, encryption keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.crypto import generate_key, keyring
from storage.db import Database
from tests.support.services import clean, migrated_database_url, redis_url_or_skip


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database_url(Path(tmp_path_factory.mktemp("db"))) as url:
        yield url


@pytest.fixture(scope="session")
def encryption_keys() -> tuple[str, ...]:
    keys = (generate_key(), generate_key())
    keyring.configure(keys)
    return keys


@pytest.fixture
def db(database_url: str, encryption_keys: tuple[str, ...]) -> Iterator[Database]:
    """A migrated, empty database (SQLite or PostgreSQL per TEST_DATABASE_URL)."""
    database = Database(database_url)
    clean(database)
    yield database
    database.dispose()


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()
