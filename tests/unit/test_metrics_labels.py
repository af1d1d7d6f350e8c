"""Metric labels stay bounded, the metrics and log-format settings refuse what they cannot use, and log lines
carry the ids of the request or job they belong to."""

from __future__ import annotations

import io
import json
import logging

import pytest

import logs
from bot.prompt_ack import AckingExecutor
from metrics import authorized, bounded, endpoint
from settings import SettingsError, load_settings

BASE = {"SLACK_SIGNING_SECRET": "s" * 20, "SLACK_BOT_TOKEN": "xoxb-1-2"}


@pytest.mark.parametrize(("path", "template"), [
    ("Invoices", "Invoices"),
    ("/Invoices/5f2c1a4e-8b1d-4f0e-9f6a-2d3c4b5a6978/History", "Invoices/{id}/History"),
    ("Invoices/INV-0001?summaryOnly=true", "Invoices/{id}"),
    ("Contacts/00000000-0000-0000-0000-000000000001", "Contacts/{id}"),
    ("Organisation", "Organisation"),
])
def test_xero_endpoints_are_templates_without_ids(path: str, template: str) -> None:
    assert endpoint(path) == template


def test_strange_label_values_become_other() -> None:
    assert bounded("chat.postMessage") == "chat.postMessage"
    assert bounded("not_in_channel") == "not_in_channel"
    assert bounded("x" * 65) == "other" and bounded("a b") == "other" and bounded("") == "other"


def test_only_the_exact_bearer_token_is_authorized() -> None:
    token = "t" * 32
    assert authorized(f"Bearer {token}", token)
    assert not authorized(token, token) and not authorized(f"Bearer {token}x", token)
    assert not authorized(None, token) and not authorized("Bearer ", token)


@pytest.mark.parametrize(("env", "variable"), [
    ({"HOURCAP_METRICS_PORT": "metrics"}, "HOURCAP_METRICS_PORT"),
    ({"HOURCAP_METRICS_PORT": "70000"}, "HOURCAP_METRICS_PORT"),
    ({"HOURCAP_METRICS_PORT": "3000"}, "HOURCAP_METRICS_PORT"),  # the web port itself
    ({"HOURCAP_METRICS_TOKEN": "short"}, "HOURCAP_METRICS_TOKEN"),
    ({"HOURCAP_LOG_FORMAT": "xml"}, "HOURCAP_LOG_FORMAT"),
])
def test_bad_metrics_and_log_settings_are_refused(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, **env})
    assert refused.value.variable == variable


def test_metrics_and_log_settings_are_read() -> None:
    settings = load_settings({**BASE, "HOURCAP_METRICS_PORT": "9102", "HOURCAP_METRICS_TOKEN": "m" * 32,
                              "HOURCAP_LOG_FORMAT": "JSON"})
    assert (settings.metrics_port, settings.metrics_token, settings.log_format) == (9102, "m" * 32, "json")
    assert "m" * 32 not in repr(settings)
    assert load_settings(BASE).log_format == "text" and load_settings(BASE).metrics_port is None


def test_a_json_line_carries_the_bound_ids_and_masks_secrets() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("hourcap.test.json")
    logger.addHandler(logs.handler("json", stream))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    with logs.bound(request_id="r1", job_id="j1"):
        logs.note(workspace_id=7, xero_correlation_id="c1")
        logger.info("refreshing with refresh_token=%s", "abcdefghijklmnop")
    logs.note(workspace_id=8)  # outside a request or job: not kept
    logger.info("after")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {k: first[k] for k in ("level", "logger", "request_id", "job_id", "workspace_id",
                                  "xero_correlation_id")} == {
        "level": "INFO", "logger": "hourcap.test.json", "request_id": "r1", "job_id": "j1", "workspace_id": 7,
        "xero_correlation_id": "c1"}
    assert "abcdefghijklmnop" not in first["message"] and "[redacted]" in first["message"]
    assert set(second) == {"time", "level", "logger", "message"}


def test_a_listener_logs_with_its_request_and_leaves_nothing_on_the_pool_thread() -> None:
    pool = AckingExecutor(max_workers=1)
    try:
        with logs.bound(request_id="req-1"):
            logs.note(workspace_id=3)

            def listener() -> dict[str, object]:
                seen = logs.current()
                logs.note(xero_correlation_id="corr-1")  # learnt by the listener, for its own lines only
                return seen

            assert pool.submit(listener).result(timeout=5) == {"request_id": "req-1", "workspace_id": 3}
        assert pool.submit(logs.current).result(timeout=5) == {}  # the next listener on that thread starts clean
    finally:
        pool.shutdown(wait=True)


@pytest.mark.parametrize("printed", [
    "body_params: {'code': 'SECRETVALUE.1234'}, files: {}",  # slack_sdk at DEBUG, oauth.v2.access
    "request: {'code': ['SECRETVALUE.1234'], 'state': ['SECRETSTATE-99']}",  # Bolt's OAuth callback at DEBUG
    '{"refresh_token": "SECRETVALUE.1234", "expires_in": 1800}',  # a token endpoint's JSON answer
    "grant_type=refresh_token&refresh_token=SECRETVALUE.1234&client_id=x",  # a form body
    "Authorization: Bearer SECRETVALUE.1234567",
])
def test_secrets_are_masked_however_a_library_prints_them(printed: str) -> None:
    masked = logs.redact(printed)
    assert "SECRETVALUE" not in masked and "SECRETSTATE" not in masked and "[redacted]" in masked


def test_view_state_and_other_json_are_left_as_they_are() -> None:
    printed = '"state": {"values": {}}, "callback_id": "", "code_review": "x"'
    assert logs.redact(printed) == printed
