"""Xero connection helpers for tests. The connected workspace itself (`connect_workspace`, `xero_settings`,
`ConnectedWorkspace`, `SCOPES`) lives in sandbox/xero_connection.py, shared with the benches.

Also the entry points of the worker processes the Xero tests start (`storm_worker`, `limits_worker`): they live
here, importing the sandbox and authlib only when a test needs them, so a worker process starts quickly.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from settings import Settings
from storage.db import Database
from storage.models import XeroConnection
from storage.types import utcnow

if TYPE_CHECKING:
    from sandbox.xero import XeroSandbox


def expire_access_token(db: Database, workspace_id: int, *, ago: timedelta = timedelta(minutes=1)) -> None:
    """Make our stored access token look expired (Xero's copy is untouched: only our clock decides)."""
    with db.session() as session:
        session.execute(
            update(XeroConnection)
            .where(XeroConnection.workspace_id == workspace_id)
            .values(access_expires_at=utcnow() - ago)
        )


def refresh_calls(sb: XeroSandbox) -> int:
    return sb.token_calls.get("refresh_token", 0)


def invalid_grants(sb: XeroSandbox) -> int:
    """Token-endpoint answers that refused a grant (400) — the storm must cause none."""
    return sum(1 for c in sb.calls if c.path.lower().endswith("/connect/token") and c.status == 400)


# -- worker processes --------------------------------------------------------------------------------------------
SETTINGS_FIELDS = ("slack_signing_secret", "database_url", "redis_url", "xero_client_id", "xero_client_secret",
                   "xero_login_url", "xero_identity_url", "xero_api_url", "xero_connections_url")


def settings_payload(settings: Settings) -> dict[str, Any]:
    """The settings a worker process needs, as JSON-able values (rebuilt there with `Settings(**payload)`)."""
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}


def token_lock(kind: str, redis_url: str | None) -> Any:
    from xero import tokens

    if kind == "redis":
        assert redis_url
        return tokens.RedisLock(redis_url)
    return tokens.RowLock()


def storm_job(db: Database, settings: Settings, workspace_id: int, lock: Any, limits: Any) -> dict[str, Any]:
    """What any task calling Xero does first: get a token, make a call. Reports a digest of the token used."""
    from xero import tokens
    from xero.client import XeroClient

    try:
        token, _tenant = tokens.access_token(db, workspace_id, settings, lock=lock)
        with XeroClient(db, settings, workspace_id, lock=lock, limits=limits) as client:
            status = client.get("/Organisation").status_code
        return {"ok": True, "token": hashlib.sha256(token.encode()).hexdigest()[:16], "status": status}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}


def storm_worker() -> None:
    """Refresh-storm child: lines on stdin, `prepare` (build everything, answer ready) then `go` (one job)."""
    from storage.crypto import keyring
    from xero.limits import LocalLimits

    keyring.configure(json.loads(sys.argv[1]))
    databases: dict[str, Database] = {}
    prepared: tuple[Database, Settings, int, Any, Any] | None = None
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "prepare":
            db = databases.get(command["database_url"])
            if db is None:
                db = databases[command["database_url"]] = Database(command["database_url"])
            db.ping()
            lock = token_lock(command["lock"], command["redis_url"])
            prepared = (db, Settings(**command["settings"]), command["workspace_id"], lock, LocalLimits())
            answer: dict[str, Any] = {"ready": True}
        elif command["op"] == "go" and prepared is not None:
            answer = storm_job(*prepared)
        else:
            break
        print(json.dumps(answer), flush=True)
    sys.stdout.flush()
    os._exit(0)  # nothing to clean up that the OS does not; skips a slow interpreter teardown


def limits_worker() -> None:
    """Limits child: `threads` threads share `calls` calls through one XeroClient on the Redis budget. A budget
    refusal is handled as a task would be: come back at retry_at (here: wait for it, then try again)."""
    from storage.crypto import keyring
    from xero.client import XeroClient
    from xero.errors import RateLimited
    from xero.limits import Budget, RedisLimits

    config = json.loads(sys.argv[1])
    keyring.configure(config["keys"])
    db = Database(config["database_url"])
    db.ping()
    limits = RedisLimits(config["redis_url"], Budget(**config["budget"]), prefix=config["prefix"])
    client = XeroClient(db, Settings(**config["settings"]), config["workspace_id"], limits=limits)
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    left = list(range(config["calls"]))
    guard = threading.Lock()
    outcome: dict[str, Any] = {"ok": 0, "rescheduled": 0, "errors": []}

    def run() -> None:
        while True:
            with guard:
                if not left:
                    return
                left.pop()
            while True:
                try:
                    client.get("/Organisation")
                    with guard:
                        outcome["ok"] += 1
                    break
                except RateLimited as exc:
                    with guard:
                        outcome["rescheduled"] += 1
                    time.sleep(max(0.0, (exc.retry_at - utcnow()).total_seconds()))
                except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
                    with guard:
                        outcome["errors"].append(f"{exc.__class__.__name__}: {exc}")
                    break

    threads = [threading.Thread(target=run) for _ in range(config["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(outcome), flush=True)
    os._exit(0)
