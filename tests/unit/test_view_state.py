"""bot/views/state.py and bot/log_form.py read values in shapes Slack never sends as empty, naming their blocks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.log_form import entry_input
from bot.views.log_modal import Submitted
from bot.views.state import FormData
from errors import InvalidInput
from timesheets.entries import FIELD_DATE


def _body(values: Any) -> dict[str, Any]:
    return {"type": "view_submission", "view": {"state": {"values": values}}}


def test_readable_values_are_flattened_without_problems() -> None:
    form = FormData.of(_body({"d": {"v": {"type": "datepicker", "selected_date": "2024-01-05"}},
                              "c": {"v": {"type": "checkboxes", "selected_options": [{"value": "x"}]}}}))
    assert form == {"d": {"v": "2024-01-05"}, "c": {"v": ["x"]}} and form.problems == {}


@pytest.mark.parametrize("values", [
    {"c": {"v": {"type": "checkboxes", "selected_options": "x"}}},
    {"c": {"v": {"type": "checkboxes", "selected_options": ["x"]}}},
    {"c": {"v": {"type": "datepicker", "selected_date": 5}}},
    {"c": {"v": {"type": "static_select", "selected_option": "x"}}},
    {"c": {"v": "plain"}},
    {"c": ["v"]},
])
def test_unreadable_values_read_as_empty_and_name_their_block(values: Any) -> None:
    form = FormData.of(_body(values))
    assert list(form.problems) == ["c"]
    assert form.value("c", "v") is None


@pytest.mark.parametrize("state", [None, [], "x", {"values": []}])
def test_a_state_that_is_not_an_object_reads_as_no_values(state: Any) -> None:
    form = FormData.of({"view": {"state": state}})
    assert form == {} and form.problems == {}


@pytest.mark.parametrize("work_date", [20240105, ["2024-01-05"], {"y": 2024}])
def test_entry_input_refuses_a_date_that_is_not_a_string_as_a_field_error(work_date: Any) -> None:
    submitted = Submitted(project_id="1", work_date=work_date, duration="1h", description="", billable=None)
    with pytest.raises(InvalidInput) as raised:
        entry_input(submitted)
    assert raised.value.field == FIELD_DATE
