"""Block Kit composition objects and interactive elements, checked as Slack checks them.

Every check takes the object and its JSON pointer and returns Slack-style messages
(``"[ERROR] <what> [json-pointer:<where>]"``); an empty list means Slack would accept it. The rules are
Slack's documented ones (the table in ``sandbox/slack_limits.py``), not just the ones Hour Cap has tripped on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox import slack_limits as limit

Checker = Callable[[dict[str, Any], str], list[str]]

TEXT_TYPES = ("plain_text", "mrkdwn")
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_TIME = re.compile(r"\A\d{2}:\d{2}\Z")


def error(what: str, pointer: str) -> str:
    return f"[ERROR] {what} [json-pointer:{pointer}]"


def too_long(max_chars: int, pointer: str) -> str:
    return error(f"must be less than {max_chars + 1} characters", pointer)


def too_many(max_items: int, pointer: str) -> str:
    return error(f"must be less than {max_items + 1} items", pointer)


def missing(field: str, pointer: str) -> str:
    return error(f"missing required field: {field}", pointer)


# ---- composition objects ----------------------------------------------------------------------------


def text_object(obj: Any, pointer: str, *, max_chars: int, plain_only: bool = False,
                required: bool = True) -> list[str]:
    """A text object: ``{"type": "plain_text"|"mrkdwn", "text": "..."}`` of 1..max_chars characters."""
    if obj is None:
        return [missing(pointer.rsplit("/", 1)[-1], pointer.rsplit("/", 1)[0] or "/")] if required else []
    if not isinstance(obj, dict):
        return [error("must be a text object", pointer)]
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else TEXT_TYPES
    errors: list[str] = []
    if kind not in allowed:
        errors.append(error(f"must be one of {', '.join(allowed)}", f"{pointer}/type"))
    text = obj.get("text")
    if not isinstance(text, str):
        errors.append(missing("text", pointer))
    elif not text:
        errors.append(error("must be more than 0 characters", f"{pointer}/text"))
    elif len(text) > max_chars:
        errors.append(too_long(max_chars, f"{pointer}/text"))
    if "emoji" in obj and kind != "plain_text":
        errors.append(error("emoji is only allowed on plain_text", f"{pointer}/emoji"))
    if "verbatim" in obj and kind != "mrkdwn":
        errors.append(error("verbatim is only allowed on mrkdwn", f"{pointer}/verbatim"))
    return errors


def string_field(obj: dict[str, Any], field: str, pointer: str, *, max_chars: int,
                 required: bool = False) -> list[str]:
    value = obj.get(field)
    if value is None:
        return [missing(field, pointer)] if required else []
    if not isinstance(value, str):
        return [error("must be a string", f"{pointer}/{field}")]
    if required and not value:
        return [error("must be more than 0 characters", f"{pointer}/{field}")]
    if len(value) > max_chars:
        return [too_long(max_chars, f"{pointer}/{field}")]
    return []


def option(obj: Any, pointer: str, *, plain_only: bool, with_url: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [error("must be an option object", pointer)]
    errors = text_object(obj.get("text"), f"{pointer}/text", max_chars=limit.OPTION_TEXT, plain_only=plain_only)
    errors += string_field(obj, "value", pointer, max_chars=limit.OPTION_VALUE, required=True)
    if obj.get("description") is not None:
        errors += text_object(obj["description"], f"{pointer}/description", max_chars=limit.OPTION_DESCRIPTION,
                              plain_only=plain_only)
    if "url" in obj:
        if not with_url:
            errors.append(error("url is only allowed in overflow menu options", f"{pointer}/url"))
        errors += string_field(obj, "url", pointer, max_chars=limit.URL)
    return errors


def confirm(obj: Any, pointer: str) -> list[str]:
    if not isinstance(obj, dict):
        return [error("must be a confirmation dialog object", pointer)]
    errors = text_object(obj.get("title"), f"{pointer}/title", max_chars=limit.CONFIRM_TITLE, plain_only=True)
    errors += text_object(obj.get("text"), f"{pointer}/text", max_chars=limit.CONFIRM_TEXT)
    for field in ("confirm", "deny"):
        errors += text_object(obj.get(field), f"{pointer}/{field}", max_chars=limit.CONFIRM_BUTTON,
                              plain_only=True)
    if obj.get("style") not in (None, "primary", "danger"):
        errors.append(error("must be primary or danger", f"{pointer}/style"))
    return errors


def option_list(options: Any, pointer: str, *, max_items: int, min_items: int = 1, plain_only: bool,
                with_url: bool = False) -> list[str]:
    if not isinstance(options, list):
        return [error("must be an array", pointer)]
    errors: list[str] = []
    if len(options) < min_items:
        errors.append(error(f"must provide at least {min_items} items", pointer))
    if len(options) > max_items:
        errors.append(too_many(max_items, pointer))
    values: set[str] = set()
    for index, item in enumerate(options):
        errors += option(item, f"{pointer}/{index}", plain_only=plain_only, with_url=with_url)
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, str):
            if value in values:
                errors.append(error(f"duplicate option value: {value}", f"{pointer}/{index}/value"))
            values.add(value)
    return errors


def _same_option(a: Any, b: Any) -> bool:
    """Slack matches an initial option to one of the options by value and text."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    text_a, text_b = a.get("text"), b.get("text")
    return bool(a.get("value") == b.get("value") and isinstance(text_a, dict) and isinstance(text_b, dict)
                and text_a.get("text") == text_b.get("text"))


