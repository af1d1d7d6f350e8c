"""views.open / views.push / views.update / views.publish for the Slack sandbox.

The rules modelled are Slack's rules for views that Hour Cap's code paths depend on:
a trigger id is exchanged once and can expire; a modal stack holds at most 3 views; ``views.update``
with a stale ``hash`` fails with ``hash_conflict`` and with a closed modal fails with ``not_found``;
App Home is one view per user.  Input values are not modelled: ``state.values`` stays empty.
"""

from __future__ import annotations

from typing import Any

from sandbox.slack_api import ApiError, Call, find_user, invalid_arguments
from sandbox.slack_state import SlackState
from sandbox.slack_views import validate_view

STACK_LIMIT = 3
_PAYLOAD_FIELDS = ("type", "title", "submit", "close", "blocks", "private_metadata", "callback_id")


def _checked_view(call: Call, expected_type: str | None) -> dict[str, Any]:
    view = call.params.get("view")
    if view is None or view == "":
        raise invalid_arguments(["[ERROR] missing required field: view"])
    errors = validate_view(view, expected_type=expected_type)
    if errors:
        raise invalid_arguments(errors)
    return view  # type: ignore[no-any-return]  # validate_view guarantees a dict


def _exchange_trigger(call: Call) -> str:
    """Trigger ids are single-use and short-lived; the sandbox models both outcomes."""
    trigger = call.text("trigger_id") or call.text("interactivity_pointer")
    if not trigger:
        raise invalid_arguments(["[ERROR] missing required field: trigger_id"])
    state = call.state
    if trigger in state.expired_triggers:
        raise ApiError("expired_trigger_id")
    if trigger in state.used_triggers:
        raise ApiError("exchanged_trigger_id")
    state.used_triggers.add(trigger)
    return trigger


def _check_external_id(call: Call, payload: dict[str, Any], own_id: str | None = None) -> None:
    external_id = payload.get("external_id")
    if not external_id:
        return
    taken = [v for v in call.state.views.values() if v["external_id"] == external_id and v["id"] != own_id]
    if taken:
        raise ApiError("duplicate_external_id")


def _build_view(
    call: Call, view_id: str, payload: dict[str, Any], *, root_id: str, previous_id: str | None
) -> dict[str, Any]:
    token = call.bot
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": token.team_id,
        "type": payload["type"],
        "title": payload.get("title"),
        "submit": payload.get("submit"),
        "close": payload.get("close"),
        "blocks": payload.get("blocks", []),
        "private_metadata": payload.get("private_metadata", ""),
        "callback_id": payload.get("callback_id", ""),
        "state": {"values": {}},
        "hash": call.state.new_hash(),
        "clear_on_close": bool(payload.get("clear_on_close", False)),
        "notify_on_close": bool(payload.get("notify_on_close", False)),
        "root_view_id": root_id,
        "previous_view_id": previous_id,
        "app_id": token.app_id,
        "external_id": payload.get("external_id", ""),
        "app_installed_team_id": token.team_id,
        "bot_id": token.bot_id,
    }
    return view


def views_open(call: Call) -> dict[str, Any]:
    payload = _checked_view(call, "modal")
    _check_external_id(call, payload)
    _exchange_trigger(call)
    view_id = call.state.new_id("V")
    view = _build_view(call, view_id, payload, root_id=view_id, previous_id=None)
    call.state.views[view_id] = view
    call.state.stacks[view_id] = [view_id]
    return {"view": view}


def views_push(call: Call) -> dict[str, Any]:
    """Push onto the stack the trigger came from (see ``trigger_for``), else the newest stack."""
    payload = _checked_view(call, "modal")
    _check_external_id(call, payload)
    trigger = _exchange_trigger(call)
    state = call.state
    root_id = state.trigger_roots.get(trigger) or next(reversed(state.stacks), None)
    if root_id is None or root_id not in state.stacks:
        raise invalid_arguments(["[ERROR] no open modal to push onto (sandbox)"])
    stack = state.stacks[root_id]
    if len(stack) >= STACK_LIMIT:
        raise ApiError("push_limit_reached")
    view_id = state.new_id("V")
    view = _build_view(call, view_id, payload, root_id=root_id, previous_id=stack[-1])
    state.views[view_id] = view
    stack.append(view_id)
    return {"view": view}


def _find_updatable(call: Call) -> dict[str, Any]:
    view_id, external_id = call.text("view_id"), call.text("external_id")
    if not view_id and not external_id:
        raise invalid_arguments(["[ERROR] must provide view_id or external_id"])
    candidates = list(call.state.views.values()) + list(call.state.homes.values())
    for view in candidates:
        if view["team_id"] != call.bot.team_id:
            continue
        if (view_id and view["id"] == view_id) or (not view_id and view["external_id"] == external_id):
            return view
    raise ApiError("not_found")


def views_update(call: Call) -> dict[str, Any]:
    current = _find_updatable(call)
    given_hash = call.text("hash")
    if given_hash and given_hash != current["hash"]:
        raise ApiError("hash_conflict")
    payload = _checked_view(call, current["type"])
    _check_external_id(call, payload, own_id=current["id"])
    for name in _PAYLOAD_FIELDS:
        current[name] = payload.get(name, "" if name in ("private_metadata", "callback_id") else None)
    current["blocks"] = payload.get("blocks", [])
    if payload.get("external_id"):
        current["external_id"] = payload["external_id"]
    current["hash"] = call.state.new_hash()
    return {"view": current}


def views_publish(call: Call) -> dict[str, Any]:
    """One Home view per (team, user); republishing keeps its id and issues a new hash."""
    user_id = call.text("user_id")
    if not user_id:
        raise invalid_arguments(["[ERROR] missing required field: user_id"])
    find_user(call, user_id)  # unconfirmed: the error code real Slack gives for an unknown user
    payload = _checked_view(call, "home")
    key = (call.bot.team_id, user_id)
    current = call.state.homes.get(key)
    given_hash = call.text("hash")
    if given_hash and (current is None or given_hash != current["hash"]):
        raise ApiError("hash_conflict")
    view_id = current["id"] if current else call.state.new_id("V")
    view = _build_view(call, view_id, payload, root_id=view_id, previous_id=None)
    call.state.homes[key] = view
    return {"view": view}


# ---- helpers the sandbox facade exposes to tests ------------------------------------------------


def close_view(state: SlackState, view_id: str) -> None:
    """The user dismissed ``view_id``: it and any view pushed above it are gone."""
    with state.lock:
        view = state.views.get(view_id)
        if view is None:
            return
        stack = state.stacks.get(view["root_view_id"], [])
        position = stack.index(view_id) if view_id in stack else 0
        for closed in stack[position:]:
            state.views.pop(closed, None)
        del stack[position:]
        if not stack:
            state.stacks.pop(view["root_view_id"], None)


def trigger_for(state: SlackState, view_id: str) -> str:
    """A fresh trigger id as an interaction inside ``view_id`` would carry (for views.push)."""
    with state.lock:
        view = state.views.get(view_id)
        if view is None:
            raise KeyError(f"no open modal {view_id}")
        trigger = f"{state.new_id('')}.{view_id}.sandbox"
        state.trigger_roots[trigger] = view["root_view_id"]
        return trigger
