"""Block Kit checks the Slack sandbox applies before accepting a view or message.

Real Slack rejects oversized titles, too many blocks, duplicate block ids and the like with
``invalid_arguments`` (views) or ``invalid_blocks`` (messages) plus a ``response_metadata.messages``
list.  The sandbox applies the subset of those rules that our own bugs have hit or are likely to hit,
so a test fails here the way production would fail, instead of passing against a lenient stand-in.

Every check returns Slack-style messages: ``"[ERROR] <what> [json-pointer:<where>]"``.  An empty list
means the payload is acceptable.  Nothing here does I/O; it is plain data in, messages out.
"""

from __future__ import annotations

from typing import Any

MODAL_BLOCK_LIMIT = 100
HOME_BLOCK_LIMIT = 100
MESSAGE_BLOCK_LIMIT = 50
TITLE_LIMIT = 24  # title, submit and close
PRIVATE_METADATA_LIMIT = 3000
ID_LIMIT = 255  # block_id, action_id, callback_id, external_id
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
OPTIONS_LIMIT = 100
CHECKBOX_OPTIONS_LIMIT = 10
ACTIONS_ELEMENTS_LIMIT = 25
CONTEXT_ELEMENTS_LIMIT = 10

VIEW_TYPES = ("modal", "home")


def _error(what: str, pointer: str) -> str:
    return f"[ERROR] {what} [json-pointer:{pointer}]"


