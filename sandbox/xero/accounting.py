"""The Accounting API pipeline (``/api.xro/2.0``): bearer token (401), ``xero-tenant-id`` connected to that
token (403), scope, rate limits (429), armed faults, ``Idempotency-Key`` replay, then the route itself.
Every answer past the tenant check carries the remaining-count headers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.wrappers import Request, Response

from .dates import parse_if_modified_since
from .faults import Fault
from .idempotency import MAX_KEY_LENGTH, Stored
from .identity import bearer_token
from .models import Tenant
from .oauth_store import AccessToken
from .responses import (
    forbidden,
    json_response,
    not_found,
    post_data_invalid,
    query_parse_error,
    unauthorized,
    validation_error,
)
from .where import WhereError, compile_where

if TYPE_CHECKING:
    from .state import SandboxState


T = TypeVar("T")


class ApiError(Exception):
    """Raised by route code to answer at once with a prepared response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class DropConnection(Exception):
    """Raised after a write is committed: the server closes the socket without answering."""


@dataclass
class ApiContext:
    state: SandboxState
    request: Request
    tenant: Tenant
    access: AccessToken
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """Query parameter, name matched without case (Xero is case-insensitive here)."""
        for key, value in self.request.args.items(multi=True):
            if key.lower() == name.lower():
                return value
        return None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        if value is None or value == "":
            return default
        if value.lower() not in ("true", "false"):
            raise ApiError(validation_error(f"The value '{value}' is not valid for {name}."))
        return value.lower() == "true"

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value is None or value == "":
            return default
        if not re.fullmatch(r"-?\d+", value.strip()):
            raise ApiError(validation_error(f"The value '{value}' is not valid for {name}."))
        return int(value)

    def list_arg(self, name: str) -> list[str] | None:
        value = self.arg(name)
        if value is None:
            return None
        return [v.strip().strip('"') for v in value.split(",") if v.strip()]

    def filtered(self, objects: list[T], record: Callable[[T], dict[str, Any]]) -> list[T]:
        """Apply the ``where`` query parameter; an unparseable clause is Xero's 400 QueryParseException."""
        clause = self.arg("where")
        if not clause:
            return list(objects)
        try:
            predicate = compile_where(clause)
            return [obj for obj in objects if predicate(record(obj))]
        except WhereError as error:
            raise ApiError(query_parse_error(str(error))) from error

    def modified_since(self) -> datetime | None:
        header = self.request.headers.get("If-Modified-Since")
        return parse_if_modified_since(header) if header else None

    def body_items(self, collection: str) -> list[Any]:
        """The elements of a PUT/POST body: ``{"Invoices":[…]}``, a bare array, or a single object."""
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            raise ApiError(post_data_invalid("The request body is empty"))
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise ApiError(post_data_invalid(f"JSON for post data was invalid, {error}")) from error
        if isinstance(body, dict) and collection in body:
            body = body[collection]
        elif isinstance(body, dict):
            body = [body]
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise ApiError(post_data_invalid(f"JSON for post data was invalid, expected {collection}"))
        return body


