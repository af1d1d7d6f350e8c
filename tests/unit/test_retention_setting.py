"""HOURCAP_RETENTION_DAYS: how long an uninstalled workspace's data is kept (30 days unless set)."""

from __future__ import annotations

import pytest

from settings import DEFAULT_RETENTION_DAYS, SettingsError, load_settings

BASE = {"SLACK_SIGNING_SECRET": "secret", "SLACK_BOT_TOKEN": "xoxb-1"}


def test_thirty_days_unless_set() -> None:
    assert load_settings(BASE).retention_days == DEFAULT_RETENTION_DAYS == 30
    assert load_settings({**BASE, "HOURCAP_RETENTION_DAYS": "90"}).retention_days == 90


@pytest.mark.parametrize("value", ["0", "-1", "thirty", "1.5", "3651"])
def test_anything_but_a_number_of_days_is_refused_by_name(value: str) -> None:
    with pytest.raises(SettingsError, match="HOURCAP_RETENTION_DAYS must be a whole number of days"):
        load_settings({**BASE, "HOURCAP_RETENTION_DAYS": value})
