"""Block Kit checks the Slack sandbox applies to every screen it receives: views, messages and acks.

Real Slack refuses a view or message that breaks its rules with ``invalid_arguments`` (views) or
``invalid_blocks`` (messages) and a ``response_metadata.messages`` list. The sandbox applies two layers, so a
test fails here the way production would fail, instead of passing against a lenient stand-in:

* the documented limits and shapes (``sandbox/slack_limits.py``, checked by ``sandbox/slack_elements.py`` and
  the block rules below): counts, lengths, required fields, which element fits where, duplicate ids, empty
  selects, initial options that are not among the options;
* slack_sdk's own models (``slack_sdk.models``): a block or view it cannot parse or whose ``validate_json()``
  refuses is refused here too.

Every check returns Slack-style messages: ``"[ERROR] <what> [json-pointer:<where>]"``. An empty list means the
payload is acceptable. Nothing here does I/O; it is plain data in, messages out.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from sandbox import slack_elements as el
from sandbox import slack_limits as limit
from sandbox.slack_elements import error, missing, text_object, too_long, too_many

VIEW_TYPES = ("modal", "home")


def validate_view(view: Any, *, expected_type: str | None = None) -> list[str]:
    """Check a view payload as views.open/push/update/publish would.

    ``expected_type`` is "modal" for views.open/push and response_action answers, "home" for views.publish and
    None for views.update (which may update either kind).
    """
    root = "/view"
    if not isinstance(view, dict):
        return [error("must be an object", root)]
    view_type = view.get("type")
    if not view_type:
        return [missing("type", root)]
    if view_type not in VIEW_TYPES:
        return [error(f"unsupported type: {view_type}", f"{root}/type")]
    if expected_type is not None and view_type != expected_type:
        return [error(f"must be {expected_type}", f"{root}/type")]

    errors: list[str] = []
    if view_type == "modal":
        errors += _modal_chrome(view, root)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(missing("blocks", root))
        blocks = []
    max_blocks = limit.MODAL_BLOCKS if view_type == "modal" else limit.HOME_BLOCKS
    errors += validate_blocks(blocks, max_blocks=max_blocks, pointer=f"{root}/blocks")
    if view_type == "modal" and _has_input_block(blocks) and not view.get("submit"):
        errors.append(error("must provide a submit property when an input block is present", root))
    metadata = view.get("private_metadata")
    if metadata is not None and not isinstance(metadata, str):
        errors.append(error("must be a string", f"{root}/private_metadata"))
    elif isinstance(metadata, str) and len(metadata) > limit.PRIVATE_METADATA:
        errors.append(too_long(limit.PRIVATE_METADATA, f"{root}/private_metadata"))
    for field in ("callback_id", "external_id"):
        errors += el.string_field(view, field, root, max_chars=limit.ID)
    for field in ("clear_on_close", "notify_on_close", "submit_disabled"):
        if field in view and not isinstance(view[field], bool):
            errors.append(error("must be a boolean", f"{root}/{field}"))
    return errors or _sdk_view(view, root)


def _modal_chrome(view: dict[str, Any], root: str) -> list[str]:
    """Title (required), submit and close: plain_text of at most 24 characters."""
    errors = text_object(view.get("title"), f"{root}/title", max_chars=limit.VIEW_TITLE, plain_only=True)
    for field in ("submit", "close"):
        if view.get(field) is not None:
            errors += text_object(view[field], f"{root}/{field}", max_chars=limit.VIEW_TITLE, plain_only=True)
    return errors


def _has_input_block(blocks: list[Any]) -> bool:
    return any(isinstance(block, dict) and block.get("type") == "input" for block in blocks)


def validate_blocks(blocks: Any, *, max_blocks: int = limit.MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Check a block list: count, each block's rules, duplicate block ids; then slack_sdk's models."""
    if not isinstance(blocks, list):
        return [error("must be an array", pointer)]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(too_many(max_blocks, pointer))
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not block.get("type"):
            errors.append(missing("type", where))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                errors.append(error("must be a non-empty string", f"{where}/block_id"))
            elif len(block_id) > limit.ID:
                errors.append(too_long(limit.ID, f"{where}/block_id"))
            elif block_id in seen_block_ids:
                errors.append(error(f"duplicate block_id: {block_id}", f"{where}/block_id"))
            else:
                seen_block_ids.add(block_id)
        block_errors = _block(block, where)
        errors += block_errors or _sdk_block(block, where)
    return errors


def _block(block: dict[str, Any], where: str) -> list[str]:
    kind = block["type"]
    checker = _BLOCKS.get(kind)
    if checker is None:
        return [error(f"unsupported type: {kind}", f"{where}/type")]
    return checker(block, where)


