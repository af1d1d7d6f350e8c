"""slack_sdk's SQLAlchemy installation store, wrapped so bot and user tokens are encrypted at rest.

The tables are declared on our metadata (storage.models.slack) and created by our migrations, never by the store.
"""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, MetaData, Table

from storage.crypto import keyring
from storage.models.slack import TOKEN_COLUMNS, widen_token_columns


def _encrypted(obj: Any) -> Any:
    # The parent's save() calls save_bot() with the installation it was given (already encrypted here):
    # values that are already our ciphertext stay as they are.
    clone = copy.copy(obj)
    for name in TOKEN_COLUMNS:
        value = getattr(clone, name, None)
        if value and not keyring.is_ciphertext(value):
            setattr(clone, name, keyring.encrypt(value))
    return clone


def _decrypted(obj: Any) -> Any:
    if obj is None:
        return None
    for name in TOKEN_COLUMNS:
        value = getattr(obj, name, None)
        if value:
            setattr(obj, name, keyring.decrypt(value))
    return obj


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    def __init__(self, client_id: str, engine: Engine) -> None:
        super().__init__(client_id=client_id, engine=engine)

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return widen_token_columns(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return widen_token_columns(super().build_bots_table(metadata, table_name))

    def create_tables(self) -> None:
        raise RuntimeError("tables are created by `hourcap migrate`, not by the store")

    def save(self, installation: Installation) -> None:
        super().save(_encrypted(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(_encrypted(bot))

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        found = super().find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                 is_enterprise_install=is_enterprise_install)
        return _decrypted(found)  # type: ignore[no-any-return]

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        found = super().find_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                          is_enterprise_install=is_enterprise_install)
        return _decrypted(found)  # type: ignore[no-any-return]
