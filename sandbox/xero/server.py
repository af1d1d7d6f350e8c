"""``XeroSandbox``: the stand-in served over real HTTP on loopback (werkzeug, one thread per request).

One port serves everything: ``/identity/...`` (login and token service), ``/connections``,
``/api.xro/2.0/...``
and the test controls under ``/_sandbox/...`` (see ``control.py``). Every answer carries a
``Xero-Correlation-Id``. The "drop after commit" fault closes the socket after the write, with no answer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import accounting, control, identity
from .accounting import DropConnection, fault_response
from .state import Call, SandboxState


class _QuietHandler(WSGIRequestHandler):
    """No access log lines: tests make thousands of calls."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxApp:
    """The WSGI application: routes to identity, accounting and control handlers."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.state: SandboxState = sandbox.state

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except DropConnection:
            self._record(request, 0)
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            response = Response(b"", status=500)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        lowered = path.lower()
        if lowered.startswith("/_sandbox"):
            return control.handle(self.sandbox, request, path[len("/_sandbox") :])
        fault = self.state.faults.take(request.method, path)
        if lowered.startswith("/api.xro/2.0"):
            response = accounting.dispatch(self.state, request, path[len("/api.xro/2.0") :], fault)
        elif fault is not None and fault.kind in ("500", "503", "429"):
            response = fault_response(fault)
        else:
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.seconds)
            if self.state.settings.latency_seconds > 0:
                time.sleep(self.state.settings.latency_seconds)
            response = self._identity(request, lowered)
            if fault is not None and fault.kind == "drop_after_commit":
                raise DropConnection()
        response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
        self._record(request, response.status_code)
        return response

    def _identity(self, request: Request, lowered: str) -> Response:
        state, method = self.state, request.method
        lowered = lowered.rstrip("/") or "/"
        routes = {
            ("GET", "/identity/connect/authorize"): identity.authorize,
            ("POST", "/identity/connect/authorize/consent"): identity.consent_submit,
            ("POST", "/identity/connect/token"): identity.token,
            ("POST", "/identity/connect/revocation"): identity.revocation,
            ("GET", "/connections"): identity.connections,
            ("GET", "/identity/.well-known/openid-configuration"): identity.discovery,
            ("GET", "/identity/.well-known/openid-configuration/jwks"): identity.jwks,
        }
        handler = routes.get((method, lowered))
        if handler is not None:
            return handler(state, request)
        if method == "DELETE" and lowered.startswith("/connections/"):
            return identity.delete_connection(state, request, request.path.rstrip("/").rsplit("/", 1)[1])
        return Response("Not Found", status=404, content_type="text/plain")

    def _record(self, request: Request, status: int) -> None:
        self.state.record_call(
            Call(
                request.method,
                request.path,
                request.environ.get("sandbox.tenant_id"),
                request.environ.get("sandbox.client_id"),
                status,
                self.state.clock.now(),
            )
        )


class HttpServer:
    """A werkzeug threaded server in a background thread."""

    def __init__(self, app: SandboxApp, host: str, port: int) -> None:
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            name="xero-sandbox-http",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
