"""Tokens of ``/hours`` text: whitespace-separated words with their positions (pure, stdlib only).

Shared by the grammar's parts (timesheets/grammar/parse.py, dates.py, people.py), which all read the text word by
word and keep the rest of it as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str


_TOKEN_RE: Final = re.compile(r"\S+")


def tokens_of(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rest_after(text: str, tokens: Sequence[Token], index: int) -> str:
    return text[tokens[index].start :].strip() if index < len(tokens) else ""
