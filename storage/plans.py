"""How PostgreSQL plans a transaction's statements.

Connections plan every statement for its own parameters (`plan_cache_mode=force_custom_plan`, set in
`storage.db.make_engine`): one query serves workspaces of ten entries and of a million, so a plan made once for
any parameters can read far more than it should. A transaction made only of point reads and writes (a row by id
or key, one member's day) has nothing to gain from that and pays for it on every statement: planning was half of
PostgreSQL's time in a quick `/hours` (bench/hours_load.py). `planned_once` lets such a transaction switch, in
its first statement, without a round trip of its own.
"""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import Select, String, func

# set_config(…, is_local => true) lasts until the transaction ends: the pooled connection is back to the default
_PLAN_ONCE = func.set_config("plan_cache_mode", "force_generic_plan", True, type_=String)
Columns = TypeVarTuple("Columns")


def planned_once(statement: Select[*Columns]) -> Select[*Columns, str]:
    """`statement` with one more column that makes PostgreSQL plan the rest of its transaction's statements once
    per connection (psycopg prepares a statement run five times). Only for a transaction's first statement, and
    only where each later statement reads or writes a handful of rows by key; the rows it returns carry the extra
    column last. PostgreSQL only: SQLite has no `set_config` (and plans each statement anyway)."""
    return statement.add_columns(_PLAN_ONCE)
