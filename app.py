"""Composition root and the `hourcap` command: settings → database → jobs → Bolt app → web app.

`python app.py serve` (or `hourcap serve`) runs it. Nothing imports this module: it is where the parts meet.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import logs
from settings import Settings, SettingsError, load_settings

log = logging.getLogger("hourcap")


@dataclass
class Runtime:
    """Everything one process needs, built once."""

    settings: Settings
    db: Any
    jobs: Any
    bolt_app: Any = None
    web_app: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.jobs.stop()
        self.db.dispose()


def task_registry() -> Any:
    """A fresh registry of every task of the product. Each feature registers its own (`register(tasks)`); this
    list is the one place that says which modules those are, so a worker's repertoire is written down."""
    from bot.notify import budget_alert as notify_budget_alert
    from bot.notify import data_export as notify_data_export
    from bot.notify import invoice as notify_invoice
    from bot.notify import logged_for as notify_logged_for
    from bot.notify import monthly_summary as notify_monthly_summary
    from bot.notify import nudge as notify_nudge
    from bot.notify import report_files as notify_report_files
    from bot.notify import sync_alert as notify_sync_alert
    from bot.notify import xero as notify_xero
    from invoicing import tasks_batch as invoice_batch
    from invoicing import tasks_follow as invoice_follow
    from invoicing import tasks_push as invoice_push
    from jobs import maintenance
    from jobs.registry import TaskRegistry
    from reports import tasks_budget as reports_budget
    from reports import tasks_monthly as reports_monthly
    from team import retention
    from timesheets import tasks_nudges
    from xero import tasks_connection as xero_connection
    from xero import tasks_sync as xero_sync
    from xero import tasks_tokens as xero_tokens
    from xero import tasks_uninstall as xero_uninstall

    tasks = TaskRegistry()
    for module in (maintenance, xero_sync, xero_tokens, xero_connection, invoice_push, invoice_batch,
                   invoice_follow, notify_invoice, notify_sync_alert, notify_xero, notify_report_files,
                   reports_budget, notify_budget_alert, notify_logged_for, tasks_nudges, notify_nudge,
                   reports_monthly, notify_monthly_summary):
        module.register(tasks)
    for module in (retention, xero_uninstall, notify_data_export):  # uninstall, retention purge, export
        module.register(tasks)
    return tasks


def build_runtime(settings: Settings, *, with_web: bool = True, start_jobs: bool = True) -> Runtime:
    """Wire the parts. In-process jobs when REDIS_URL is unset; otherwise web processes only relay to RQ."""
    from bot.app_factory import build_bolt_app, installation_store
    from bot.slack_clients import SlackClients
    from jobs.wiring import JobsRuntime
    from storage.crypto import keyring
    from storage.db import Database
    from web.app import create_web_app
    from xero.limits import make_limits

    keyring.configure(settings.encryption_keys)
    db = Database(settings.database_url)
    slack_clients = SlackClients(settings, installation_store(settings, db))
    xero_limits = make_limits(settings.redis_url)  # the process's Xero call budget: its jobs' and its web's
    jobs = JobsRuntime(settings, db, task_registry(), services={"slack": slack_clients, "xero_limits": xero_limits})
    runtime = Runtime(settings=settings, db=db, jobs=jobs)
    if with_web:
        runtime.bolt_app = build_bolt_app(settings, db, xero_limits=xero_limits)
        runtime.web_app = create_web_app(settings, runtime.bolt_app, db,
                                          redis_ping=None if jobs.in_process else jobs.redis_ping)
    if settings.xero_enabled:
        _schedule_xero_housekeeping(db)
    _schedule_nudge_tick(db)
    _schedule_retention_purge(db)
    _schedule_monthly_tick(db)
    if start_jobs:
        jobs.start()
    return runtime


def _schedule_xero_housekeeping(db: Any) -> None:
    """Refresh tokens of connections idle for 30 days, daily (deduplicated: every process may ask; one runs)."""
    from datetime import timedelta

    from xero.tasks_tokens import schedule_refresh_idle

    with db.session() as session:
        schedule_refresh_idle(session, delay=timedelta(hours=1))


