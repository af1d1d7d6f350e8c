"""Socket Mode end to end: the real `hourcap serve` with SLACK_APP_TOKEN set, connected over a websocket to the
Slack stand-in (sandbox/slack_socket.py), which hands out the connection, delivers envelopes and records acks.

One served process answers the flows (commands, the Log time modal, Home, an unhandled button, a refresh and a
dropped connection) on a database of the module's own; the failing connect and the refused token each start a
process of their own, because what they test is how the process starts.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from sandbox.slack import SlackSandbox
from sandbox.slack_signer import SignedSlack, picked_date, selected, text_value
from sandbox.slack_socket import SocketAck
from storage.db import Database
from tests.support.catalog import Catalog, make_catalog
from tests.support.processes import HOURCAP, clean_env, free_port
from tests.support.services import clean
from tests.support.slack_app import entries_of, opened_view, today_in
from tests.support.workspace import ALICE, BOB, BOT_TOKEN, KIRI, SIGNING_SECRET, TEAM

APP_TOKEN = "xapp-1-A0HOURCAP-1-socketmodetests"


@dataclass
class Served:
    """`hourcap serve` on a loopback port, its output collected line by line."""

    process: subprocess.Popen[str]
    base_url: str
    metrics_url: str = ""
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            time.sleep(0.05)
        pytest.fail(f"no line with {text!r} within {timeout} s:\n{self.output()[-3000:]}")

    def healthz(self) -> int:
        return httpx2.get(f"{self.base_url}/healthz", timeout=2).status_code


@contextmanager
def serve(cwd: Path, slack_api: SlackSandbox, database_url: str, app_token: str) -> Iterator[Served]:
    port, metrics_port = free_port(), free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=app_token,
                    SLACK_API_URL=slack_api.base_url, PORT=str(port), DATABASE_URL=database_url,
                    HOURCAP_METRICS_PORT=str(metrics_port))
    process = subprocess.Popen([HOURCAP, "serve", "--host", "127.0.0.1", "--no-migrate"], env=env, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = Served(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics")
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: served.lines.extend(line.rstrip("\n") for line in stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if served.healthz() == 200:
                    break
            except httpx2.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"hourcap serve did not start:\n{served.output()[-3000:]}")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=5)


@pytest.fixture(scope="module")
def socket_db(database_url: str, encryption_keys: tuple[str, ...]) -> Iterator[Database]:
    """The session database, emptied once for this module: the served process caches who people are, so its
    rows must not be wiped under it between tests."""
    database = Database(database_url)
    clean(database)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def catalog(socket_db: Database) -> Catalog:
    return make_catalog(socket_db)


@pytest.fixture(scope="module")
def app_token(slack_sandbox_server: SlackSandbox) -> str:
    return slack_sandbox_server.add_app_token(APP_TOKEN, team_id=TEAM)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, slack_sandbox_server: SlackSandbox, database_url: str,
           catalog: Catalog, app_token: str) -> Iterator[Served]:
    opened = slack_sandbox_server.socket.connections_opened
    with serve(tmp_path_factory.mktemp("socket"), slack_sandbox_server, database_url, app_token) as running:
        slack_sandbox_server.wait_socket_connected(opened + 1)
        yield running


@pytest.fixture
def over_socket(served: Served, slack_api: SlackSandbox) -> SignedSlack:
    """Slack's payloads (as SignedSlack builds them) delivered over the served process's connection."""
    return slack_api.socket_slack(team_id=TEAM)


def text_of(ack: SocketAck) -> str:
    return json.dumps(ack.payload, ensure_ascii=False)


# ---------------------------------------------------------------- the flows, over the socket


def test_hours_command_is_answered_in_the_ack(over_socket: SignedSlack, slack_api: SlackSandbox,
                                              socket_db: Database) -> None:
    ack = slack_api.socket_send_command("2.5 acme-web Fixed the header", user=ALICE)
    assert ack.payload is not None and "Logged 2 h 30 min on Acme — Website" in text_of(ack)
    assert [(e.minutes, e.description) for e in entries_of(socket_db, ALICE)] == [(150, "Fixed the header")]
    assert slack_api.socket.protocol_errors == []


def test_log_time_modal_submission_stores_the_entry(over_socket: SignedSlack, slack_api: SlackSandbox,
                                                     socket_db: Database, catalog: Catalog) -> None:
    assert over_socket.command("", user=BOB).payload is None  # acked at once; the modal opens with the trigger
    view = opened_view(slack_api)
    assert view["callback_id"]
    values = {
        "project": {"value": selected(str(catalog.app))},
        "date": {"value": picked_date(today_in("America/Los_Angeles").isoformat())},
        "duration": {"value": text_value("1h30m")},
        "description": {"value": text_value("Design review")},
    }
    ack = over_socket.view_submission(view, values, user=BOB)
    assert ack.payload is None  # the modal closes
    [entry] = entries_of(socket_db, BOB)
    assert (entry.project_id, entry.minutes, entry.source) == (catalog.app, 90, "modal")
    [posted] = slack_api.wait_for("chat.postEphemeral")
    assert posted.params["user"] == BOB and "Logged 1 h 30 min on Acme — Mobile app" in posted.params["text"]


def test_app_home_opened_publishes_home(over_socket: SignedSlack, slack_api: SlackSandbox) -> None:
    ack = over_socket.home_opened(ALICE)
    assert ack.payload is None
    [publish] = slack_api.wait_for("views.publish", timeout=10)
    assert publish.params["user_id"] == ALICE and "Your week" in json.dumps(publish.params["view"])


def test_an_action_nothing_handles_gets_an_empty_ack(over_socket: SignedSlack, slack_api: SlackSandbox,
                                                     served: Served) -> None:
    ack = over_socket.home_action("no_such_action", user=ALICE, value="x")
    assert (ack.payload, ack.deliveries, ack.late) == (None, 1, False)
    assert slack_api.socket.protocol_errors == []
    assert "Traceback" not in served.output()


def test_envelopes_are_measured_like_requests_by_surface(over_socket: SignedSlack, slack_api: SlackSandbox,
                                                         served: Served) -> None:
    def commands() -> float:
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx2.get(served.metrics_url, timeout=10).text
        return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                   if sample.name == "hourcap_http_request_duration_seconds_count"
                   and sample.labels == {"surface": "command", "outcome": "ok"})

    before = commands()
    slack_api.socket_send_command("1 acme-web Measured", user=ALICE)
    assert commands() == before + 1


def test_refresh_requested_reconnects_without_losing_an_envelope(over_socket: SignedSlack, slack_api: SlackSandbox,
                                                                 served: Served) -> None:
    opened = slack_api.socket.connections_opened
    assert slack_api.request_refresh() == 1
    # Sent while the old connection no longer takes envelopes and before the new one is up: it waits for it.
    ack = slack_api.socket_send_command("help", user=ALICE)
    assert ack.payload is not None and "/hours" in text_of(ack)
    assert ack.connection > opened and len(slack_api.calls_to("apps.connections.open")) == 1
    served.wait_for_line("Slack asked for a new connection: refresh_requested")
    slack_api.socket.wait_up(1, timeout=5)  # the app let the replaced connection go once it was idle


def test_a_dropped_connection_redelivers_the_envelope_it_had_not_acknowledged(
        over_socket: SignedSlack, slack_api: SlackSandbox, served: Served) -> None:
    # KIRI's first contact asks Slack for her profile before the event is acknowledged: hold that call, so the
    # envelope is out on the connection, unacknowledged, when the connection drops.
    hold = slack_api.hold_next("users.info", user=KIRI)
    acks: list[SocketAck] = []
    sender = threading.Thread(target=lambda: acks.append(over_socket.home_opened(KIRI)))
    sender.start()
    try:
        assert hold.reached.wait(10)
        assert slack_api.drop_connection() == 1
    finally:
        hold.release()
    sender.join(20)
    [ack] = acks
    assert ack.deliveries == 2  # delivered again on the new connection, and acknowledged there
    served.wait_for_line("lost the connection to Slack (the connection dropped without a close frame)")
    slack_api.wait_for("views.publish", timeout=10)
    time.sleep(0.5)
    assert [c.params["user_id"] for c in slack_api.calls_to("views.publish")] == [KIRI]  # acted on once


# ---------------------------------------------------------------- how the process starts


def test_a_failing_connect_is_retried_with_backoff_while_the_web_serves(
        tmp_path: Path, slack_api: SlackSandbox, database_url: str, catalog: Catalog, app_token: str) -> None:
    opened = slack_api.socket.connections_opened
    slack_api.fail_next_connections_open(times=1000)  # Slack down until this test says otherwise
    with serve(tmp_path, slack_api, database_url, app_token) as served:
        attempts = slack_api.wait_for("apps.connections.open", 3, timeout=15)
        assert served.healthz() == 200 and slack_api.socket.connections_opened == opened
        slack_api.clear_faults()
        slack_api.wait_socket_connected(opened + 1, timeout=15)
        ack = slack_api.socket_send_command("help", user=ALICE)
        assert ack.payload is not None and "/hours" in text_of(ack)

        first, second = (later.at - earlier.at for earlier, later in zip(attempts[:2], attempts[1:3], strict=True))
        assert 0.5 <= first <= 1.5 and 1.0 <= second <= 2.5, (first, second)  # 1 s then 2 s, each half jitter
        served.wait_for_line("connected to Slack after 3 failed attempts")
        failed = [line for line in served.lines if "connecting to Slack failed" in line]
        assert [line.split("(attempt ")[1][:1] for line in failed] == ["1", "2", "3"]
        assert all("apps.connections.open answered internal_error" in line for line in failed)
        assert "Traceback" not in served.output()


def test_a_refused_token_is_one_line_and_the_web_stays_up(tmp_path: Path, slack_api: SlackSandbox,
                                                          database_url: str, catalog: Catalog) -> None:
    with serve(tmp_path, slack_api, database_url, "xapp-1-A0HOURCAP-9-revoked-or-mistyped") as served:
        line = served.wait_for_line("SLACK_APP_TOKEN")
        assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in line and "Not retrying" in line
        time.sleep(1.5)  # what a retry would need to show up
        assert len(slack_api.calls_to("apps.connections.open")) == 1
        assert [row for row in served.lines if "SLACK_APP_TOKEN" in row] == [line]
        assert "Traceback" not in served.output()
        assert served.healthz() == 200
        assert httpx2.get(f"{served.base_url}/readyz", timeout=2).status_code == 200
