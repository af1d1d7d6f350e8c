"""`hourcap doctor` against real parts: the test database (SQLite or PostgreSQL), real Redis, the Slack and Xero
stand-ins over loopback HTTP and Hour Cap's own web app serving /healthz. A good setup passes every check; each
broken setting fails its own check, and only that one, with a fix that names the variable to change."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage.migrate import upgrade
from tests.support.processes import HOURCAP, clean_env, free_port
from tests.support.services import redis_url_or_skip
from tests.support.workspace import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.support.xero_sandbox import running_sandbox
from web.doctor import doctor


@pytest.fixture(scope="module")
def xero_api() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def good_env(slack_sandbox_server: SlackSandbox, xero_api: XeroSandbox, database_url: str,
             encryption_keys: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Every setting right: the stand-ins, the migrated test database, Redis, and Hour Cap's web app on a port."""
    from app import build_runtime
    from settings import load_settings

    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack_sandbox_server.base_url, "DATABASE_URL": database_url,
        "REDIS_URL": redis_url_or_skip(), "HOURCAP_ENCRYPTION_KEYS": ",".join(encryption_keys),
        "XERO_CLIENT_ID": xero_api.client_id, "XERO_CLIENT_SECRET": xero_api.client_secret,
        "XERO_WEBHOOK_KEY": xero_api.webhook_key, "XERO_LOGIN_URL": xero_api.login_url,
        "XERO_IDENTITY_URL": xero_api.identity_url, "XERO_API_URL": xero_api.api_url,
        "XERO_CONNECTIONS_URL": xero_api.connections_url,
    }
    runtime = build_runtime(load_settings({k: v for k, v in env.items() if k != "REDIS_URL"}), start_jobs=False)
    server = make_server("127.0.0.1", 0, runtime.web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {**env, "HOURCAP_BASE_URL": f"http://127.0.0.1:{server.server_port}"}
    finally:
        server.shutdown()
        runtime.close()


def secrets_of(env: dict[str, str]) -> list[str]:
    keys = env["HOURCAP_ENCRYPTION_KEYS"].split(",")
    return [env[name] for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "XERO_CLIENT_SECRET",
                                   "XERO_WEBHOOK_KEY") if env.get(name)] + keys


# Generous: the parts are on loopback, but CI machines are busy (the dead ports refuse at once regardless).
TIMEOUT = "20"


def run(env: dict[str, str]) -> tuple[int, list[str]]:
    lines: list[str] = []
    status = doctor(env, out=lines.append, timeout=float(TIMEOUT))
    text = "\n".join(lines)
    for secret in secrets_of(env):
        assert secret[:8] not in text, f"a secret's start was printed:\n{text}"
    return status, lines


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("✗")]


def fix_after(lines: list[str], failure: str) -> str:
    after = lines[lines.index(failure) + 1]
    assert after.startswith("    fix: "), lines
    return after.removeprefix("    fix: ")


def test_a_good_setup_passes_every_check(good_env: dict[str, str]) -> None:
    status, lines = run(good_env)
    assert failures(lines) == [], "\n".join(lines)
    assert status == 0
    names = [line.split(":")[0] for line in lines if line.startswith("✓")]
    assert names == ["✓ Settings", "✓ Database", "✓ Database schema", "✓ Redis", "✓ Slack", "✓ Xero endpoints",
                     "✓ Xero credentials", "✓ Xero webhook key", "✓ Public URL"]
    assert "✓ Slack: the bot token works in Acme Studio (T0HOURCAP)" in "\n".join(lines)
    assert lines[-1] == "Everything checked is ready"


def test_the_oauth_install_passes_with_its_credentials_set(good_env: dict[str, str]) -> None:
    env = {k: v for k, v in good_env.items() if k != "SLACK_BOT_TOKEN"}
    env.update(SLACK_CLIENT_ID="1111.2222", SLACK_CLIENT_SECRET="oauth-client-secret")
    status, lines = run(env)
    assert (status, failures(lines)) == (0, [])
    assert any(line.startswith("✓ Slack: ") and "set for the OAuth install" in line for line in lines)
    assert "oauth-client-secret" not in "\n".join(lines)


def revoked_token(slack: SlackSandbox) -> str:
    token = slack.issue_bot_token(TEAM)
    slack.revoke_token(token)
    return token


