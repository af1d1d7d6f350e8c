"""Flatten `view.state.values` into plain form data: {block_id: {action_id: value}} (pure)."""

from __future__ import annotations

from typing import Any


class Unreadable(ValueError):
    """An element's value in a shape Slack never sends (a number for a date, a string for checkbox options)."""


UNREADABLE = "Hour Cap couldn't read this answer — please pick or type it again."
_TEXT_KINDS = ("plain_text_input", "number_input", "email_text_input", "url_text_input")


def _text(element: dict[str, Any], key: str) -> str | None:
    found = element.get(key)
    if found is not None and not isinstance(found, str):
        raise Unreadable(key)
    return found


def _option(option: Any) -> str | None:
    if not isinstance(option, dict):
        raise Unreadable("option")
    return _text(option, "value")


def element_value(element: dict[str, Any]) -> Any:
    """The one meaningful value of an input element, whatever its type; `Unreadable` for a shape Slack never sends."""
    kind = element.get("type")
    if kind in _TEXT_KINDS:
        return _text(element, "value")
    if kind == "datepicker":
        return _text(element, "selected_date")
    if kind == "timepicker":
        return _text(element, "selected_time")
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return _option(option) if option else None
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        options = element.get("selected_options")
        if options is not None and not isinstance(options, list):
            raise Unreadable("selected_options")
        return [_option(o) for o in options or []]
    if kind in ("users_select",):
        return _text(element, "selected_user")
    if kind in ("conversations_select", "channels_select"):
        return _text(element, "selected_conversation") or _text(element, "selected_channel")
    return element.get("value")


def _read(values: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """({block_id: {action_id: value}}, {block_id: message} for blocks whose value could not be read)."""
    form: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    if not isinstance(values, dict):
        return form, problems
    for block_id, actions in values.items():
        form[block_id] = {}
        if not isinstance(actions, dict):
            problems[block_id] = UNREADABLE
            continue
        for action_id, element in actions.items():
            try:
                if not isinstance(element, dict):
                    raise Unreadable("element")
                form[block_id][action_id] = element_value(element)
            except Unreadable:
                form[block_id][action_id] = None
                problems[block_id] = UNREADABLE
    return form, problems


def _state_values(body: dict[str, Any]) -> Any:
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    return state.get("values") if isinstance(state, dict) else None


def form_values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Unreadable values (see `element_value`) read as empty; `FormData.problems` names their blocks."""
    return _read(_state_values(body))[0]


class FormData(dict[str, dict[str, Any]]):
    """A submission's or block action's form data ({block_id: {action_id: value}}), with typed reads."""

    def __init__(self, values: dict[str, dict[str, Any]] | None = None,
                 problems: dict[str, str] | None = None) -> None:
        super().__init__(values or {})
        # {block_id: message} for values in a shape Slack never sends (they read as empty)
        self.problems: dict[str, str] = dict(problems or {})

    @classmethod
    def of(cls, body: dict[str, Any]) -> FormData:
        return cls(*_read(_state_values(body)))

    def value(self, block: str, action: str) -> Any:
        return (self.get(block) or {}).get(action)

    def text(self, block: str, action: str) -> str | None:
        found = self.value(block, action)
        return found if isinstance(found, str) else None
