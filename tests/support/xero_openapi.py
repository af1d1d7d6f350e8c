"""Xero's OpenAPI descriptions (from ../shared/xero-openapi), loaded with their one known defect patched, and a
request checker that validates every Accounting API request a client sends against them."""

from __future__ import annotations

import functools
from typing import Any

import httpx2
import yaml
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from tests.support.shared_files import XERO_OPENAPI, require

XERO_API = "https://api.xero.com/api.xro/2.0"


def require_specs() -> None:
    """Skip loudly (fail under HOURCAP_REQUIRE_SERVICES=1) when the OpenAPI files are not checked out."""
    require(XERO_OPENAPI, "Xero OpenAPI files")


def load_spec(name: str) -> dict[str, Any]:
    require_specs()
    text = (XERO_OPENAPI / name).read_text(encoding="utf-8")
    if name == "xero_accounting.yaml":
        text = text.replace('default: "false"', "default: false")  # the defect named in the README
    loaded: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return loaded


@functools.cache
def accounting_spec() -> Any:
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(load_spec("xero_accounting.yaml"), config=Config(spec_validator_cls=None))


def as_xero_request(answer: httpx2.Response) -> Any:
    """The request behind a sandbox answer, as openapi-core sees it when sent to Xero itself."""
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    request = answer.request
    path = request.url.path[len("/api.xro/2.0") :]
    builder = EnvironBuilder(
        base_url=XERO_API,
        path=path,
        method=request.method,
        query_string=request.url.query.decode(),
        headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        data=request.content or None,
    )
    return WerkzeugOpenAPIRequest(builder.get_request())


def validate_answer(accounting: Any, answer: httpx2.Response) -> None:
    """Raise unless the sandbox's answer is one the Accounting API description allows for its request."""
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

    response = Response(
        answer.content, status=answer.status_code, content_type=answer.headers.get("content-type")
    )
    accounting.validate_response(as_xero_request(answer), WerkzeugOpenAPIResponse(response))


class Contract:
    """An httpx2 request hook: every Accounting API request is validated; violations are collected."""

    def __init__(self) -> None:
        self.spec = accounting_spec()
        self.checked: list[str] = []
        self.violations: list[str] = []
        self.requests: list[httpx2.Request] = []

    def check(self, request: httpx2.Request) -> None:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

        self.requests.append(request)
        marker = "/api.xro/2.0"
        if marker not in request.url.path:
            return  # token endpoint and /connections: not the Accounting API
        builder = EnvironBuilder(
            base_url=XERO_API,
            path=request.url.path.split(marker, 1)[1],
            method=request.method,
            query_string=request.url.query.decode(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            data=request.content or None,
        )
        label = f"{request.method} {request.url.path}?{request.url.query.decode()}"
        try:
            self.spec.validate_request(WerkzeugOpenAPIRequest(builder.get_request()))
        except Exception as exc:  # noqa: BLE001 - every violation is collected and reported
            self.violations.append(f"{label}: {exc}")
        self.checked.append(label)
