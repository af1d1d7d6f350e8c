"""The HTTP response leaves as soon as a listener calls `ack()`, not at the next step of Bolt's 10 ms poll.

Bolt's thread runner (`process_before_response=False`, what Hour Cap uses) submits the listener to the app's
`listener_executor` and then checks `ack.response` every 10 ms until the listener has acked
(slack_bolt/listener/thread_runner.py). A listener that acks after 11 ms is answered after 20. Here:

- `register(app)` installs, first of all middleware, an `Ack` that also sets an event when called, and remembers
  it for the request's thread;
- `AckingExecutor` (the app's `listener_executor`) starts the listener on its pool like Bolt's default executor,
  then, in the request's thread, waits for that event (or the listener's end, or Bolt's 3 s ack timeout) before it
  returns. Bolt's poll then finds `ack.response` already set and answers at once.

Nothing else changes: the listener still runs on the pool, work after `ack()` (opening a modal, answering through
a response_url) still happens after the response has left, and a listener that never acks is still answered by
Bolt's own timeout and warning.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltRequest

from bot.bolt_middleware import request_middleware

ACK_TIMEOUT_SECONDS = 3.0  # Bolt's default `ack_timeout`: past it Bolt gives up waiting too
# Bolt's default pool has 5 threads: fewer than the web server's request threads (gunicorn --threads 8), so
# listeners queued behind slower ones. One per request thread at the least, with room for work after acks.
LISTENER_THREADS = 32


class PromptAck(Ack):
    """Bolt's `ack()`, which also tells the waiting request thread that the response is ready."""

    def __init__(self) -> None:
        super().__init__()
        self.called = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.called.set()


_awaiting = threading.local()  # the request thread's PromptAck, until its listener is submitted


class AckingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool; a submission from a request thread returns once its listener acked (or ended).

    Each listener runs in a copy of the submitting thread's context, so its log lines keep the request id and
    workspace the web layer and the middleware bound (`logs.bind`/`logs.note`), and what it notes itself (Xero's
    correlation id) leaves with it instead of staying on the pool's thread for the next listener."""

    def __init__(self, max_workers: int = LISTENER_THREADS) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        ack: PromptAck | None = getattr(_awaiting, "ack", None)
        _awaiting.ack = None  # only the request's listener is waited for, not lazy work it starts
        future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
        if ack is not None:
            future.add_done_callback(lambda _done: ack.called.set())
            ack.called.wait(ACK_TIMEOUT_SECONDS)
        return future


def register(app: App) -> None:
    """Give every request a `PromptAck` (call before any other middleware is registered)."""

    @request_middleware(app)
    def prompt_ack(req: BoltRequest, next: Callable[[], None]) -> None:
        ack = PromptAck()
        req.context["ack"] = ack
        _awaiting.ack = ack
        next()