def _text_of(obj: Any) -> str | None:
    """The string inside a text object (``{"type": "plain_text", "text": ...}``) or a bare string."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    return None


def _check_length(obj: Any, limit: int, pointer: str) -> list[str]:
    text = _text_of(obj)
    if text is not None and len(text) > limit:
        return [_error(f"must be less than {limit + 1} characters", pointer)]
    return []


def validate_view(view: Any, *, expected_type: str | None = None) -> list[str]:
    """Check a view payload as views.open/push/update/publish would.

    ``expected_type`` is "modal" for views.open/push, "home" for views.publish and None for
    views.update (which may update either kind).
    """
    root = "/view"
    if not isinstance(view, dict):
        return [_error("must be an object", root)]
    view_type = view.get("type")
    if not view_type:
        return [_error("missing required field: type", root)]
    if view_type not in VIEW_TYPES:
        return [_error(f"unsupported type: {view_type}", f"{root}/type")]
    if expected_type is not None and view_type != expected_type:
        return [_error(f"must be {expected_type}", f"{root}/type")]

    errors: list[str] = []
    if view_type == "modal":
        errors += _check_modal_chrome(view, root)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(_error("missing required field: blocks", root))
        blocks = []
    limit = MODAL_BLOCK_LIMIT if view_type == "modal" else HOME_BLOCK_LIMIT
    errors += validate_blocks(blocks, limit=limit, pointer=f"{root}/blocks")
    if view_type == "modal" and _has_input_block(blocks) and not view.get("submit"):
        errors.append(_error("must provide a submit property when an input block is present", root))
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > PRIVATE_METADATA_LIMIT:
        errors.append(
            _error(f"must be less than {PRIVATE_METADATA_LIMIT + 1} characters", f"{root}/private_metadata")
        )
    for field in ("callback_id", "external_id"):
        value = view.get(field)
        if isinstance(value, str) and len(value) > ID_LIMIT:
            errors.append(_error(f"must be less than {ID_LIMIT + 1} characters", f"{root}/{field}"))
    return errors


def _check_modal_chrome(view: dict[str, Any], root: str) -> list[str]:
    """Title (required), submit and close: plain_text of at most 24 characters."""
    errors: list[str] = []
    if _text_of(view.get("title")) is None:
        errors.append(_error("missing required field: title", root))
    for field in ("title", "submit", "close"):
        if view.get(field) is not None:
            errors += _check_length(view[field], TITLE_LIMIT, f"{root}/{field}/text")
    return errors


def _has_input_block(blocks: list[Any]) -> bool:
    return any(isinstance(block, dict) and block.get("type") == "input" for block in blocks)


def validate_blocks(blocks: Any, *, limit: int = MESSAGE_BLOCK_LIMIT, pointer: str = "/blocks") -> list[str]:
    """Check a block list: count, block shape, id lengths, duplicate block ids, element limits."""
    if not isinstance(blocks, list):
        return [_error("must be an array", pointer)]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(_error(f"must be less than {limit + 1} items", pointer))
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not block.get("type"):
            errors.append(_error("missing required field: type", where))
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if len(block_id) > ID_LIMIT:
                errors.append(_error(f"must be less than {ID_LIMIT + 1} characters", f"{where}/block_id"))
            if block_id in seen_block_ids:
                errors.append(_error(f"duplicate block_id: {block_id}", f"{where}/block_id"))
            seen_block_ids.add(block_id)
        errors += _check_block(block, where)
    return errors


def _check_block(block: dict[str, Any], where: str) -> list[str]:
    """Per-type limits for the blocks Hour Cap builds."""
    kind = block["type"]
    errors: list[str] = []
    if kind == "section":
        errors += _check_length(block.get("text"), SECTION_TEXT_LIMIT, f"{where}/text/text")
        if isinstance(block.get("accessory"), dict):
            errors += _check_element(block["accessory"], f"{where}/accessory")
    elif kind == "header":
        errors += _check_length(block.get("text"), HEADER_TEXT_LIMIT, f"{where}/text/text")
    elif kind == "input":
        if not isinstance(block.get("element"), dict):
            errors.append(_error("missing required field: element", where))
        else:
            errors += _check_element(block["element"], f"{where}/element")
        if _text_of(block.get("label")) is None:
            errors.append(_error("missing required field: label", where))
    elif kind in ("actions", "context"):
        errors += _check_element_list(block, where)
    return errors


def _check_element_list(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [_error("missing required field: elements", where)]
    limit = ACTIONS_ELEMENTS_LIMIT if block["type"] == "actions" else CONTEXT_ELEMENTS_LIMIT
    errors: list[str] = []
    if len(elements) > limit:
        errors.append(_error(f"must be less than {limit + 1} items", f"{where}/elements"))
    if block["type"] == "context":
        return errors
    seen_action_ids: set[str] = set()
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        errors += _check_element(element, f"{where}/elements/{index}")
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in seen_action_ids:
                errors.append(
                    _error(f"duplicate action_id: {action_id}", f"{where}/elements/{index}/action_id")
                )
            seen_action_ids.add(action_id)
    return errors


def _check_element(element: dict[str, Any], where: str) -> list[str]:
    """Interactive element limits: action_id length, button text/value, option counts and sizes."""
    errors: list[str] = []
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > ID_LIMIT:
        errors.append(_error(f"must be less than {ID_LIMIT + 1} characters", f"{where}/action_id"))
    if element.get("type") == "button":
        errors += _check_length(element.get("text"), BUTTON_TEXT_LIMIT, f"{where}/text/text")
        errors += _check_length(element.get("value"), BUTTON_VALUE_LIMIT, f"{where}/value")
    options = element.get("options")
    if element.get("type") == "static_select" and not options and not element.get("option_groups"):
        errors.append(_error("must provide at least 1 items", f"{where}/options"))
    if isinstance(options, list):
        limit = CHECKBOX_OPTIONS_LIMIT if element.get("type") == "checkboxes" else OPTIONS_LIMIT
        if len(options) > limit:
            errors.append(_error(f"must be less than {limit + 1} items", f"{where}/options"))
        for index, option in enumerate(options):
            if isinstance(option, dict):
                errors += _check_length(
                    option.get("text"), OPTION_TEXT_LIMIT, f"{where}/options/{index}/text/text"
                )
                errors += _check_length(
                    option.get("value"), OPTION_VALUE_LIMIT, f"{where}/options/{index}/value"
                )
    return errors
