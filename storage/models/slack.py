"""slack_sdk's installation and OAuth-state tables, declared on our metadata so Alembic owns them.

Token columns are widened to Text: we store MultiFernet ciphertext there, never plaintext.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table, Text

from storage.models.base import Base

TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def widen_token_columns(table: Table) -> Table:
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


slack_installations = widen_token_columns(
    SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
)
slack_bots = widen_token_columns(SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots"))
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, "slack_oauth_states")