def _section(block: dict[str, Any], where: str) -> list[str]:
    errors: list[str] = []
    if block.get("text") is None and block.get("fields") is None:
        errors.append(missing("text", where))
    if block.get("text") is not None:
        errors += text_object(block["text"], f"{where}/text", max_chars=limit.SECTION_TEXT)
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or not fields:
            errors.append(error("must provide at least 1 items", f"{where}/fields"))
        else:
            if len(fields) > limit.SECTION_FIELDS:
                errors.append(too_many(limit.SECTION_FIELDS, f"{where}/fields"))
            for index, field in enumerate(fields):
                errors += text_object(field, f"{where}/fields/{index}", max_chars=limit.SECTION_FIELD_TEXT)
    if block.get("accessory") is not None:
        accessory = block["accessory"]
        if isinstance(accessory, dict) and accessory.get("type") == "image":
            errors += _image_element(accessory, f"{where}/accessory")
        else:
            errors += el.element(accessory, f"{where}/accessory", allowed=el.IN_SECTION)
    return errors


def _header(block: dict[str, Any], where: str) -> list[str]:
    return text_object(block.get("text"), f"{where}/text", max_chars=limit.HEADER_TEXT, plain_only=True)


def _divider(block: dict[str, Any], where: str) -> list[str]:
    return []


def _context(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [error("must provide at least 1 items", f"{where}/elements")]
    errors = [too_many(limit.CONTEXT_ELEMENTS, f"{where}/elements")] if len(elements) > limit.CONTEXT_ELEMENTS else []
    for index, item in enumerate(elements):
        at = f"{where}/elements/{index}"
        if isinstance(item, dict) and item.get("type") == "image":
            errors += _image_element(item, at)
        else:
            errors += text_object(item, at, max_chars=limit.SECTION_TEXT)
    return errors


def _actions(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [error("must provide at least 1 items", f"{where}/elements")]
    errors = [too_many(limit.ACTIONS_ELEMENTS, f"{where}/elements")] if len(elements) > limit.ACTIONS_ELEMENTS else []
    seen_action_ids: set[str] = set()
    for index, item in enumerate(elements):
        at = f"{where}/elements/{index}"
        errors += el.element(item, at, allowed=el.IN_ACTIONS)
        action_id = item.get("action_id") if isinstance(item, dict) else None
        if isinstance(action_id, str):
            if action_id in seen_action_ids:
                errors.append(error(f"duplicate action_id: {action_id}", f"{at}/action_id"))
            seen_action_ids.add(action_id)
    return errors


def _input(block: dict[str, Any], where: str) -> list[str]:
    errors = text_object(block.get("label"), f"{where}/label", max_chars=limit.INPUT_LABEL, plain_only=True)
    if block.get("element") is None:
        errors.append(missing("element", where))
    else:
        errors += el.element(block["element"], f"{where}/element", allowed=el.IN_INPUT)
    if block.get("hint") is not None:
        errors += text_object(block["hint"], f"{where}/hint", max_chars=limit.INPUT_HINT, plain_only=True)
    for field in ("optional", "dispatch_action"):
        if field in block and not isinstance(block[field], bool):
            errors.append(error("must be a boolean", f"{where}/{field}"))
    return errors


def _image_element(image: dict[str, Any], where: str) -> list[str]:
    errors = el.string_field(image, "alt_text", where, max_chars=limit.IMAGE_ALT_TEXT, required=True)
    if image.get("image_url") is None and image.get("slack_file") is None:
        errors.append(missing("image_url", where))
    errors += el.string_field(image, "image_url", where, max_chars=limit.IMAGE_URL)
    return errors


def _image(block: dict[str, Any], where: str) -> list[str]:
    errors = _image_element(block, where)
    if block.get("title") is not None:
        errors += text_object(block["title"], f"{where}/title", max_chars=limit.IMAGE_ALT_TEXT, plain_only=True)
    return errors


def _rich_text(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [error("must provide at least 1 items", f"{where}/elements")]
    return []


_BLOCKS = {"section": _section, "header": _header, "divider": _divider, "context": _context,
           "actions": _actions, "input": _input, "image": _image, "rich_text": _rich_text}


# ---- slack_sdk's models, as a second opinion ---------------------------------------------------------

logging.getLogger("slack_sdk.models").setLevel(logging.ERROR)  # unknown types are reported below instead


def _sdk_block(block: dict[str, Any], where: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [error(f"unsupported type: {block.get('type')}", f"{where}/type")]
        parsed.validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as refused:
        return [error(f"slack_sdk refuses this block: {refused}", where)]
    return []


def _sdk_view(view: dict[str, Any], root: str) -> list[str]:
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as refused:
        return [error(f"slack_sdk refuses this view: {refused}", root)]
    return []
