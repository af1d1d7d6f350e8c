"""Serving the web app under gunicorn (HTTP mode), or beside a Socket Mode connection.

Each gunicorn worker builds its own runtime after the fork (database pools and job threads do not survive a
fork). In Socket Mode Slack's payloads arrive over one websocket, so exactly one worker holds it
(web/socket_mode.py: it connects in the background, so the web routes — Xero OAuth and webhooks, health checks —
serve whatever Slack answers, and closes when the worker exits).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from settings import Settings

log = logging.getLogger("hourcap.server")
RuntimeBuilder = Callable[..., Any]


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, build: RuntimeBuilder, options: dict[str, Any]) -> None:
        self._settings = settings
        self._build = build
        self._options = options
        self.runtime: Any = None
        self.socket_mode: Any = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("child_exit", _child_exit)
        if self._settings.metrics_port is not None:
            self.cfg.set("when_ready", self._serve_metrics)
        if self._settings.log_format == "json":
            self.cfg.set("logger_class", json_logger_class())

    def _serve_metrics(self, _arbiter: Any) -> None:
        """HOURCAP_METRICS_PORT: the master serves the scrape of every worker's figures (multiprocess mode), plus
        the database gauges through an engine of its own that holds no connection between scrapes (NullPool),
        so nothing open is inherited by the workers it forks."""
        from sqlalchemy.pool import NullPool

        import metrics
        from storage.db import Database
        from storage.gauges import DatabaseGauges

        assert self._settings.metrics_port is not None
        gauges = DatabaseGauges(Database(self._settings.database_url, poolclass=NullPool))
        metrics.serve_port(self._settings.metrics_port, gauges)
        log.info("metrics on port %s", self._settings.metrics_port)


    def load(self) -> Any:
        self.runtime = self._build(self._settings)
        if self._settings.socket_mode:
            from web.socket_mode import SocketMode

            assert self._settings.slack_app_token is not None
            self.socket_mode = SocketMode(self.runtime.bolt_app, self._settings.slack_app_token,
                                          api_url=self._settings.slack_api_url).start()
        return self.runtime.web_app

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()


def control_socket_path(port: int) -> str:
    """Where this instance's gunicorn control socket (for `gunicornc -s PATH`) lives: one path per port.

    gunicorn's default is one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl), which
    it unlinks when it starts and again when it stops: a second `hourcap serve` on the host took the socket over,
    and the first one to stop deleted the other's. Two instances on one host never share a port, so the port names
    the socket; a restart on the same port replaces its own stale file."""
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(runtime_dir) if runtime_dir and os.path.isdir(runtime_dir) else Path.home() / ".gunicorn"
    return str(folder / f"hourcap-{port}.ctl")


def _child_exit(_arbiter: Any, worker: Any) -> None:
    """In the master, when a worker has exited: multiprocess metrics bookkeeping for its pid."""
    import metrics

    metrics.process_exited(worker.pid)


def json_logger_class() -> type:
    """gunicorn's logger with its access and error lines written as JSON objects, masked like ours
    (HOURCAP_LOG_FORMAT=json)."""
    from gunicorn.glogging import Logger

    import logs

    class JsonLogger(Logger):  # type: ignore[misc]
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for logger in (self.error_log, self.access_log):
                for handler in logger.handlers:
                    handler.setFormatter(logs.JsonFormatter())
                    handler.addFilter(logs.RedactingFilter())

    return JsonLogger


def serve(settings: Settings, build: RuntimeBuilder, *, workers: int, threads: int, host: str) -> int:
    options = {
        "bind": f"{host}:{settings.port}",
        "workers": 1 if settings.socket_mode else max(1, workers),
        "worker_class": "gthread",
        "threads": max(1, threads),
        "timeout": 30,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        # Path without the query string: OAuth callbacks carry codes and state there.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s',  # web/observe.py's id
        "control_socket": control_socket_path(settings.port),
    }
    log.info("Hour Cap listening on %s (%s mode, %s)", options["bind"],
             "Socket" if settings.socket_mode else "HTTP",
             "multi-workspace" if settings.multi_workspace else "single workspace")
    _Gunicorn(settings, build, options).run()
    return 0
