"""Ids arriving in payloads: anything that cannot be a row id is 'not found', never a database error."""

from __future__ import annotations

import pytest

from catalog.clients import parse_id
from errors import NotFound
from storage.ids import payload_id


@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648", "-1", "0", "1e3", "", None, True, "٣"])
def test_values_that_cannot_be_ids(value: object) -> None:
    assert payload_id(value) is None
    with pytest.raises(NotFound):
        parse_id(value)


def test_plain_ids_pass() -> None:
    assert payload_id(" 42 ") == 42 and parse_id("2147483647") == 2147483647
