"""The middleware's cache of resolved member ids: bounded and short-lived."""

from __future__ import annotations

from bot.middleware import MemberIds


def test_remembers_until_the_ttl_passes() -> None:
    ids = MemberIds(ttl_seconds=60)
    assert ids.get("T1", "U1") is None
    ids.put("T1", "U1", 7, 42)
    assert ids.get("T1", "U1") == (7, 42)
    assert ids.get("T2", "U1") is None  # another workspace's person with the same user id is someone else
    expired = MemberIds(ttl_seconds=-1)
    expired.put("T1", "U1", 7, 42)
    assert expired.get("T1", "U1") is None


def test_least_recently_used_goes_first_when_full() -> None:
    ids = MemberIds(size=2)
    ids.put("T", "A", 1, 1)
    ids.put("T", "B", 1, 2)
    assert ids.get("T", "A") == (1, 1)  # A is now the most recent
    ids.put("T", "C", 1, 3)
    assert ids.get("T", "B") is None and ids.get("T", "A") == (1, 1) and ids.get("T", "C") == (1, 3)
