"""The Xero stand-in for tests: a running sandbox and a webhook receiver on loopback. (The real OAuth connection
through authlib and the consent-form submitter live in sandbox/xero_consent.py, shared with the benches.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.xero import SandboxClock, XeroSandbox


@contextmanager
def running_sandbox(**kwargs: Any) -> Iterator[XeroSandbox]:
    kwargs.setdefault("clock", SandboxClock(frozen=True))
    sandbox = XeroSandbox(**kwargs).start()
    try:
        yield sandbox
        # Across the suite: no answer ever showed an app an invoice it did not create (Hour Cap reads its own only).
        assert not sandbox.foreign_invoice_reads, sandbox.foreign_invoice_reads
    finally:
        sandbox.stop()


def xero_signature(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Receiver:
    """A webhook endpoint on loopback that checks signatures the right way (raw bytes)."""

    key: str
    url: str = ""
    received: list[tuple[bytes, str, bool]] = field(default_factory=list)
    fail_next: int = 0
    broken: Callable[[bytes], bytes] | None = None

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        signature = request.headers.get("x-xero-signature", "")
        checked = self.broken(body) if self.broken else body
        good = hmac.compare_digest(xero_signature(checked, self.key), signature)
        self.received.append((body, signature, good))
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response(b"oops", status=500)(environ, start_response)
        return Response(b"", status=200 if good else 401)(environ, start_response)


@contextmanager
def webhook_receiver(key: str) -> Iterator[Receiver]:
    receiver = Receiver(key)
    server = make_server("127.0.0.1", 0, receiver.app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/xero/webhooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
