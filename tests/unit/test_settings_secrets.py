"""A settings error names the variable and what it got, but never the password inside a URL."""

from __future__ import annotations

import pytest

from settings import SettingsError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "signing"}


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "postgres//hourcap:s3cretpw@db.internal/hourcap"),
    ("DATABASE_URL", "mysql://hourcap:s3cretpw@db.internal/hourcap"),
    ("REDIS_URL", "rediss//default:s3cretpw@cache.internal:6380/0"),
])
def test_a_malformed_url_is_shown_without_its_password(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, name: value})
    message = str(refused.value)
    assert name in message
    assert "s3cretpw" not in message and "hourcap:" not in message
    assert "db.internal" in message or "cache.internal" in message