def _initial_matches(element: dict[str, Any], pointer: str) -> list[str]:
    options = element.get("options")
    if not isinstance(options, list):
        groups = element.get("option_groups")
        options = [o for g in groups or [] if isinstance(g, dict) for o in g.get("options") or []]
    errors: list[str] = []
    initial = element.get("initial_option")
    if initial is not None and not any(_same_option(initial, o) for o in options):
        errors.append(error("must match one of the options", f"{pointer}/initial_option"))
    initials = element.get("initial_options")
    if initials is not None:
        if not isinstance(initials, list):
            errors.append(error("must be an array", f"{pointer}/initial_options"))
        else:
            for index, item in enumerate(initials):
                if not any(_same_option(item, o) for o in options):
                    errors.append(error("must match one of the options", f"{pointer}/initial_options/{index}"))
    return errors


# ---- elements ---------------------------------------------------------------------------------------


def _common(element: dict[str, Any], pointer: str) -> list[str]:
    errors = string_field(element, "action_id", pointer, max_chars=limit.ID)
    if element.get("confirm") is not None:
        errors += confirm(element["confirm"], f"{pointer}/confirm")
    if element.get("placeholder") is not None:
        errors += text_object(element["placeholder"], f"{pointer}/placeholder", max_chars=limit.PLACEHOLDER,
                              plain_only=True)
    if "focus_on_load" in element and not isinstance(element["focus_on_load"], bool):
        errors.append(error("must be a boolean", f"{pointer}/focus_on_load"))
    return errors


def button(element: dict[str, Any], pointer: str) -> list[str]:
    errors = text_object(element.get("text"), f"{pointer}/text", max_chars=limit.BUTTON_TEXT, plain_only=True)
    errors += string_field(element, "value", pointer, max_chars=limit.BUTTON_VALUE)
    errors += string_field(element, "url", pointer, max_chars=limit.URL)
    if element.get("style") not in (None, "primary", "danger"):
        errors.append(error("must be primary or danger", f"{pointer}/style"))
    return errors


def static_select(element: dict[str, Any], pointer: str) -> list[str]:
    has_options, has_groups = "options" in element, "option_groups" in element
    if has_options == has_groups:
        return [error("must provide exactly one of options or option_groups", pointer)]
    if has_options:
        errors = option_list(element["options"], f"{pointer}/options", max_items=limit.SELECT_OPTIONS,
                             plain_only=True)
    else:
        errors = option_groups(element["option_groups"], f"{pointer}/option_groups")
    return errors + _initial_matches(element, pointer)


def option_groups(groups: Any, pointer: str) -> list[str]:
    if not isinstance(groups, list) or not groups:
        return [error("must provide at least 1 items", pointer)]
    errors = [too_many(limit.OPTION_GROUPS, pointer)] if len(groups) > limit.OPTION_GROUPS else []
    for index, group in enumerate(groups):
        where = f"{pointer}/{index}"
        if not isinstance(group, dict):
            errors.append(error("must be an option group object", where))
            continue
        errors += text_object(group.get("label"), f"{where}/label", max_chars=limit.OPTION_GROUP_LABEL,
                              plain_only=True)
        errors += option_list(group.get("options"), f"{where}/options", max_items=limit.SELECT_OPTIONS,
                              plain_only=True)
    return errors


def external_select(element: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    initial = element.get("initial_option")
    if initial is not None:
        errors += option(initial, f"{pointer}/initial_option", plain_only=True)
    length = element.get("min_query_length")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 0):
        errors.append(error("must be a non-negative integer", f"{pointer}/min_query_length"))
    return errors


