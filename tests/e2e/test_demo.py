"""`make demo` keeps working: the walkthrough runs end to end and tells the story it promises."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import logs
from app import build_runtime
from sandbox.demo import Demo, all_chapters, run_demo

# A Slack token or Xero JWT whole: the masking keeps a few leading characters only.
WHOLE_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}"
                         r"|eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}")


def _secrets(demo: Demo) -> set[str]:
    """Every secret the walkthrough used: Hour Cap's settings, and what both stand-ins issued (tokens, codes)."""
    settings = demo.runtime.settings
    found = {settings.slack_signing_secret, settings.slack_client_secret, settings.xero_client_secret,
             settings.xero_webhook_key, settings.metrics_token, *settings.encryption_keys}
    slack = demo.slack_api.state
    found |= set(slack.tokens) | set(slack.grants)
    identity = demo.runtime.extras["xero"].state.identity
    found |= set(identity.codes) | set(identity.refresh_tokens) | set(identity.access_tokens)
    return {secret for secret in found if secret and len(secret) >= 8}


def test_demo_walkthrough_runs_end_to_end() -> None:
    lines: list[str] = []
    secrets: set[str] = set()
    captured = io.StringIO()
    root, written = logging.getLogger(), logs.handler("json", captured)  # what HOURCAP_LOG_FORMAT=json writes
    level = root.level
    root.setLevel(logging.DEBUG)  # HOURCAP_LOG_LEVEL=DEBUG, the most an operator can turn on: Bolt and slack_sdk
    # then print whole requests, OAuth codes included
    root.addHandler(written)
    try:
        assert run_demo(build_runtime, out=lines.append,
                        chapters=[*all_chapters(), lambda demo: secrets.update(_secrets(demo))]) == 0
    finally:
        root.removeHandler(written)
        root.setLevel(level)
    text = "\n".join(lines)
    # Every log line of the walkthrough is one JSON object, and none holds a secret it used.
    log_lines = captured.getvalue().splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in log_lines]
    assert len(records) > 50 and all({"level", "logger", "message"} <= set(r) for r in records)
    assert any("request_id" in r for r in records) and any("job_id" in r and "workspace_id" in r for r in records)
    assert any("xero_correlation_id" in r for r in records)
    assert len(secrets) > 10
    leaked = {s[:6] for s in secrets if any(s in line for line in log_lines)}
    assert not leaked, f"secrets in the logs (first characters): {leaked}"
    assert not [line for line in log_lines if WHOLE_TOKEN.search(line)]
    # 26: operations
    assert "GET /metrics without the token → HTTP 401" in text and "with Authorization: Bearer … → HTTP 200" in text
    assert 'hourcap_http_request_duration_seconds_count{outcome="ok",surface="command"} ' in text
    assert 'hourcap_invoices{state="pushed"} ' in text
    assert "Slack redirected back to /slack/oauth_redirect: HTTP 200" in text
    assert "## Team" in text and "Owner" in text
    assert "made you manager in Hour Cap" in text
    assert "Only admins and the owner can change roles" in text
    assert "HTTP 401" in text
    assert "views.publish(user_id=U0OLIVIA)" in text
    # clients and projects from Home's modals, with a field error and a member refused
    assert "Codes use letters, digits, - and _ only" in text
    assert "Retainer 3,000.00/month incl. 40 h" in text
    assert "Only managers, admins and the owner can manage clients and projects" in text
    # time tracking: text, the form, a timer, the week list with edit and delete
    assert "Logged 2 h 30 min on Acme — Website" in text
    assert "I couldn't find a project “acme”" in text  # ambiguous → the pre-filled form, never a guess
    assert "a day holds at most 24 h" in text
    assert "Logged 3 h on Acme — Website" in text and "field error" in text
    assert "Logged 47 min on Acme — Website" in text
    assert "Saved 2 h 45 min on Acme — Website" in text and ":wastebasket: Deleted " in text
    # Xero: the real redirect dance with the organisation chooser, disconnect, reconnect to another organisation
    assert "Connected to Kiwi Ventures Ltd" in text and "DELETE /connections/" in text
    assert "Disconnected from Kiwi Ventures Ltd" in text and "Connected to Demo Company (NZ)" in text
    assert "so it no longer lists Hour Cap: DELETE /connections/" in text
    # Xero data: the first sync, the wizard (with a field error), mapping three ways, a webhook rename
    assert "Last synced from Xero" in text and "Payment terms are a whole number of days from 1 to 365" in text
    assert "Auto-matched → *Bayside Club*" in text and "Linked by hand → *Acme Ltd*" in text
    assert "Created in Xero → *Globex*" in text and "Xero setup is done" in text
    assert "Xero contact: *Acme Ltd*. To link another" in text
    assert "now reads “Bayside Sports Club”" in text
    # invoices: the modal's live preview in every grouping and mode, one created and queued
    assert "Subtotal *NZ$530.00*" in text and "Grouping → member" in text  # the organisation's NZ dollars
    assert "— overage, " in text and "Total NZ$3,703.00" in text
    assert "Invoice INV-0001 for Acme queued" in text
    assert "…and 1,980 more lines (the invoice holds all 2,000)." in text and "2,000 entries · Acme" in text
    # the push: the draft in Xero equals the preview; an archived contact fails, alerts, and Retry fixes it
    assert "Draft INV-0001 for Acme" in text and "→ equal to the cent" in text
    assert "The contact has been archived" in text and "[Retry] [Cancel invoice]" in text
    assert "Resolved: invoice INV-0002 is in Xero" in text
    assert "INV-0003 is marked “check in Xero”: Xero holds total 9,999.00, Hour Cap sent 3,450.00." in text
    assert "Check in Xero: draft" in text
    # month-end: one draft per client for last month, confirmed, pushed together
    assert "Create *2* draft invoices for" in text and "Acme — nothing to bill" in text
    assert "Xero received them in 1 request(s)" in text
    # Socket Mode: the same app on a websocket it opens itself; an unhandled button acked, a refresh survived
    assert "answered in the ack on the socket" in text and "acknowledged empty, so Slack shows no timeout" in text
    assert "Slack asks for a fresh connection (refresh_requested)" in text and "apps.connections.open()" in text
    # after the push: Xero approves and the client pays one draft, another is deleted; Hour Cap follows, reading
    # only its own invoices; a manager releases the deleted draft's entries and they land on the next invoice
    assert "it read back only its own invoices (GET /Invoices?createdByMyApp=true&summaryOnly=true, " in text
    assert "Invoice INV-0001 for Acme: Paid " in text and ":wastebasket: Deleted in Xero" in text
    assert "Released 2 time entries of invoice INV-0005" in text and "Its time entries were released" in text
    assert "INV-0001 was paid: its 3 entries stay locked on it." in text
    assert "INV-0006 for City Agency bills 2 entries" in text
    # 21: a report by client; the CSV and the chart arrive in the DM through files upload (slack_file image)
    assert "/hours report last month by client (answered in the ack" in text and "uninvoiced" in text
    assert "date,member,client,project,code,description,raw_minutes" in text and "UTF-8 with BOM" in text
    assert "came as an image block with slack_file F" in text and "report-chart.png" in text
    assert "% of the 40 h included in" in text and "[Report]" in text  # the budget alert DM
    # 22: timesheet approval — submit, sent back with a note, fixed and resubmitted, approved, then locked; the
    # preview of approved time only names who was left out
    assert "Submit your week of Mon" in text and "was sent back by alice: “Homepage build was 1.5 h" in text
    assert "Approved by alice. Its time is locked." in text
    assert "Bob presses Edit on the approved entry → The week of" in text and "can't be edited" in text
    assert "unapproved entries in this range (" in text and "carol 1" in text
    # 23: habits — one line for several people, time from a message with its link, reminders at 17:00 local
    assert "Logged for 3 people — 30 min on Acme — Website: Standup; 1 skipped" in text
    assert "DM to U0KIRI: alice logged time for you" in text
    assert "|:link: message>" in text and "on the home page (https://acme.example/home)" in text
    assert "= 17:00 for U0KIRI: a reminder DM" in text and "= 17:00 for U0LUIS: a reminder DM" in text
    assert "each person was reminded once" in text
    # 25: the monthly summary switched on from Home and sent on the 1st at 09:00 London; alerts in a channel
    assert "[Reports] [Monthly summary: on]" in text
    assert "In #globex-launch (Hour Cap is a member):" in text and "*Launch film* (Globex) has used 80%" in text
    assert "could not be posted in <#C0GLOBPRIV>: Hour Cap can't see that channel" in text
    assert "Olivia's DM: Monthly summary, " in text and "monthly-summary-chart.png" in text
    assert "managers told, once each; one more tick that day records 0." in text
    # 24: money and dates — a manager may not pick the locale; German separators and month names, then en-NZ's $
    assert "Only admins and the owner can change how money and dates are shown" in text
    assert "*Money and dates:* 1.234,50\u00a0NZ$ · Di. 3 Nov. 2026 · November 2026" in text
    assert ("/hours help → • Dates: `today`, `yesterday`, a weekday (`mon`: the most recent one), `2024-11-24`, or "
            "`11/24` (month/day)") in text
    assert text.count("(`mon`: the most recent one), `2024-11-24`, or `24/11` (day/month)") == 1  # back to en-NZ
    assert "· Acme · 609,50\u00a0NZ$ · " in text and "· Acme · $609.50 · " in text
    # 27: hourcap doctor against the stand-ins: all good, then the webhook key left out (exit 1, the fix named)
    assert "✓ Database schema: at the latest revision" in text and "– Redis: REDIS_URL is not set" in text
    assert "set for the OAuth install" in text and "✓ Xero credentials: " in text and "✓ Public URL: " in text
    assert "Everything checked is ready\n  → exit status 0" in text
    assert "✗ Xero webhook key: XERO_WEBHOOK_KEY is not set" in text and "→ exit status 1" in text
    assert "fix: copy the webhook key from Xero's developer portal (your app → Webhooks) into XERO_WEBHOOK_KEY" in text
    # 28: the export by DM, then uninstall (tokens gone at once, Xero revoked) and a reinstall that restores it all
    assert ".zip in Olivia's DM, " in text and "time_entries.json, time_entries.csv: " in text
    assert "Slack tokens stored for Acme Studio: 0" in text and "revoked at Xero: True" in text
    assert "after the reinstall: the same " in text
    assert "Hour Cap was reinstalled and everything it kept is back" in text
