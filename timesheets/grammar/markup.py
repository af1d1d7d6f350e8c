"""Slack's markup in text it sends (a command's text, a message) turned into what a person reads: pure, stdlib only.

``<@U123|alice>`` → ``@alice``, ``<#C123|general>`` → ``#general``, ``<!here>`` → ``@here``,
``<!subteam^S1|@design>`` → ``@design``, ``<!date^…|fallback>`` → the fallback, ``<https://x.io|the docs>`` →
``the docs (https://x.io)``, ``<mailto:a@b.io|a@b.io>`` → ``a@b.io``; then ``&lt;``, ``&gt;`` and ``&amp;`` become
the characters typed. Never raises for any string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

_ANGLE_RE: Final = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_USER_RE: Final = re.compile(r"<@([UW][A-Z0-9]{2,20})[|>]", re.ASCII)


def mentioned_ids(text: str) -> tuple[str, ...]:
    """The Slack user ids mentioned in ``text``, each once, in order."""
    return tuple(dict.fromkeys(_USER_RE.findall(text)))


def _readable(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return f"@{label or names.get(target[1:]) or target[1:]}"
    if target.startswith("#"):
        return f"#{label}" if label else target
    if target.startswith("!"):
        if target.startswith("!subteam^") and label:
            return label if label.startswith("@") else f"@{label}"
        if label:
            return label
        word = target[1:].partition("^")[0]
        return f"@{word}" if word in ("here", "channel", "everyone") else word
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target


def unescape(text: str) -> str:
    """Slack sends &, < and > as HTML entities; give back what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def readable_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """``text`` as Slack sent it, as a person reads it (see the module's examples); ``names``: display names by
    Slack user id, for mentions that carry none (``<@U123>`` → ``@alice``)."""
    known = names or {}
    return unescape(_ANGLE_RE.sub(lambda match: _readable(match, known), text))