def _schedule_nudge_tick(db: Any) -> None:
    """The missing-time nudge tick, every five minutes (deduplicated: every process may ask; one runs)."""
    from timesheets.tasks_nudges import EVERY, schedule_tick

    with db.session() as session:
        schedule_tick(session, delay=EVERY)


def _schedule_monthly_tick(db: Any) -> None:
    """The monthly summary tick, every five minutes (deduplicated: every process may ask; one runs)."""
    from reports.tasks_monthly import EVERY, schedule_tick

    with db.session() as session:
        schedule_tick(session, delay=EVERY)


def _schedule_retention_purge(db: Any) -> None:
    """The purge of workspaces uninstalled longer ago than HOURCAP_RETENTION_DAYS, hourly (deduplicated)."""
    from team.retention import EVERY, schedule_purge

    with db.session() as session:
        schedule_purge(session, delay=EVERY)


# --- commands ---------------------------------------------------------------------------------------------


def _migrate(settings: Settings) -> None:
    from storage.migrate import upgrade

    upgrade(settings.database_url)


class SandboxMissing(Exception):
    """A command needs the stand-ins (the `hourcap-sandbox` distribution in sandbox/), which are not installed."""

    def __init__(self, command: str) -> None:
        super().__init__(f"`hourcap {command}` needs the local Slack and Xero stand-ins, which are not installed: "
                         "run `pip install -e ./sandbox` in the repository (or `make install`)")


def _sandbox(module: str, command: str) -> Any:
    """Import a module of sandbox/ (its own distribution, never in the product wheel) for `command`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name == "sandbox" or (missing.name or "").startswith("sandbox."):
            raise SandboxMissing(command) from None
        raise


def _with_xero_sandbox(settings: Settings) -> Settings:
    """Start the Xero stand-in beside the app (loopback) and point every XERO_* setting at it, PKCE on."""
    from dataclasses import replace

    from xero.oauth import callback_url

    XeroSandbox = _sandbox("sandbox.xero", "serve --xero-sandbox").XeroSandbox

    if not settings.encryption_keys:
        raise SettingsError("HOURCAP_ENCRYPTION_KEYS", "is missing: Xero tokens are stored encrypted; generate a key "
                            "with `hourcap keygen`")
    sandbox = XeroSandbox(redirect_uris=[callback_url(settings)]).start()
    sandbox.require_pkce = True
    _keep_alive.append(sandbox)
    print(f"hourcap: Xero sandbox at {sandbox.base_url} (client id {sandbox.client_id}); "
          f"callback {callback_url(settings)}", flush=True)
    return replace(settings, xero_client_id=sandbox.client_id, xero_client_secret=sandbox.client_secret,
                   xero_webhook_key=sandbox.webhook_key, xero_login_url=sandbox.login_url,
                   xero_identity_url=sandbox.identity_url, xero_api_url=sandbox.api_url,
                   xero_connections_url=sandbox.connections_url, xero_pkce=True)


_keep_alive: list[Any] = []  # the --xero-sandbox server lives as long as the process


def _metrics_directory(settings: Settings, *, web: bool) -> None:
    """Multiprocess metrics for this instance when it serves metrics: gunicorn's workers (or `hourcap worker`'s one
    process, which runs its jobs itself) write their samples under one directory, which a scrape adds up
    (metrics.py). A fresh directory per instance (removed when the process that made it exits); a
    PROMETHEUS_MULTIPROC_DIR given by the operator is emptied first, so no figures of a previous run are added in.
    Must run before anything imports prometheus_client."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    if settings.metrics_port is None and not (web and settings.metrics_token is not None):
        return
    if "prometheus_client" in sys.modules:
        log.warning("metrics: prometheus_client was imported before its multiprocess directory was set")
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    made, owner = tempfile.mkdtemp(prefix="hourcap-metrics-"), os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made

    def remove() -> None:  # forked workers inherit atexit handlers: only the process that made it removes it
        if os.getpid() == owner:
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(remove)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    _metrics_directory(settings, web=True)
    if args.xero_sandbox:
        settings = _with_xero_sandbox(settings)
    if not args.no_migrate:
        _migrate(settings)
    from web.server import serve

    return serve(settings, build_runtime, workers=args.workers, threads=args.threads, host=args.host)


