"""The `hourcap` command as operators and outside checks use it: a real process over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import SlackSandbox
from tests.support.processes import HOURCAP, clean_env, free_port
from tests.support.workspace import ALICE, BOT_TOKEN, SIGNING_SECRET, TEAM


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOURCAP, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_missing_signing_secret_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("serve", env=clean_env(SLACK_BOT_TOKEN=BOT_TOKEN), cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["hourcap: SLACK_SIGNING_SECRET is missing: copy the Signing Secret from your Slack app's "
                     "Basic Information page"]


@pytest.mark.parametrize(("env", "variable"), [
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": BOT_TOKEN, "PORT": "http"}, "PORT"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": BOT_TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": BOT_TOKEN, "HOURCAP_ENCRYPTION_KEYS": "short"},
     "HOURCAP_ENCRYPTION_KEYS"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"}, "HOURCAP_ENCRYPTION_KEYS"),
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": "ftp:x"}, "SLACK_API_URL"),
])
def test_malformed_settings_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    result = run_cli("serve", env=clean_env(**env), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"hourcap: {variable} ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["demo"], ["sandbox", "xero"], ["sandbox", "slack"], ["serve", "--xero-sandbox"]])
def test_commands_needing_the_sandbox_say_how_to_install_it(tmp_path: Path, command: list[str]) -> None:
    # A process in which `import sandbox` fails as it does when hourcap-sandbox is not installed (None in
    # sys.modules makes the import system raise ModuleNotFoundError for it); the rest is the real command.
    code = f"import sys; sys.modules['sandbox'] = None; import app; sys.exit(app.main({command!r}))"
    env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN)
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"hourcap: `hourcap {' '.join(command)}` needs the local Slack and Xero stand-ins, which are not installed: "
        "run `pip install -e ./sandbox` in the repository (or `make install`)"]


def test_the_installed_command_finds_the_sandbox_from_any_directory(tmp_path: Path) -> None:
    result = run_cli("sandbox", "xero", "--help", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: hourcap sandbox xero")


def test_settings_can_come_from_files(tmp_path: Path) -> None:
    from settings import load_settings

    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    settings = load_settings({"SLACK_SIGNING_SECRET_FILE": str(secret_file), "SLACK_BOT_TOKEN": BOT_TOKEN})
    assert settings.slack_signing_secret == "from-a-file"


@pytest.fixture
def served(tmp_path: Path, slack_api: SlackSandbox) -> Iterator[str]:
    port = free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack_api.base_url,
                    PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'served.db'}")
    process = subprocess.Popen([HOURCAP, "serve", "--host", "127.0.0.1", "--workers", "1"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"hourcap serve did not start:\n{output[-3000:]}")
            time.sleep(0.2)
        slack_api.reset_calls()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _signed(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp or int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body.decode())
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature), "Content-Type": "application/json"}


def test_served_app_publishes_home_and_refuses_bad_requests(served: str, slack_api: SlackSandbox) -> None:
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A0HOURCAP", "event_id": "EvSERVE1",
                       "event_time": int(time.time()),
                       "event": {"type": "app_home_opened", "user": ALICE, "channel": "D1", "tab": "home",
                                 "event_ts": "1.0"}}).encode()
    for headers in (
        {**_signed(body), "X-Slack-Signature": "v0=" + "1" * 64},  # forged
        _signed(body, timestamp=int(time.time()) - 600),  # stale
        {"Content-Type": "application/json"},  # unsigned
        {**_signed(body), "X-Slack-Request-Timestamp": "soon"},  # malformed
    ):
        assert httpx2.post(f"{served}/slack/events", content=body, headers=headers).status_code == 401
    time.sleep(0.3)
    assert slack_api.calls == []
    assert httpx2.post(f"{served}/slack/events", content=body, headers=_signed(body)).status_code == 200
    publish = slack_api.wait_for("views.publish", timeout=10)[0]
    assert publish.params["user_id"] == ALICE
    ready = httpx2.get(f"{served}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