# Each: what to change, the check that must fail (its line's start) and words its fix must hold.
BROKEN: dict[str, tuple[Any, str, tuple[str, ...]]] = {
    "unreachable database": (lambda env, tmp, slack: {"DATABASE_URL": f"postgresql://hourcap:pw-9f3k@127.0.0.1:"
                                                                       f"{free_port()}/hourcap"},
                             "✗ Database: PostgreSQL at 127.0.0.1:", ("DATABASE_URL",)),
    "schema behind": (lambda env, tmp, slack: {"DATABASE_URL": behind(tmp)},
                      "✗ Database schema: is at 0001; this code needs", ("hourcap migrate",)),
    "redis on a dead port": (lambda env, tmp, slack: {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/6"},
                             "✗ Redis: redis://127.0.0.1:", ("REDIS_URL",)),
    "revoked bot token": (lambda env, tmp, slack: {"SLACK_BOT_TOKEN": revoked_token(slack)},
                          "✗ Slack: Slack refused the bot token (token_revoked)", ("SLACK_BOT_TOKEN", "xoxb-")),
    "unknown bot token": (lambda env, tmp, slack: {"SLACK_BOT_TOKEN": "xoxb-never-issued"},
                          "✗ Slack: Slack refused the bot token (invalid_auth)", ("SLACK_BOT_TOKEN",)),
    "slack rate limiting": (lambda env, tmp, slack: (slack.fail_next("auth.test"), {})[1],  # not the token's fault
                            "✗ Slack: http://127.0.0.1:", ("SLACK_API_URL", "again in a minute")),
    "base url not serving": (lambda env, tmp, slack: {"HOURCAP_BASE_URL": f"http://127.0.0.1:{free_port()}"},
                             "✗ Public URL: http://127.0.0.1:", ("HOURCAP_BASE_URL", "hourcap serve")),
    "missing webhook key": (lambda env, tmp, slack: {"XERO_WEBHOOK_KEY": ""},
                            "✗ Xero webhook key: XERO_WEBHOOK_KEY is not set", ("XERO_WEBHOOK_KEY", "Webhooks")),
    "wrong xero secret": (lambda env, tmp, slack: {"XERO_CLIENT_SECRET": "not-the-secret-at-all"},
                          "✗ Xero credentials: Xero refused the app's credentials (invalid_client)",
                          ("XERO_CLIENT_ID and XERO_CLIENT_SECRET",)),
    "xero identity down": (lambda env, tmp, slack: {"XERO_IDENTITY_URL": f"http://127.0.0.1:{free_port()}/identity"},
                           "✗ Xero credentials: http://127.0.0.1:", ("XERO_IDENTITY_URL",)),
}


def behind(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'behind.db'}"
    upgrade(url, "0001")
    return url


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_setting_fails_its_check_with_a_named_fix(good_env: dict[str, str], tmp_path: Path,
                                                           slack_sandbox_server: SlackSandbox, case: str) -> None:
    change, failed, fix_words = BROKEN[case]
    env = {**good_env, **change(good_env, tmp_path, slack_sandbox_server)}
    status, lines = run(env)
    assert status == 1
    found = failures(lines)
    assert len(found) == 1 and found[0].startswith(failed), "\n".join(lines)
    fix = fix_after(lines, found[0])
    for words in fix_words:
        assert words in fix, fix
    assert "pw-9f3k" not in "\n".join(lines)  # the database URL's password


def test_every_malformed_setting_is_its_own_line_and_nothing_else_runs(good_env: dict[str, str]) -> None:
    env = {**good_env, "SLACK_BOT_TOKEN": "not-a-token", "PORT": "http",
           "DATABASE_URL": "mysql://hourcap:pw-9f3k@db/hourcap"}
    status, lines = run(env)
    assert status == 1
    assert failures(lines) == ["✗ Setting SLACK_BOT_TOKEN: is not valid", "✗ Setting DATABASE_URL: is not valid",
                               "✗ Setting PORT: is not valid"], "\n".join(lines)
    assert fix_after(lines, "✗ Setting PORT: is not valid") == ("PORT must be a TCP port number between 1 and 65535 "
                                                                "(got 'http')")
    assert "– Services: not checked until the settings above are fixed" in lines
    assert "pw-9f3k" not in "\n".join(lines)


def command(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOURCAP, "doctor", "--timeout", TIMEOUT], env=clean_env(**env), cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_command_exits_0_when_ready_and_1_with_the_fix_when_not(good_env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    ready = command(good_env, tmp_path)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.splitlines()[-1] == "Everything checked is ready"
    broken = {**good_env, "XERO_WEBHOOK_KEY": ""}
    refused = command(broken, tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    lines = refused.stdout.splitlines()
    assert failures(lines) == ["✗ Xero webhook key: XERO_WEBHOOK_KEY is not set: every Xero webhook is refused"]
    assert "XERO_WEBHOOK_KEY" in fix_after(lines, failures(lines)[0])
    assert refused.stderr == ""  # no traceback, no log noise: the checklist is the whole answer