def choice_buttons(element: dict[str, Any], pointer: str) -> list[str]:
    """checkboxes and radio_buttons: up to 10 options, mrkdwn allowed in their text."""
    max_items = limit.CHECKBOX_OPTIONS if element["type"] == "checkboxes" else limit.RADIO_OPTIONS
    errors = option_list(element.get("options"), f"{pointer}/options", max_items=max_items, plain_only=False)
    return errors + _initial_matches(element, pointer)


def overflow(element: dict[str, Any], pointer: str) -> list[str]:
    low, high = limit.OVERFLOW_OPTIONS
    return option_list(element.get("options"), f"{pointer}/options", max_items=high, min_items=low,
                       plain_only=True, with_url=True)


def datepicker(element: dict[str, Any], pointer: str) -> list[str]:
    initial = element.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
        return [error("must be in the format YYYY-MM-DD", f"{pointer}/initial_date")]
    return []


def timepicker(element: dict[str, Any], pointer: str) -> list[str]:
    initial = element.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
        return [error("must be in the format HH:mm", f"{pointer}/initial_time")]
    return []


def text_input(element: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    bounds: dict[str, int] = {}
    for field, lowest in (("min_length", 0), ("max_length", 1)):
        value = element.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= limit.TEXT_INPUT_LENGTH:
            errors.append(error(f"must be between {lowest} and {limit.TEXT_INPUT_LENGTH}", f"{pointer}/{field}"))
        else:
            bounds[field] = value
    if "min_length" in bounds and "max_length" in bounds and bounds["min_length"] > bounds["max_length"]:
        errors.append(error("must not be more than max_length", f"{pointer}/min_length"))
    initial = element.get("initial_value")
    if initial is not None:
        if not isinstance(initial, str):
            errors.append(error("must be a string", f"{pointer}/initial_value"))
        elif len(initial) > bounds.get("max_length", limit.TEXT_INPUT_LENGTH):
            errors.append(too_long(bounds.get("max_length", limit.TEXT_INPUT_LENGTH), f"{pointer}/initial_value"))
    return errors


def number_input(element: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    if not isinstance(element.get("is_decimal_allowed"), bool):
        errors.append(missing("is_decimal_allowed", pointer))
    for field in ("initial_value", "min_value", "max_value"):
        value = element.get(field)
        if value is not None and not isinstance(value, str):
            errors.append(error("must be a string", f"{pointer}/{field}"))
    return errors


def no_extra_rules(element: dict[str, Any], pointer: str) -> list[str]:
    return []


ELEMENTS: dict[str, Checker] = {
    "button": button,
    "static_select": static_select,
    "multi_static_select": static_select,
    "external_select": external_select,
    "multi_external_select": external_select,
    "users_select": no_extra_rules,
    "multi_users_select": no_extra_rules,
    "conversations_select": no_extra_rules,
    "multi_conversations_select": no_extra_rules,
    "channels_select": no_extra_rules,
    "multi_channels_select": no_extra_rules,
    "checkboxes": choice_buttons,
    "radio_buttons": choice_buttons,
    "overflow": overflow,
    "datepicker": datepicker,
    "timepicker": timepicker,
    "datetimepicker": no_extra_rules,
    "plain_text_input": text_input,
    "number_input": number_input,
    "email_text_input": no_extra_rules,
    "url_text_input": no_extra_rules,
}

# Which elements each place accepts (Slack refuses, say, a text input in an actions block).
IN_ACTIONS = frozenset({"button", "static_select", "multi_static_select", "external_select",
                        "multi_external_select", "users_select", "multi_users_select", "conversations_select",
                        "multi_conversations_select", "channels_select", "multi_channels_select", "checkboxes",
                        "radio_buttons", "overflow", "datepicker", "timepicker", "datetimepicker"})
IN_SECTION = IN_ACTIONS - {"datetimepicker"}
IN_INPUT = (IN_ACTIONS - {"button", "overflow"}) | {"plain_text_input", "number_input", "email_text_input",
                                                     "url_text_input"}


def element(obj: Any, pointer: str, *, allowed: frozenset[str]) -> list[str]:
    """One interactive element in a block that accepts the `allowed` types."""
    if not isinstance(obj, dict):
        return [error("must be an object", pointer)]
    kind = obj.get("type")
    if not isinstance(kind, str) or not kind:
        return [missing("type", pointer)]
    if kind not in ELEMENTS:
        return [error(f"unsupported type: {kind}", f"{pointer}/type")]
    if kind not in allowed:
        return [error(f"{kind} is not allowed here", f"{pointer}/type")]
    return _common(obj, pointer) + ELEMENTS[kind](obj, pointer)
