"""`hourcap doctor`: is this deployment ready? Every setting, then each service Hour Cap depends on, as a checklist
with the fix for each failure in plain words (which variable, what a good value looks like). Exit 1 when any check
fails, 0 otherwise.

The checks: every setting parses (each broken one its own line); the database answers and its schema is at the
code's head; Redis answers PING (when REDIS_URL is set); Slack accepts the bot token (`auth.test`), or, for the OAuth
install, the Web API answers and the app's credentials are set; Xero's endpoints answer, its token endpoint knows
XERO_CLIENT_ID/XERO_CLIENT_SECRET and XERO_WEBHOOK_KEY is set; HOURCAP_BASE_URL serves `/healthz`.

Every network check has a short timeout and they run side by side, so a host that never answers costs seconds,
not minutes. Nothing a check prints is a secret: URLs lose their user and password, and only variable names are
named, never their values.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from settings import Settings, SettingsError, load_settings

TIMEOUT = 5.0  # seconds, per network call (`hourcap doctor --timeout`)
OK, FAILED, NOTE = "✓", "✗", "–"
# Not a real refresh token: Xero's token endpoint answers `invalid_grant` for it when it knows the client, and
# `invalid_client` when XERO_CLIENT_ID/XERO_CLIENT_SECRET are wrong (RFC 6749, section 5.2). Nothing is granted.
PROBE_REFRESH_TOKEN = "hourcap-doctor-probe"  # noqa: S105 - a deliberately invalid value


# auth.test's errors that mean "this token will not work": anything else (ratelimited, fatal_error) is Slack's moment.
REFUSED_TOKEN = frozenset({"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed",
                           "not_allowed_token_type", "team_access_not_granted", "no_permission"})
_QUIET = logging.getLogger("hourcap.doctor.quiet")  # the checklist says what a client would log
_QUIET.disabled = True


@dataclass(frozen=True)
class Check:
    """One line of the checklist. `ok` None: nothing to check (said, not counted)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""


def _redact(text: str) -> str:
    """`scheme://user:password@host` → `scheme://user:***@host`, wherever it appears in `text`."""
    return re.sub(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/:@\s'\"]*):[^/@\s'\"]+@", r"\1:***@", text)


