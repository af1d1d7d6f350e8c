from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from storage import outbox
from storage.db import Database
from storage.models import Member, Outbox, Workspace
from tests.support.catalog import make_member, make_workspace
from timesheets.entries import member_for_logging


def test_aware_datetimes_and_decimal_round_trip(db: Database) -> None:
    with db.session() as s:
        ws = Workspace(slack_team_id="T1", name="Acme")
        s.add(ws)
        s.flush()
        s.add(Member(workspace_id=ws.id, slack_user_id="U1", default_rate=Decimal("120.50")))
    with db.session() as s:
        member = s.scalars(select(Member)).one()
        assert member.created_at.tzinfo is not None
        assert member.default_rate == Decimal("120.50")
        assert abs((datetime.now(UTC) - member.created_at).total_seconds()) < 60


def test_outbox_dedupe_key_coalesces_waiting_work(db: Database) -> None:
    with db.session() as s:
        ws = Workspace(slack_team_id="T1")
        s.add(ws)
        s.flush()
        first = outbox.record(s, "sync", {"x": 1}, workspace_id=ws.id, dedupe_key="sync:1")
        second = outbox.record(s, "sync", {"x": 1}, workspace_id=ws.id, dedupe_key="sync:1")
        assert first is not None and second is None
    with db.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(Outbox)) == 1


def test_migrations_build_exactly_the_models(db: Database) -> None:
    """Alembic's autogenerate finds nothing to add: every model change came with its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_postgresql_plans_each_statement_for_its_own_values(db: Database) -> None:
    """A plan made once for any parameters read 10,000 rows through an index meant for ~50 (storage/db.py)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite plans every statement as it runs")
    with db.session() as s:
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_a_quick_log_plans_the_rest_of_its_transaction_once_and_only_that_transaction(db: Database) -> None:
    """The locked member read of a quick /hours switches its own transaction to plans made once (storage/plans.py);
    the pooled connection goes back to planning each statement for its values: a report must never inherit it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite plans every statement as it runs")
    with db.session() as s:
        workspace = make_workspace(s)
        member = make_member(s, workspace, "UQUICK")
        workspace_id, member_id = workspace.id, member.id
    with db.session() as s:
        backend = s.scalar(text("SELECT pg_backend_pid()"))
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        member_for_logging(s, workspace_id, member_id)
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
    with db.session() as s:
        assert s.scalar(text("SELECT pg_backend_pid()")) == backend  # the same pooled connection
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    try:
        with db.session() as s:
            member_for_logging(s, workspace_id, member_id)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with db.session() as s:
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_postgresql_keeps_the_urls_own_server_options(db: Database, database_url: str) -> None:
    """Each test run works in a schema of its own, named by the URL's `options=-csearch_path=…`; the engine's
    planner option once replaced it, so every run shared (and emptied) the public schema."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no schemas or server options")
    assert "search_path" in database_url
    with db.session() as s:
        assert s.scalar(text("SHOW search_path")).startswith("hc_")
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
