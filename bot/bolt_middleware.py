"""Global middleware called with Bolt's request alone: `@request_middleware(app)` instead of `@app.middleware`.

Bolt wraps a function given to `@app.middleware` in a `CustomMiddleware` that, on every request, inspects the
function's argument names and builds each one (`slack_bolt/kwargs_injection/utils.py`: the context, the body,
the client, respond, say, ... each looked up by name). With six such functions that was about a fifth of Bolt's
own time in a quick `/hours` (bench/hours.py --profile). Here the function gets the `BoltRequest` (`req.context`,
`req.body`, `req.context.client`) and Bolt's `next`, and is otherwise run exactly like Bolt's own middleware: in
registration order, a returned `BoltResponse` without `next()` answering the request.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

RequestFunction = Callable[[BoltRequest, Callable[[], None]], BoltResponse | None]


class RequestMiddleware(Middleware):
    def __init__(self, func: RequestFunction) -> None:
        self.func = func

    def process(self, *, req: BoltRequest, resp: BoltResponse,  # type: ignore[override]  # None: next() was called
                next: Callable[[], None]) -> BoltResponse | None:
        return self.func(req, next)

    @property
    def name(self) -> str:
        return f"RequestMiddleware(func={self.func.__name__})"


def request_middleware(app: App) -> Callable[[RequestFunction], RequestFunction]:
    """Register the decorated function as the app's next global middleware."""

    def register(func: RequestFunction) -> RequestFunction:
        app.use(RequestMiddleware(func))
        return func

    return register
