"""Alembic, driven from code: `hourcap migrate`, dev start-up and the test harness all call `upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on "%" in passwords.
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def applied_revisions(database_url: str, *, connect_timeout: int = 5) -> tuple[str, ...]:
    """The revisions the database is at (empty when it was never migrated); raises when it cannot be reached.

    One connection, opened with `connect_timeout` seconds on PostgreSQL, and no pool left behind (`hourcap doctor`)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import make_url
    from sqlalchemy.pool import NullPool

    from storage.db import make_engine

    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"connect_timeout": str(connect_timeout)})
    engine = make_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def current_heads(database_url: str) -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def known_revisions(database_url: str) -> frozenset[str]:
    """Every revision this code's migrations define (a database at another one was migrated by a newer release)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(database_url))
    return frozenset(revision.revision for revision in script.walk_revisions())
