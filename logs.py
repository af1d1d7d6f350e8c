"""Logging set-up with a last line of defence: anything that looks like a token is masked before it is written.

Two formats (HOURCAP_LOG_FORMAT): `text`, one readable line per record, and `json`, one JSON object per line with
`time`, `level`, `logger` and `message`, plus `request_id`, `workspace_id`, `job_id` and `xero_correlation_id`
whenever the code that logged was serving a request, running a job or had just heard from Xero. Those come from
context variables: the web layer binds a fresh request id per request, the bot middleware the workspace it
resolved, the job executor the job and its workspace, the Xero client the correlation id of Xero's last answer.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

_KEYS = r"(?:refresh_token|access_token|id_token|client_secret|code|state|link)"
# A token by its shape; a secret by its key, as a query or form value (`code=…`) or as a quoted key of a dict's
# repr or of JSON (`'code': '…'`, `"code": ["…"]`), the way slack_sdk and Bolt print requests at DEBUG.
_SECRET = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{12,}"
    rf"|{_KEYS}=[^&\s]+"
    rf"|(['\"]){_KEYS}\2\s*:\s*\[?\s*(['\"])[^'\"]+\3)"
)


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(0)[:6] + "…[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


FIELDS = ("request_id", "workspace_id", "job_id", "xero_correlation_id")
_context: dict[str, contextvars.ContextVar[Any]] = {name: contextvars.ContextVar(name, default=None)
                                                    for name in FIELDS}


def bind(**values: Any) -> list[contextvars.Token[Any]]:
    """Start a request's or job's scope: these fields (`request_id=...`, `job_id=...`) and none of the others, for
    what this context logs until `unbind` restores what was there before (fields `note`d meanwhile included)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown log fields: {sorted(unknown)}")
    return [_context[name].set(values.get(name)) for name in FIELDS]


def unbind(tokens: list[contextvars.Token[Any]]) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    tokens = bind(**values)
    try:
        yield
    finally:
        unbind(tokens)


def note(**values: Any) -> None:
    """Fields learnt midway (the workspace a request is for, Xero's correlation id of the answer just received),
    for the rest of the request or job under way; nothing outside one, where a thread would keep them for
    unrelated lines. The request's or job's scope undoes them when it ends."""
    if _context["request_id"].get() is not None or _context["job_id"].get() is not None:
        for name, value in values.items():
            _context[name].set(value)


def current() -> dict[str, Any]:
    """The context fields known here (unset ones left out)."""
    return {name: var.get() for name, var in _context.items() if var.get() is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the message and any traceback masked like every other line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(current())
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str = "text") -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def handler(log_format: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """The one way Hour Cap writes log lines: to `stream` (stderr), in `log_format`, secrets masked."""
    written = logging.StreamHandler(stream)
    written.setFormatter(formatter(log_format))
    written.addFilter(RedactingFilter())
    return written


def configure(level: str = "INFO", log_format: str = "text") -> None:
    root = logging.getLogger()
    root.handlers[:] = [handler(log_format)]
    root.setLevel(level)