Handler = Callable[[ApiContext], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    scopes: frozenset[str]


READ_SETTINGS = frozenset({"accounting.settings", "accounting.settings.read"})
READ_CONTACTS = frozenset({"accounting.contacts", "accounting.contacts.read"})
WRITE_CONTACTS = frozenset({"accounting.contacts"})
READ_INVOICES = frozenset(
    {
        "accounting.invoices",
        "accounting.invoices.read",
        "accounting.transactions",
        "accounting.transactions.read",
    }
)
WRITE_INVOICES = frozenset({"accounting.invoices", "accounting.transactions"})


def _routes() -> list[Route]:
    from . import contacts, invoices, settings_routes

    guid = r"(?P<id>[0-9a-fA-F-]{36})"
    table: list[tuple[str, str, Handler, frozenset[str]]] = [
        ("GET", r"/organisation", settings_routes.organisation, READ_SETTINGS),
        ("GET", r"/accounts", settings_routes.accounts, READ_SETTINGS),
        ("GET", rf"/accounts/{guid}", settings_routes.accounts, READ_SETTINGS),
        ("GET", r"/taxrates", settings_routes.tax_rates, READ_SETTINGS),
        ("GET", r"/trackingcategories", settings_routes.tracking, READ_SETTINGS),
        ("GET", rf"/trackingcategories/{guid}", settings_routes.tracking, READ_SETTINGS),
        ("GET", r"/brandingthemes", settings_routes.branding, READ_SETTINGS),
        ("GET", rf"/brandingthemes/{guid}", settings_routes.branding, READ_SETTINGS),
        ("GET", r"/items", settings_routes.items, READ_SETTINGS),
        ("GET", r"/items/(?P<id>[^/]+)", settings_routes.items, READ_SETTINGS),
        ("GET", r"/contacts", contacts.list_contacts, READ_CONTACTS),
        ("GET", r"/contacts/(?P<id>[^/]+)", contacts.get_contact, READ_CONTACTS),
        ("PUT", r"/contacts", contacts.save_contacts, WRITE_CONTACTS),
        ("POST", r"/contacts", contacts.save_contacts, WRITE_CONTACTS),
        ("POST", rf"/contacts/{guid}", contacts.save_contacts, WRITE_CONTACTS),
        ("GET", r"/invoices", invoices.list_invoices, READ_INVOICES),
        ("GET", r"/invoices/(?P<id>[^/]+)", invoices.get_invoice, READ_INVOICES),
        ("PUT", r"/invoices", invoices.save_invoices, WRITE_INVOICES),
        ("POST", r"/invoices", invoices.save_invoices, WRITE_INVOICES),
    ]
    return [Route(m, re.compile(p + r"/?$", re.IGNORECASE), h, s) for m, p, h, s in table]


ROUTES: list[Route] = []


def _match(method: str, sub_path: str) -> tuple[Route | None, dict[str, str], bool]:
    if not ROUTES:
        ROUTES.extend(_routes())
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(sub_path)
        if found:
            path_known = True
            if route.method == method:
                return route, {k: v for k, v in found.groupdict().items() if v is not None}, True
    return None, {}, path_known


def dispatch(state: SandboxState, request: Request, sub_path: str, fault: Fault | None) -> Response:
    """Run one Accounting API call through Xero's gates in Xero's order."""
    access, detail = bearer_token(state, request)
    request.environ["sandbox.client_id"] = access.client_id if access else None
    if access is None:
        return unauthorized(detail)
    tenant_id = request.headers.get("xero-tenant-id", "").strip()
    request.environ["sandbox.tenant_id"] = tenant_id or None
    tenant = state.tenant(tenant_id) if tenant_id else None
    if tenant is None or not state.identity.is_connected(access, tenant.tenant_id):
        return forbidden()
    route, params, path_known = _match(request.method, sub_path)
    if route is None:
        if path_known:
            return json_response({"Message": "The requested resource does not support this method"}, 405)
        return not_found()
    if not route.scopes & set(access.scopes):
        return unauthorized("AuthorizationUnsuccessful")
    limit_key = f"{tenant.tenant_id}:{access.client_id}"
    decision = state.limiter.acquire(limit_key)
    if not decision.allowed:
        response = Response(b"", status=429)
    else:
        try:
            if state.settings.latency_seconds > 0:  # Xero's own time on the call: the call holds its slot meanwhile
                time.sleep(state.settings.latency_seconds)
            response = _run(state, request, ApiContext(state, request, tenant, access, params), route, fault)
        finally:
            state.limiter.release(limit_key)
    for name, value in decision.headers.items():
        response.headers[name] = value
    return response


def _run(
    state: SandboxState, request: Request, ctx: ApiContext, route: Route, fault: Fault | None
) -> Response:
    if fault is not None:
        if fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault.kind in ("500", "503", "429"):
            return fault_response(fault)
    key = request.headers.get("Idempotency-Key")
    writes = request.method in ("PUT", "POST")
    if writes and key is not None and len(key) > MAX_KEY_LENGTH:
        return validation_error(f"Idempotency-Key must be {MAX_KEY_LENGTH} characters or fewer")
    with state.data_lock:
        response = _idempotent(state, ctx, route, key) if writes and key else _call(ctx, route)
    if fault is not None and fault.kind == "drop_after_commit":
        raise DropConnection()
    return response


def _call(ctx: ApiContext, route: Route) -> Response:
    try:
        return route.handler(ctx)
    except ApiError as error:
        return error.response


def _idempotent(state: SandboxState, ctx: ApiContext, route: Route, key: str) -> Response:
    request = ctx.request
    scope = (ctx.access.client_id, ctx.tenant.tenant_id, key)
    fingerprint = state.idempotency.fingerprint(
        request.method, request.path, request.query_string.decode("latin-1"), request.get_data()
    )
    now = state.clock.now()
    stored = state.idempotency.lookup(scope, now)
    if stored is not None:
        if stored.fingerprint != fingerprint:
            return json_response(
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "The Idempotency-Key has already been used for a different request",
                },
                status=state.settings.idempotency_mismatch_status,
            )
        replay = Response(stored.body, status=stored.status)
        for name, value in stored.headers:
            replay.headers[name] = value
        return replay
    response = _call(ctx, route)
    if response.status_code < 500 and response.status_code != 429:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() == "content-type"]
        state.idempotency.store(
            scope, Stored(fingerprint, response.status_code, response.get_data(), headers, now)
        )
    return response


def fault_response(fault: Fault) -> Response:
    """The canned answers of an armed fault: JSON 500, plain-text 503, or 429 with its headers."""
    if fault.kind == "500":
        return json_response(
            {
                "ErrorNumber": 500,
                "Type": "UnknownErrorException",
                "Message": "An error occurred in Xero. Check the API Status page "
                "http://status.developer.xero.com for current service status.",
            },
            500,
        )
    if fault.kind == "503":
        return Response(
            "The Xero API is currently offline for maintenance",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = Response(b"", status=429)
    response.headers["X-Rate-Limit-Problem"] = "minute"
    response.headers["Retry-After"] = str(fault.retry_after)
    return response
