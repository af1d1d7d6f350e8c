"""Everything one sandbox instance knows, in one place the HTTP handlers and the Python API share."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import SandboxClock
from .faults import Alterations, Faults
from .idempotency import IdempotencyStore
from .models import Contact, Invoice, Tenant
from .oauth_store import IdentityStore, User
from .ratelimit import RateLimiter
from .webhooks import WebhookSender


@dataclass
class Settings:
    """Behaviour switches for what Xero leaves unconfirmed (PKCE, rounding mode...), plus test conveniences."""

    auto_consent: bool = False
    require_pkce: bool = False
    rounding: str = "half_up"
    idempotency_mismatch_status: int = 400
    latency_seconds: float = 0.0  # added to every admitted API call (inside its in-flight slot) and token call


@dataclass
class Call:
    """One request as the inspection API reports it."""

    method: str
    path: str
    tenant_id: str | None
    client_id: str | None
    status: int
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "status": self.status,
            "at": self.at.isoformat(),
        }


@dataclass
class SandboxState:
    clock: SandboxClock
    identity: IdentityStore
    limiter: RateLimiter
    webhooks: WebhookSender
    faults: Faults = field(default_factory=Faults)
    alterations: Alterations = field(default_factory=Alterations)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    settings: Settings = field(default_factory=Settings)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # Invoices an app was shown that another app (or a person in Xero) created: (client id, invoice id, request).
    foreign_invoice_reads: list[tuple[str, str, str]] = field(default_factory=list)
    pending_consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    consenting_user_id: str = ""
    base_url: str = ""
    data_lock: threading.RLock = field(default_factory=threading.RLock)
    calls_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def identity_url(self) -> str:
        return f"{self.base_url}/identity"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api.xro/2.0"

    def current_user(self) -> User:
        return self.identity.users[self.consenting_user_id]

    def tenant(self, tenant_id: str) -> Tenant | None:
        return next((t for t in self.tenants.values() if t.tenant_id.lower() == tenant_id.lower()), None)

    def record_call(self, call: Call) -> None:
        with self.calls_lock:
            self.calls.append(call)

    def invoices_read(self, client_id: str, invoices: Iterable[Invoice], request: str) -> None:
        """Note every invoice in an answer that the asking app did not create (reading those is not its business)."""
        with self.calls_lock:
            self.foreign_invoice_reads.extend((client_id, i.invoice_id, request) for i in invoices
                                              if i.created_by_client != client_id)

    def invoice_written(self, tenant: Tenant, invoice: Invoice, created: bool = False) -> None:
        """Every invoice change stamps ``UpdatedDateUTC`` and raises an INVOICE webhook event, as Xero does."""
        invoice.updated = self.clock.now()
        self.webhooks.emit(tenant.tenant_id, "INVOICE", "CREATE" if created else "UPDATE", invoice.invoice_id)

    def contact_written(self, tenant: Tenant, contact: Contact, created: bool) -> None:
        """Every contact write stamps ``UpdatedDateUTC`` and raises a webhook event, as Xero does."""
        contact.updated = self.clock.now()
        self.webhooks.emit(tenant.tenant_id, "CONTACT", "CREATE" if created else "UPDATE", contact.contact_id)
