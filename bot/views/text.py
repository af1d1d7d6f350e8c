"""Text for Slack: people's own words kept literal, and cuts to a limit that never break what they cut (pure).

Slack's mrkdwn can only escape ``&``, ``<`` and ``>``; ``*``, ``_``, ``~`` and backticks in a client's name or a
note still turn into bold, italics, strikes or code, and can swallow the app's own ``*bold*`` around them.
`user_text` makes a person's text safe to place anywhere in mrkdwn: it escapes the three characters and swaps a
formatting character that could open or close a span (one not between two letters or digits, where Slack never
formats) for a look-alike that does not format. Text that goes into a ``plain_text`` object needs none of this.

`cut` and `cut_plain` shorten text to a limit without splitting a character sequence, an entity (``&amp;``), a
link or mention (``<…>``) or a pair of the app's markers, and say that something was left out.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# A formatting character and the look-alike shown in its place when it could format.
_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
_MARKER = re.compile(r"[*_~`]")
# What must stay whole in mrkdwn: an entity, or a <…> link, mention or date token.
_ATOM = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]*>")


def _formats_nothing(text: str, at: int) -> bool:
    """A marker between two letters or digits ("my_project", "5*3") never formats in Slack."""
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    return before.isalnum() and after.isalnum()


def user_text(text: str) -> str:
    """A person's text, safe inside mrkdwn: shown as written, never formatting, never a link or a mention."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKER.sub(
        lambda m: m.group() if _formats_nothing(escaped, m.start()) else _LOOKALIKES[m.group()], escaped)


def _joins_previous(char: str) -> bool:
    """Characters that belong to the one before them (accents, variation selectors, emoji joiners)."""
    return bool(unicodedata.combining(char)) or char in "\u200d\ufe0e\ufe0f" or 0x1F3FB <= ord(char) <= 0x1F3FF


def _whole_characters(text: str, end: int) -> int:
    """The largest cut point <= end that does not separate a character from what joins it."""
    while 0 < end < len(text) and (_joins_previous(text[end]) or text[end - 1] == "\u200d"):
        end -= 1
    return end


def cut_plain(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters; a cut ends in an ellipsis, on whole characters."""
    if len(text) <= limit:
        return text
    end = _whole_characters(text, max(0, limit - len(ELLIPSIS)))
    return text[:end].rstrip() + ELLIPSIS


def _safe_end(text: str, end: int) -> int:
    """Move `end` back so it is outside every entity and <…> token, and on whole characters."""
    for atom in _ATOM.finditer(text, 0, min(len(text), end + 64)):
        if atom.start() < end < atom.end():
            end = atom.start()
            break
    return _whole_characters(text, end)


def _balanced(text: str) -> str:
    """Drop a trailing opened marker of the app's own (*, _, ~, `) left without its closing partner."""
    for marker in "*_~`":
        if text.count(marker) % 2:
            text = text[:text.rindex(marker)] + text[text.rindex(marker) + 1:]
    return text


def _left_out(count: int, what: str) -> str:
    return f"{ELLIPSIS}and {count} more {what} not shown"


def cut(text: str, limit: int, *, what: str = "lines") -> str:
    """mrkdwn of at most `limit` characters. Whole lines are kept while they fit and the rest is counted
    ("…and 3 more lines not shown"); a first line too long on its own is cut outside entities, links and
    marker pairs, and ends in an ellipsis."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    used = -1  # no newline before the first line
    for kept, line in enumerate(lines):
        note = "\n" + _left_out(len(lines) - kept - 1, what) if kept + 1 < len(lines) else ""
        if used + 1 + len(line) + len(note) > limit:
            break
        used += 1 + len(line)
    if kept > 0:
        return "\n".join(lines[:kept]) + "\n" + _left_out(len(lines) - kept, what)
    rest = "\n" + _left_out(len(lines) - 1, what) if len(lines) > 1 else ""
    room = max(0, limit - len(rest) - len(ELLIPSIS))
    return _balanced(lines[0][:_safe_end(lines[0], room)]).rstrip() + ELLIPSIS + rest


def tagged(label: str, tag: str | None, limit: int) -> str:
    """"Label (tag)" within `limit` characters: the tag (a project's code) stays whole, the label is shortened."""
    suffix = f" ({tag})" if tag else ""
    if len(label) + len(suffix) <= limit:
        return label + suffix
    return cut_plain(cut_plain(label, max(len(ELLIPSIS), limit - len(suffix))) + suffix, limit)
