"""The small builders every catalog view shares: escaping and clipping text, inputs, options and modals.

`private_metadata` carries ids only; the handlers look every id up again within the caller's workspace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain

TITLE_LIMIT = 24
OPTION_TEXT_LIMIT = 75
MODAL_BLOCK_LIMIT = 100



def _title(text: str) -> dict[str, Any]:
    return b.plain(cut_plain(text, TITLE_LIMIT), TITLE_LIMIT)


def clipped_option(value: str, text: str) -> dict[str, Any]:
    return b.option(value, cut_plain(text, OPTION_TEXT_LIMIT))


def text_input(action_id: str, initial: str | None, *, placeholder: str | None = None,
               max_length: int | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if initial:
        element["initial_value"] = initial[:max_length] if max_length else initial
    if placeholder:
        element["placeholder"] = b.plain(placeholder)
    if max_length:
        element["max_length"] = max_length
    return element


def input_block(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
                hint: str | None = None, dispatch: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": b.plain(label, 2000),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = b.plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def modal(callback_id: str, title: str, blocks: list[dict[str, Any]], *, submit: str | None = "Save",
          metadata: Mapping[str, Any] | None = None, close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": _title(title),
                            "close": _title(close), "blocks": blocks[:MODAL_BLOCK_LIMIT],
                            "private_metadata": json.dumps(dict(metadata or {}), separators=(",", ":"))}
    if submit:
        view["submit"] = _title(submit)
    return view


def read_metadata(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A modal's private_metadata as a dict; anything odd reads as empty (ids in it are looked up again)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
