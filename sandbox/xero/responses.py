"""Xero-shaped HTTP responses: JSON text with exact decimals, the envelope, the error bodies.

Money goes out as JSON numbers with its own scale (``150.00``, ``37.5000``), as Xero writes it, so a client
that
parses numbers as Decimal sees exactly what Xero would send. The stdlib encoder cannot print a Decimal as a
number, hence the small encoder here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from .dates import envelope_date

PROVIDER_NAME = "Hour Cap Xero Sandbox"


def dumps(value: Any) -> str:
    """JSON text; Decimals become numbers with their own scale."""
    if value is None or isinstance(value, bool | str | int | float):
        return json.dumps(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(dumps(body), status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def envelope(collection: str, items: list[dict[str, Any]], now: datetime, **extra: Any) -> dict[str, Any]:
    """The Accounting API's wrapper: ``Id``, ``Status``, ``ProviderName``, ``DateTimeUTC``, then the
    collection."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": envelope_date(now),
    }
    body.update(extra)
    body[collection] = items
    return body


def problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details body for 401/403 (``{"Title":"Unauthorized","Status":401,"Detail":...}``)."""
    return json_response(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        status=status,
    )


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> Response:
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def forbidden(detail: str = "AuthenticationUnsuccessful") -> Response:
    return problem(403, "Forbidden", detail)


def validation_error(message: str, elements: list[dict[str, Any]] | None = None) -> Response:
    """400 ``ValidationException`` (ErrorNumber 10), with failing elements when there are any."""
    body: dict[str, Any] = {"ErrorNumber": 10, "Type": "ValidationException", "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return json_response(body, status=400)


def query_parse_error(message: str) -> Response:
    """400 for a ``where`` or ``order`` clause Xero cannot parse."""
    return json_response({"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, status=400)


def post_data_invalid(message: str) -> Response:
    """400 for a body that is not the JSON Xero expects (ErrorNumber 14)."""
    return json_response(
        {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}, status=400
    )


def not_found(message: str = "The resource you're looking for cannot be found") -> Response:
    return json_response({"ErrorNumber": 404, "Type": "NotFoundException", "Message": message}, status=404)
