"""People named in ``/hours`` entry text: Slack mentions and ``@me`` (pure, stdlib only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from timesheets.grammar.tokens import tokens_of

_MENTION_RE: Final = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^<>]*)?>", re.ASCII)
_BLANKS_RE: Final = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class PeopleText:
    """The people an entry text names and the text without them.

    ``user_ids``: Slack user ids of the mentions, first mention first, each once. ``me``: ``@me`` was written.
    ``unknown``: words like ``@alice`` that are not mentions Slack resolved, so nobody can tell who they mean.
    """

    text: str
    user_ids: tuple[str, ...] = ()
    me: bool = False
    unknown: tuple[str, ...] = ()

    @property
    def names_people(self) -> bool:
        return bool(self.user_ids or self.me or self.unknown)


def split_people(text: str) -> PeopleText:
    """Take the mentions (``<@U123|name>``, ``<@U123>``, ``@me``) out of ``/hours`` entry text.

    Mentions count wherever they stand; the text keeps everything else with its spacing (trimmed at both ends,
    the blanks after a removed mention go with it). Never raises for any string.
    """
    user_ids: list[str] = []
    unknown: list[str] = []
    me = False
    kept: list[str] = []
    last = 0
    for token in tokens_of(text):
        ids = _MENTION_RE.findall(token.text)
        bare = _MENTION_RE.sub("", token.text)
        if ids and bare.strip(",;.") == "":
            user_ids.extend(ids)
        elif token.text.casefold() == "@me":
            me = True
        elif token.text.startswith("@") and len(token.text) > 1 and "@" not in token.text[1:]:
            unknown.append(token.text)
        else:
            continue
        kept.append(text[last : token.start])
        last = _BLANKS_RE.match(text, token.end).end()  # type: ignore[union-attr]  # matches the empty string
    kept.append(text[last:])
    rest = "".join(kept).strip()
    return PeopleText(rest, tuple(dict.fromkeys(user_ids)), me, tuple(dict.fromkeys(unknown)))
