"""Demo chapter: operations — Prometheus scrapes `/metrics` with its token (and is refused without it), and one
log line as HOURCAP_LOG_FORMAT=json writes it."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import httpx2

import logs

if TYPE_CHECKING:
    from sandbox.demo import Demo

METRICS_TOKEN = "demo-metrics-token-0123456789abcdef"
SHOWN = ('hourcap_http_request_duration_seconds_count{outcome="ok",surface="command"}',
         'hourcap_slack_api_calls_total{error="ok",method="views.publish"}',
         'hourcap_xero_calls_total{endpoint="Invoices",status="200"}',
         'hourcap_job_duration_seconds_count{outcome="done",task="invoice.push"}',
         'hourcap_xero_webhook_receipts_total{outcome="accepted"}',
         'hourcap_outbox_depth{kind="nudges.tick",status="pending"}',
         'hourcap_invoices{state="pushed"}')


def operations(demo: Demo) -> None:
    demo.chapter("26. Operations: Prometheus metrics behind a token, and JSON log lines")
    refused = httpx2.get(f"{demo.base_url}/metrics")
    demo.say(f"GET /metrics without the token → HTTP {refused.status_code}")
    scraped = httpx2.get(f"{demo.base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    demo.say(f"GET /metrics with Authorization: Bearer … → HTTP {scraped.status_code}, "
             f"{scraped.text.count(chr(10))} lines; a few of them:")
    for line in scraped.text.splitlines():
        if line.startswith(SHOWN):
            demo.say(f"  {line}")

    captured = io.StringIO()
    web_log = logging.getLogger("hourcap.web")
    written, level, propagate = logs.handler("json", captured), web_log.level, web_log.propagate
    web_log.addHandler(written)
    web_log.setLevel(logging.INFO)
    web_log.propagate = False  # shown below, not on the console
    try:
        httpx2.post(f"{demo.base_url}/slack/events", content=b'{"type":"event_callback"}',
                    headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64})
    finally:
        web_log.removeHandler(written)
        web_log.setLevel(level)
        web_log.propagate = propagate
    line = captured.getvalue().splitlines()[0] if captured.getvalue() else "(nothing logged)"
    demo.say("A forged request, as HOURCAP_LOG_FORMAT=json logs it (the request id is also its X-Request-Id):")
    demo.say(f"  {line}")


CHAPTERS = [operations]
