"""The subset of Xero's ``where`` filter language that clients use.

Supported: ``Field == "text"`` (also ``!=``, ``<``, ``>``, ``<=``, ``>=``), booleans, numbers, ``null``,
``Guid("…")``, dotted fields (``Contact.ContactID``), ``Field.Contains("x")`` / ``StartsWith`` / ``EndsWith``,
``Field.ToLower()``/``ToUpper()`` before a comparison, ``AND``/``&&``, ``OR``/``||``, ``NOT``/``!`` and
parentheses.
String comparison ignores case, as Xero's does. Anything else raises ``WhereError`` (Xero answers 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|&&|\|\||[<>()!,.])|(?P<num>-?\d+(?:\.\d+)?)'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


class WhereError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WhereError(f"Unexpected character at position {pos} in where clause")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].upper() != value.upper()):
            raise WhereError(f"Expected {value or 'more input'} in where clause")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.peek() is not None:
            raise WhereError(f"Unexpected '{self.peek()[1]}' in where clause")  # type: ignore[index]
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while (t := self.peek()) and t[1].upper() in ("OR", "||"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while (t := self.peek()) and t[1].upper() in ("AND", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def unary(self) -> Predicate:
        token = self.peek()
        if token and token[1].upper() in ("NOT", "!"):
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if token and token[1] == "(":
            self.take("(")
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.comparison()

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace('\\"', '"')
        if kind == "num":
            return Decimal(value)
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        if upper == "NULL":
            return None
        if upper == "GUID":
            self.take("(")
            inner = self.literal()
            self.take(")")
            return str(inner)
        raise WhereError(f"Unexpected '{value}' in where clause")

    def comparison(self) -> Predicate:
        kind, name = self.take()
        if kind != "word":
            raise WhereError(f"Expected a field name, found '{name}'")
        path, transform = [name], None
        while (t := self.peek()) and t[1] == ".":
            self.take(".")
            word = self.take()[1]
            if word.upper() in ("CONTAINS", "STARTSWITH", "ENDSWITH"):
                self.take("(")
                needle = str(self.literal()).lower()
                self.take(")")
                field_name, method = ".".join(path), word.upper()
                check = {
                    "CONTAINS": str.__contains__,
                    "STARTSWITH": str.startswith,
                    "ENDSWITH": str.endswith,
                }[method]
                return lambda r: check(str(r.get(field_name) or "").lower(), needle)
            if word.upper() in ("TOLOWER", "TOUPPER"):
                self.take("(")
                self.take(")")
                transform = word.upper()
                continue
            path.append(word)
        field_name = ".".join(path)
        op = self.take()[1]
        if op not in ("==", "!=", "<", ">", "<=", ">="):
            raise WhereError(f"Unexpected operator '{op}' in where clause")
        expected = self.literal()
        return lambda r: _compare(r.get(field_name, _MISSING), op, expected, transform)


_MISSING = object()


def _norm(value: Any, transform: str | None) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(actual: Any, op: str, expected: Any, transform: str | None) -> bool:
    if actual is _MISSING:
        raise WhereError("No property or field exists in the type being filtered")
    left, right = _norm(actual, transform), _norm(expected, None)
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool({"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op])
    except TypeError as error:
        raise WhereError("Operator cannot be applied to these operands") from error


def compile_where(text: str) -> Predicate:
    """A predicate over a record (field name → value); raises WhereError for what Xero would refuse."""
    return _Parser(text).parse()
