"""Small Block Kit element builders shared by the views (pure)."""

from __future__ import annotations

from typing import Any

from bot.views.text import cut, cut_plain

MAX_TEXT = 3000
OPTION_TEXT = 75


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut_plain(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, MAX_TEXT)}


def plain_section(text: str) -> dict[str, Any]:
    """A section whose text cannot format: for messages that carry people's words as they are."""
    return {"type": "section", "text": plain(text, MAX_TEXT)}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, 150)}


def section(text: str, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def actions(block_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": elements[:25]}


def button(text: str, action_id: str, value: str | None = None, *, style: str | None = None,
           url: str | None = None, confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    if confirm is not None:
        element["confirm"] = confirm
    return element


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value[:150]}


def static_select(action_id: str, placeholder: str, choices: list[tuple[str, str]],
                  initial: str | None = None) -> dict[str, Any]:
    options = [option(v, t) for v, t in choices[:100]]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id,
                               "placeholder": plain(placeholder), "options": options}
    for opt in options:
        if opt["value"] == initial:
            element["initial_option"] = opt
    return element


def confirm(title: str, text: str, ok: str, deny: str = "Cancel") -> dict[str, Any]:
    return {"title": plain(title, 100), "text": plain(text, 300), "confirm": plain(ok, 30),
            "deny": plain(deny, 30), "style": "danger"}


def line_sections(lines: list[str], *, max_sections: int, what: str = "lines") -> list[dict[str, Any]]:
    """Lines packed into as few sections as their 3,000 characters allow, each line whole; past
    `max_sections`, a context line says how many were left out."""
    sections: list[list[str]] = []
    size = 0
    for line in lines:
        if sections and size + 1 + len(line) <= MAX_TEXT:
            sections[-1].append(line)
            size += 1 + len(line)
        else:
            sections.append([line])
            size = len(line)
    shown = [section("\n".join(chunk)) for chunk in sections[:max_sections]]
    hidden = sum(len(chunk) for chunk in sections[max_sections:])
    if hidden:
        shown.append(context(f"…and {hidden:,} more {what} not shown."))
    return shown