def _why(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    first = _redact(lines[0]).strip() if lines else ""
    return f"{exc.__class__.__name__}: {first[:160]}" if first else exc.__class__.__name__


def _where(url: str) -> str:
    """Scheme, host, port and path of `url`: never its user, password or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


# --- settings --------------------------------------------------------------------------------------------------


def check_settings(env: Mapping[str, str] | None) -> tuple[Settings | None, list[Check]]:
    """Load the settings, one line per broken variable: each found is set aside and loading tried again, so every
    independent problem shows at once (a missing Slack variable is then looked past, as `hourcap migrate` does)."""
    if env is None:
        import os

        from dotenv import load_dotenv

        load_dotenv(override=False)
        env = os.environ
    trial = dict(env)
    problems: list[Check] = []
    seen: set[str] = set()
    require_slack = True
    while True:
        try:
            settings = load_settings(trial, require_slack=require_slack)
        except SettingsError as problem:
            if problem.variable in seen:
                if not require_slack:
                    return None, problems
                require_slack = False  # it is missing and required: look for the others past it
                continue
            seen.add(problem.variable)
            said = _redact(str(problem)).removeprefix(f"{problem.variable} ")
            found, _, fix = said.partition(": ")
            if not fix:  # the message is one rule ("must be …"): the rule is the fix
                found, fix = "is not valid", f"{problem.variable} {said}"
            problems.append(Check(f"Setting {problem.variable}", False, found, fix=fix))
            name = problem.variable.removesuffix("_FILE")
            trial.pop(name, None)
            trial.pop(f"{name}_FILE", None)
            continue
        if problems:
            return None, problems
        mode = "OAuth install (many workspaces)" if settings.multi_workspace else "one workspace (SLACK_BOT_TOKEN)"
        transport = "Socket Mode" if settings.socket_mode else "HTTP"
        return settings, [Check("Settings", True, f"every setting parses: {mode}, {transport}")]


# --- services --------------------------------------------------------------------------------------------------


def _database_location(url: str) -> str:
    from sqlalchemy import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def check_database(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    from pathlib import Path

    from sqlalchemy import make_url

    from storage.migrate import applied_revisions, current_heads, known_revisions

    where = _database_location(settings.database_url)
    parsed = make_url(settings.database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return [Check("Database", False, f"{where} does not exist",
                      fix="run `hourcap migrate` to create it, or point DATABASE_URL at the right file "
                          "(sqlite:////absolute/path/hourcap.db)")]
    try:
        applied = applied_revisions(settings.database_url, connect_timeout=max(1, round(timeout)))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is this check's finding
        return [Check("Database", False, f"{where} did not answer ({_why(exc)})",
                      fix="check DATABASE_URL (postgresql://user:password@host:5432/dbname): the server must be "
                          "running and accept this user from here")]
    reachable = Check("Database", True, f"{where} answers")
    heads = current_heads(settings.database_url)
    if set(applied) == set(heads):
        return [reachable, Check("Database schema", True, f"at the latest revision ({', '.join(heads)})")]
    if not applied:
        found, fix = "has no tables of Hour Cap's yet", "run `hourcap migrate` (the Procfile's release step)"
    elif set(applied) - known_revisions(settings.database_url):
        found = f"is at {', '.join(applied)}, which this code does not know (it ends at {', '.join(heads)})"
        fix = "the database was migrated by a newer release: deploy that release here too"
    else:
        found = f"is at {', '.join(applied)}; this code needs {', '.join(heads)}"
        fix = "run `hourcap migrate` (the Procfile's release step)"
    return [reachable, Check("Database schema", False, found, fix=fix)]


def check_redis(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    if settings.redis_url is None:
        return [Check("Redis", None, "REDIS_URL is not set: jobs run inside `hourcap serve` (one process only); "
                                     "set it to run `hourcap worker` and more than one web instance")]
    import redis

    where = _where(settings.redis_url)
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except Exception as exc:  # noqa: BLE001
        return [Check("Redis", False, f"{where} did not answer PING ({_why(exc)})",
                      fix="check REDIS_URL (redis://host:6379/0, or rediss:// for TLS): the server must be running "
                          "and reachable from here")]
    return [Check("Redis", True, f"{where} answers PING")]


def check_slack(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    api = settings.slack_api_url
    client = WebClient(token=settings.slack_bot_token, base_url=api, timeout=max(1, round(timeout)),
                       retry_handlers=[], logger=_QUIET)
    try:
        answer = client.auth_test()
    except SlackApiError as refused:
        error = str(refused.response.get("error", "unknown"))
        if settings.multi_workspace and error == "not_authed":  # reachable; OAuth install has no token to test
            return [Check("Slack", True, f"{_where(api)} answers; SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                                         "SLACK_SIGNING_SECRET are set for the OAuth install")]
        if settings.multi_workspace or error not in REFUSED_TOKEN:
            return [Check("Slack", False, f"{_where(api)} answered auth.test with {error} "
                                          f"(HTTP {refused.response.status_code})",
                          fix="check SLACK_API_URL (https://slack.com/api/ unless you run a stand-in); if it is "
                              "Slack's, run the doctor again in a minute")]
        return [Check("Slack", False, f"Slack refused the bot token ({error})",
                      fix="SLACK_BOT_TOKEN no longer works: reinstall the app to the workspace and copy its Bot User "
                          "OAuth Token (xoxb-…) from the app's OAuth & Permissions page")]
    except Exception as exc:  # noqa: BLE001
        return [Check("Slack", False, f"{_where(api)} did not answer ({_why(exc)})",
                      fix="check SLACK_API_URL (https://slack.com/api/) and that this host may reach it over HTTPS")]
    if settings.multi_workspace:  # a Web API that accepts no token at all is not Slack's
        return [Check("Slack", False, f"{_where(api)} answered auth.test without a token",
                      fix="check SLACK_API_URL (https://slack.com/api/)")]
    return [Check("Slack", True, f"the bot token works in {answer.get('team')} ({answer.get('team_id')}) as "
                                 f"{answer.get('user')}")]


def check_xero(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    if not settings.xero_enabled:
        return [Check("Xero", False, "XERO_CLIENT_ID and XERO_CLIENT_SECRET are not set: no invoice can reach Xero",
                      fix="create a Web app in Xero's developer portal and copy its Client id and a Client secret "
                          "into XERO_CLIENT_ID and XERO_CLIENT_SECRET (HOURCAP_ENCRYPTION_KEYS is needed too)")]
    checks: list[Check] = []
    silent: list[str] = []
    with httpx2.Client(timeout=timeout) as http:
        for variable, url in (("XERO_LOGIN_URL", settings.xero_login_url), ("XERO_API_URL", settings.xero_api_url),
                              ("XERO_CONNECTIONS_URL", settings.xero_connections_url)):
            try:
                http.get(url)  # any answer (401 without a token, say) means the endpoint is there
            except httpx2.TransportError as exc:
                silent.append(f"{variable} ({_where(url)}: {exc.__class__.__name__})")
        checks.append(Check("Xero endpoints", False, "no answer from " + ", ".join(silent),
                            fix="check those variables (unset, they are Xero's own addresses) and that this host "
                                "may reach them over HTTPS") if silent
                      else Check("Xero endpoints", True, "the login, API and connections endpoints answer"))
        checks.append(_xero_client(http, settings))
    if settings.xero_webhook_key:
        checks.append(Check("Xero webhook key", True, "XERO_WEBHOOK_KEY is set"))
    else:
        checks.append(Check("Xero webhook key", False, "XERO_WEBHOOK_KEY is not set: every Xero webhook is refused",
                            fix="copy the webhook key from Xero's developer portal (your app → Webhooks) into "
                                "XERO_WEBHOOK_KEY"))
    return checks


def _xero_client(http: httpx2.Client, settings: Settings) -> Check:
    token_url = settings.xero_token_url
    credentials = base64.b64encode(f"{settings.xero_client_id}:{settings.xero_client_secret}".encode()).decode()
    try:
        answer = http.post(token_url, data={"grant_type": "refresh_token", "refresh_token": PROBE_REFRESH_TOKEN},
                           headers={"Authorization": f"Basic {credentials}"})
    except httpx2.TransportError as exc:
        return Check("Xero credentials", False, f"{_where(token_url)} did not answer ({_why(exc)})",
                     fix="check XERO_IDENTITY_URL (unset, it is https://identity.xero.com)")
    try:
        error = str(answer.json().get("error", ""))
    except ValueError:
        error = ""
    if error == "invalid_grant":
        return Check("Xero credentials", True, "Xero's token endpoint knows XERO_CLIENT_ID and XERO_CLIENT_SECRET")
    if error in ("invalid_client", "unauthorized_client"):
        return Check("Xero credentials", False, f"Xero refused the app's credentials ({error})",
                     fix="copy the Client id and a current Client secret from Xero's developer portal (your app → "
                         "Configuration) into XERO_CLIENT_ID and XERO_CLIENT_SECRET")
    return Check("Xero credentials", False, f"{_where(token_url)} answered HTTP {answer.status_code} "
                                            f"{error or 'without an OAuth error'}",
                 fix="check XERO_IDENTITY_URL (unset, it is https://identity.xero.com)")


def check_public_url(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    if settings.base_url is None:
        return [Check("Public URL", False, "HOURCAP_BASE_URL is not set: Xero's sign-in cannot return here",
                      fix="set HOURCAP_BASE_URL to the https address Slack and Xero reach this app at, e.g. "
                          "https://hourcap.example.com (no path)")]
    url = f"{settings.base_url}/healthz"
    try:
        answer = httpx2.get(url, timeout=timeout)
    except httpx2.TransportError as exc:
        return [Check("Public URL", False, f"{_where(url)} did not answer ({_why(exc)})",
                      fix="start `hourcap serve` behind that address, or correct HOURCAP_BASE_URL (the public "
                          "https address, e.g. https://hourcap.example.com)")]
    try:
        healthy = answer.status_code == 200 and answer.json().get("status") == "ok"
    except ValueError:
        healthy = False
    if not healthy:
        return [Check("Public URL", False, f"{_where(url)} answered HTTP {answer.status_code}, not Hour Cap's health",
                      fix="HOURCAP_BASE_URL must reach `hourcap serve` itself: check the proxy or load balancer "
                          "in front of it forwards every path")]
    return [Check("Public URL", True, f"{_where(url)} answers")]


SERVICE_CHECKS: tuple[Callable[[Settings, float], list[Check]], ...] = (
    check_database, check_redis, check_slack, check_xero, check_public_url)


def _safely(check: Callable[[Settings, float], list[Check]], settings: Settings, timeout: float) -> list[Check]:
    try:
        return check(settings, timeout)
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
        name = check.__name__.removeprefix("check_").replace("_", " ").capitalize()
        return [Check(name, False, f"the check itself failed ({_why(exc)})", fix="see the error above")]


def run_checks(env: Mapping[str, str] | None = None, *, timeout: float = TIMEOUT) -> list[Check]:
    settings, checks = check_settings(env)
    if settings is None:
        return [*checks, Check("Services", None, "not checked until the settings above are fixed")]
    with ThreadPoolExecutor(max_workers=len(SERVICE_CHECKS)) as pool:
        for found in pool.map(lambda check: _safely(check, settings, timeout), SERVICE_CHECKS):
            checks.extend(found)
    return checks


def render(checks: list[Check]) -> list[str]:
    lines = []
    for check in checks:
        mark = NOTE if check.ok is None else OK if check.ok else FAILED
        lines.append(f"{mark} {check.name}: {check.detail}")
        if check.ok is False and check.fix:
            lines.append(f"    fix: {check.fix}")
    failed = sum(1 for check in checks if check.ok is False)
    lines.append(f"{failed} check(s) failed" if failed else "Everything checked is ready")
    return lines


def doctor(env: Mapping[str, str] | None = None, *, out: Callable[[str], None] = print,
           timeout: float = TIMEOUT) -> int:
    """Print the checklist; 1 when any check failed, else 0. `timeout`: seconds for each network call."""
    checks = run_checks(env, timeout=timeout)
    for line in render(checks):
        out(line)
    return 1 if any(check.ok is False for check in checks) else 0
