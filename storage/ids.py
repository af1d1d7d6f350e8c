"""Row ids that arrive in payloads (button values, select options, modal metadata, job arguments).

An id from outside is looked up within the caller's workspace; anything that cannot be a row id at all is
refused here, before the database driver would (out of range), so it simply matches nothing.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # id columns are INTEGER (PostgreSQL int4)


def payload_id(value: object) -> int | None:
    """A row id from a payload (button value, select option, modal metadata), or None when it cannot be one.

    Only plain positive integers that fit the id columns: anything else would be refused by the database driver
    (out of range) rather than simply match nothing.
    """
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not text.isascii() or not text.isdigit():
        return None
    wanted = int(text)
    return wanted if 0 < wanted <= MAX_ID else None
