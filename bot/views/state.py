"""Flatten `view.state.values` into plain form data: {block_id: {action_id: value}} (pure)."""

from __future__ import annotations

from typing import Any


def element_value(element: dict[str, Any]) -> Any:
    """The one meaningful value of an input element, whatever its type."""
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        return element.get("value")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return option.get("value") if option else None
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        return [o.get("value") for o in element.get("selected_options") or []]
    if kind in ("users_select",):
        return element.get("selected_user")
    if kind in ("conversations_select", "channels_select"):
        return element.get("selected_conversation") or element.get("selected_channel")
    return element.get("value")


def form_values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return {
        block_id: {action_id: element_value(element) for action_id, element in actions.items()}
        for block_id, actions in values.items()
    }


class FormData(dict[str, dict[str, Any]]):
    """A submission's or block action's form data ({block_id: {action_id: value}}), with typed reads."""

    @classmethod
    def of(cls, body: dict[str, Any]) -> FormData:
        return cls(form_values(body))

    def value(self, block: str, action: str) -> Any:
        return (self.get(block) or {}).get(action)

    def text(self, block: str, action: str) -> str | None:
        found = self.value(block, action)
        return found if isinstance(found, str) else None
