"""Xero's webhook sender: signed, batched, sequenced, retried, with the intent-to-receive handshake.

Signature: ``x-xero-signature`` = base64(HMAC-SHA256(key = webhook key as UTF-8 text, message = raw body
bytes)). Receivers must answer 200 with an empty body for a good signature and 401 for a bad one, within
5 seconds. Events are batched (``batch_delay`` seconds of sandbox time) and numbered with a sequence; a failed
delivery is retried on a schedule of sandbox time for up to 24 hours, then the webhook is disabled. Events are
only delivered while the webhook status is ``OK``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx2

from .clock import SandboxClock
from .dates import event_timestamp

RETRY_DELAYS = (10, 30, 60, 300, 900, 3600)
GIVE_UP_AFTER = timedelta(hours=24)
RESPONSE_DEADLINE = 5.0
MAX_EVENTS_PER_DELIVERY = 500  # a payload stays well under a receiver's body limit, however big the burst


def sign(body: bytes, key: str) -> str:
    """Exactly Xero's signature: base64 of HMAC-SHA256 over the raw bytes, keyed by the key's UTF-8 text."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def new_webhook_key() -> str:
    return base64.b64encode(secrets.token_bytes(48)).decode("ascii")


def _entropy(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(20))


@dataclass
class Delivery:
    body: bytes
    first_sequence: int
    last_sequence: int
    first_at: datetime
    next_at: datetime
    attempts: int = 0
    duplicate: bool = False


@dataclass
class DeliveryRecord:
    first_sequence: int
    last_sequence: int
    attempt: int
    status: int | None
    error: str
    body: bytes
    duplicate: bool


@dataclass
class IntentCheck:
    signed_correctly: bool
    status: int | None
    body_empty: bool
    seconds: float
    passed: bool


@dataclass
class IntentResult:
    passed: bool
    checks: list[IntentCheck]