def cmd_worker(args: argparse.Namespace) -> int:
    settings = load_settings(require_slack=False)
    if settings.redis_url is None:
        raise SettingsError("REDIS_URL", "is missing: `hourcap worker` needs Redis (redis://host:6379/0); "
                            "without it, `hourcap serve` runs jobs in-process")
    _metrics_directory(settings, web=False)
    runtime = build_runtime(settings, with_web=False, start_jobs=False)
    if settings.metrics_port is not None:
        import metrics
        from storage.gauges import DatabaseGauges

        metrics.serve_port(settings.metrics_port, DatabaseGauges(runtime.db))
        log.info("metrics on port %s", settings.metrics_port)
    try:
        return runtime.jobs.run_worker(burst=args.burst)
    finally:
        runtime.db.dispose()


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = load_settings(require_slack=False)
    _migrate(settings)
    print(f"hourcap: database is at the latest schema ({settings.database_url.split('@')[-1]})")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from web.doctor import doctor

    logging.getLogger().setLevel(logging.WARNING)  # the checklist is the output
    return doctor(timeout=args.timeout)


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reports.data_export import export_team
    from storage.crypto import keyring
    from storage.db import Database

    settings = load_settings(require_slack=False)
    keyring.configure(settings.encryption_keys)
    path = Path(args.out or f"hourcap-export-{args.team_id}.zip")
    db = Database(settings.database_url)
    try:
        summary = export_team(db, args.team_id, path)
    except LookupError as missing:
        print(f"hourcap: {missing}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"hourcap: {sum(summary.counts.values())} rows of {len(summary.counts)} tables written to {path}")
    return 0


def cmd_keygen(_args: argparse.Namespace) -> int:
    from storage.crypto import generate_key

    print(generate_key())
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    run_demo = _sandbox("sandbox.demo", "demo").run_demo
    logging.getLogger().setLevel(logging.ERROR)  # the walkthrough's own output is the story
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return run_demo(build_runtime)


def cmd_sandbox(args: argparse.Namespace) -> int:
    if args.service == "xero":
        return int(_sandbox("sandbox.xero.cli", "sandbox xero").main(args.rest))
    return int(_sandbox("sandbox.slack", "sandbox slack").main(args.rest))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hourcap", description="Hour Cap: tracked time to Xero draft invoices.")
    top.add_argument("--log-level", default=os.environ.get("HOURCAP_LOG_LEVEL", "INFO"))
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app (Slack, Xero OAuth and webhooks, health checks)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the database schema at start")
    serve.add_argument("--xero-sandbox", action="store_true",
                       help="start the local Xero stand-in beside the app and connect to it instead of Xero")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run an RQ worker with the outbox relay and sweeper")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)
    sub.add_parser("keygen", help="print a new HOURCAP_ENCRYPTION_KEYS key").set_defaults(func=cmd_keygen)

    export = sub.add_parser("export", help="write a zip of all data held for a Slack workspace (JSON and CSV)")
    export.add_argument("team_id", help="the workspace's Slack team id (T…)")
    export.add_argument("--out", help="where to write the zip (default: hourcap-export-TEAM_ID.zip here)")
    export.set_defaults(func=cmd_export)
    doctor = sub.add_parser("doctor", help="check every setting and service; print what to fix (exit 1 if any fails)")
    doctor.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each service (default 5)")
    doctor.set_defaults(func=cmd_doctor)

    demo = sub.add_parser("demo", help="scripted walkthrough against the local Slack and Xero stand-ins")
    demo.set_defaults(func=cmd_demo)

    sandbox = sub.add_parser("sandbox", help="run a local stand-in for Slack or Xero")
    sandbox.add_argument("service", choices=("xero", "slack"))
    sandbox.add_argument("rest", nargs=argparse.REMAINDER)
    sandbox.set_defaults(func=cmd_sandbox)
    return top


def _log_format() -> str:
    """HOURCAP_LOG_FORMAT, read (with `.env`) before the command's settings so its first lines have the format."""
    from dotenv import load_dotenv

    from settings import log_format

    load_dotenv(override=False)
    return log_format(os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        logs.configure(args.log_level, _log_format())
        return int(args.func(args) or 0)
    except (SettingsError, SandboxMissing) as problem:
        print(f"hourcap: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
