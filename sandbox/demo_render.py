"""Block Kit as plain text, so the demo can show what Slack would display (pure)."""

from __future__ import annotations

from typing import Any


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def render_blocks(blocks: list[dict[str, Any]], indent: str = "    ") -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"{indent}## {_text(block.get('text'))}")
        elif kind == "section":
            if block.get("text"):
                lines.extend(f"{indent}{line}" for line in _text(block["text"]).splitlines())
            for field in block.get("fields") or []:
                lines.append(f"{indent}  {_text(field)}")
        elif kind == "context":
            text = " ".join(_text(e) for e in block.get("elements", []))
            lines.extend(f"{indent}  {line}" for line in text.splitlines())
        elif kind == "divider":
            lines.append(indent + "-" * 40)
        elif kind == "actions":
            labels = [f"[{_text(e.get('text')) or _text(e.get('placeholder')) or e.get('type')}]"
                      for e in block.get("elements", [])]
            lines.append(indent + " ".join(labels))
        elif kind == "input":
            lines.append(f"{indent}{_text(block.get('label'))}: <{block.get('element', {}).get('type')}>")
    return lines


def render_view(view: dict[str, Any]) -> list[str]:
    title = _text(view.get("title")) if view.get("title") else view.get("type", "view")
    return [f"  [{title}]", *render_blocks(view.get("blocks") or [])]