@dataclass
class WebhookSender:
    clock: SandboxClock
    resource_base: Callable[[], str]
    key: str = field(default_factory=new_webhook_key)
    url: str | None = None
    status: str = "UNCONFIGURED"
    batch_delay: float = 0.5
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _pending_since: datetime | None = None
    _outbox: list[Delivery] = field(default_factory=list)
    _sequence: int = 0
    _duplicates: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def configure(self, url: str, key: str | None = None) -> None:
        with self._lock:
            self.url = url
            if key is not None:
                self.key = key
            self.status = "OK"

    def emit(self, tenant_id: str, category: str, event_type: str, resource_id: str) -> None:
        """Queue one event (CONTACT/INVOICE, CREATE/UPDATE) for the next batch."""
        collection = {"CONTACT": "Contacts", "INVOICE": "Invoices"}[category]
        with self._lock:
            if self.status != "OK" or not self.url:
                return
            now = self.clock.now()
            self._pending.append(
                {
                    "resourceUrl": f"{self.resource_base()}/{collection}/{resource_id}",
                    "resourceId": resource_id,
                    "eventDateUtc": event_timestamp(now),
                    "eventType": event_type,
                    "eventCategory": category,
                    "tenantId": tenant_id,
                    "tenantType": "ORGANISATION",
                }
            )
            self._pending_since = self._pending_since or now

    def duplicate_next(self, count: int = 1) -> None:
        """Deliver each of the next ``count`` payloads twice (Xero's delivery is at least once)."""
        with self._lock:
            self._duplicates += count

    def _batch(self, force: bool) -> None:
        now = self.clock.now()
        with self._lock:
            if not self._pending or self._pending_since is None:
                return
            if not force and (now - self._pending_since).total_seconds() < self.batch_delay:
                return
            pending, self._pending, self._pending_since = self._pending, [], None
            for start in range(0, len(pending), MAX_EVENTS_PER_DELIVERY):  # a burst goes out in several payloads
                events = pending[start:start + MAX_EVENTS_PER_DELIVERY]
                first = self._sequence + 1
                self._sequence += len(events)
                payload = {
                    "events": events,
                    "firstEventSequence": first,
                    "lastEventSequence": self._sequence,
                    "entropy": _entropy(random.Random()),
                }
                delivery = Delivery(json.dumps(payload).encode("utf-8"), first, self._sequence, now, now)
                self._outbox.append(delivery)
                if self._duplicates > 0:
                    self._duplicates -= 1
                    self._outbox.append(Delivery(delivery.body, first, self._sequence, now, now, duplicate=True))

    def flush(self) -> int:
        """Batch whatever is pending now and send every delivery that is due; returns how many were sent."""
        self._batch(force=True)
        return self._send_due()

    def _send_due(self) -> int:
        sent = 0
        with self._send_lock:
            now = self.clock.now()
            with self._lock:
                due = [d for d in self._outbox if d.next_at <= now]
                url, key = self.url, self.key
            for delivery in due:
                if url is None:
                    break
                delivery.attempts += 1
                status, error = self._post(url, key, delivery.body)
                sent += 1
                self.deliveries.append(
                    DeliveryRecord(
                        delivery.first_sequence,
                        delivery.last_sequence,
                        delivery.attempts,
                        status,
                        error,
                        delivery.body,
                        delivery.duplicate,
                    )
                )
                with self._lock:
                    if status == 200:
                        self._outbox.remove(delivery)
                    elif now - delivery.first_at >= GIVE_UP_AFTER:
                        self._outbox.clear()
                        self.status = "DISABLED"
                        break
                    else:
                        step = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
                        delivery.next_at = now + timedelta(seconds=step)
        return sent

    @staticmethod
    def _post(url: str, key: str, body: bytes, signature: str | None = None) -> tuple[int | None, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-xero-signature": signature or sign(body, key),
            "User-Agent": "Xero-Webhooks-Sandbox",
        }
        try:
            response = httpx2.post(url, content=body, headers=headers, timeout=RESPONSE_DEADLINE)
        except httpx2.HTTPError as error:
            return None, type(error).__name__
        return response.status_code, ""

    def intent_to_receive(self, rounds: int = 6, seed: int | None = None) -> IntentResult:
        """Xero's handshake: empty event lists, sequences 0, odd spacing, good and bad signatures mixed.

        Every good one must get 200 with an empty body and every bad one 401, each within 5 seconds; the
        webhook is ``OK`` only if all pass.
        """
        rng = random.Random(seed)
        pattern = [True, False] + [rng.random() < 0.5 for _ in range(max(0, rounds - 2))]
        rng.shuffle(pattern)
        checks = []
        for good in pattern:
            body = self._odd_spacing(
                {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy(rng)}, rng
            )
            signature = sign(body, self.key) if good else sign(body, new_webhook_key())
            started = datetime.now()
            status, body_empty = None, False
            try:
                response = httpx2.post(
                    self.url or "",
                    content=body,
                    timeout=RESPONSE_DEADLINE,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "x-xero-signature": signature,
                    },
                )
                status, body_empty = response.status_code, response.content == b""
            except httpx2.HTTPError:
                pass
            seconds = (datetime.now() - started).total_seconds()
            ok = seconds <= RESPONSE_DEADLINE and (
                (good and status == 200 and body_empty) or (not good and status == 401)
            )
            checks.append(IntentCheck(good, status, body_empty, seconds, ok))
        passed = all(c.passed for c in checks)
        with self._lock:
            self.status = "OK" if passed else "INTENT_TO_RECEIVE_REQUIRED"
        return IntentResult(passed, checks)

    @staticmethod
    def _odd_spacing(payload: dict[str, Any], rng: random.Random) -> bytes:
        """Irregular whitespace, so a receiver that re-serialises before hashing fails the check."""
        style = rng.choice([(None, (", ", ": ")), (2, (",", ": ")), (None, (",", ":")), (4, (" ,", " : "))])
        text = json.dumps(payload, indent=style[0], separators=style[1])
        return (" " * rng.randint(0, 2) + text + "\n" * rng.randint(0, 2)).encode("utf-8")

    # -- background delivery ----------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="xero-sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=6)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._batch(force=False)
            self._send_due()
