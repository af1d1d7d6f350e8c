"""``XeroSandbox``: start/stop the stand-in and drive or inspect it from Python.

Typical use::

    with XeroSandbox(seed=True) as xero:
        xero.auto_consent = True
        ...  # point the client at xero.login_url, xero.identity_url, xero.api_url, xero.connections_url
        assert xero.call_count("/api.xro/2.0/Invoices", xero.tenants.demo_tenant_id) == 1
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import invoice_lifecycle as lifecycle
from .clock import SandboxClock
from .invoices import invoice_json
from .models import Contact, Invoice, new_id
from .oauth_store import IdentityStore, OAuthApp, User
from .ratelimit import Limits, RateLimiter
from .seed import DEMO_TENANT_ID, SECOND_TENANT_ID, bulk_contacts, demo_company, second_company
from .server import HttpServer, SandboxApp
from .state import Call, SandboxState
from .webhooks import WebhookSender

DEFAULT_REDIRECT_URIS = ["http://localhost:8000/xero/callback", "http://127.0.0.1:8000/xero/callback"]
DEFAULT_USER_EMAIL = "owner@demo.example"


@dataclass(frozen=True)
class SeededTenants:
    demo_tenant_id: str = DEMO_TENANT_ID
    second_tenant_id: str = SECOND_TENANT_ID


class XeroSandbox:
    """Xero's identity + accounting APIs, rate limits, faults and webhooks on a loopback port."""

    def __init__(
        self,
        *,
        seed: bool = True,
        clock: SandboxClock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
        webhook_key: str | None = None,
        auto_consent: bool = False,
    ) -> None:
        self.clock = clock or SandboxClock()
        self._host, self._port = host, port
        self.tenants = SeededTenants()
        self.state = SandboxState(
            clock=self.clock,
            identity=IdentityStore(self.clock, issuer=lambda: self.identity_url),
            limiter=RateLimiter(self.clock, Limits()),
            webhooks=WebhookSender(self.clock, resource_base=lambda: self.api_url),
        )
        if webhook_key:
            self.state.webhooks.key = webhook_key
        self.state.settings.auto_consent = auto_consent
        if seed:
            now = self.clock.now()
            for tenant in (demo_company(now), second_company(now)):
                self.state.tenants[tenant.tenant_id] = tenant
        self.app: OAuthApp = self.register_app(
            client_id or secrets.token_hex(16).upper(),
            client_secret or secrets.token_urlsafe(36),
            redirect_uris or list(DEFAULT_REDIRECT_URIS),
            new_app=True,
        )
        self.set_consenting_user(DEFAULT_USER_EMAIL, list(self.state.tenants))
        self._server: HttpServer | None = None

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> XeroSandbox:
        self._server = HttpServer(SandboxApp(self), self._host, self._port)
        self.state.base_url = f"http://{self._host}:{self._server.port}"
        self._server.start()
        self.state.webhooks.start()
        return self

    def stop(self) -> None:
        self.state.webhooks.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> XeroSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.state.base_url

    @property
    def port(self) -> int:
        return self._server.port if self._server else self._port

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/identity/connect/authorize"

    @property
    def identity_url(self) -> str:
        return self.state.identity_url

    @property
    def token_url(self) -> str:
        return f"{self.identity_url}/connect/token"

    @property
    def revocation_url(self) -> str:
        return f"{self.identity_url}/connect/revocation"

    @property
    def api_url(self) -> str:
        return self.state.api_url

    @property
    def connections_url(self) -> str:
        return f"{self.base_url}/connections"

    # -- OAuth apps and consent -------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def client_secret(self) -> str:
        return self.app.client_secret

    def register_app(
        self, client_id: str, client_secret: str, redirect_uris: list[str], *, new_app: bool = True
    ) -> OAuthApp:
        """Register an OAuth app; ``new_app`` apps (created after 2 March 2026) may not ask broad scopes."""
        return self.state.identity.register_app(client_id, client_secret, redirect_uris, new_app=new_app)

    def set_consenting_user(self, email: str, tenant_ids: list[str]) -> str:
        """Who is "logged in" at the authorize page, and which organisations they can connect."""
        identity = self.state.identity
        with identity.lock:
            user = next((u for u in identity.users.values() if u.email == email), None)
            if user is None:
                user = User(new_id(), email, [])
                identity.users[user.user_id] = user
            user.tenant_ids = list(tenant_ids)
            self.state.consenting_user_id = user.user_id
            return user.user_id

    @property
    def auto_consent(self) -> bool:
        return self.state.settings.auto_consent

    @auto_consent.setter
    def auto_consent(self, value: bool) -> None:
        self.state.settings.auto_consent = bool(value)

    @property
    def require_pkce(self) -> bool:
        return self.state.settings.require_pkce

    @require_pkce.setter
    def require_pkce(self, value: bool) -> None:
        self.state.settings.require_pkce = bool(value)

    @property
    def token_calls(self) -> dict[str, int]:
        """Token-endpoint calls by grant type (``authorization_code``, ``refresh_token``, …)."""
        with self.state.identity.lock:
            return dict(self.state.identity.token_calls)

    def disconnect_tenant(self, tenant_id: str) -> int:
        """The organisation disconnects the app "from Xero's side"; tokens keep refreshing."""
        return self.state.identity.disconnect_tenant(tenant_id)

    def refreshes_per_token(self) -> dict[str, int]:
        """Refresh-grant calls per refresh token presented (a digest of each): 1 each when refresh is single-flight."""
        with self.state.identity.lock:
            return dict(self.state.identity.refreshes_per_token)

    # -- webhooks ---------------------------------------------------------------------------------------
    @property
    def webhooks(self) -> WebhookSender:
        return self.state.webhooks

    @property
    def webhook_key(self) -> str:
        return self.state.webhooks.key

    def set_webhook(self, url: str, key: str | None = None) -> None:
        """Point deliveries at ``url`` (status OK at once; run ``webhooks.intent_to_receive()`` to verify)."""
        self.state.webhooks.configure(url, key)

    # -- data -------------------------------------------------------------------------------------------
    def add_organisation(self, name: str) -> str:
        """A further organisation like the demo company (its own id, contacts and invoices), connectable by the
        consenting user; returns its tenant id."""
        with self.state.data_lock:
            tenant = demo_company(self.clock.now(), tenant_id=new_id(), name=name)
            self.state.tenants[tenant.tenant_id] = tenant
        with self.state.identity.lock:
            user = self.state.current_user()
            user.tenant_ids = [*user.tenant_ids, tenant.tenant_id]
        return tenant.tenant_id

    def seed_contacts(
        self, tenant_id: str, n: int, *, prefix: str = "Seeded Contact", archived_every: int = 0
    ) -> list[str]:
        """Add ``n`` contacts quickly (no webhooks); returns their ids."""
        with self.state.data_lock:
            made = bulk_contacts(
                self.state.tenants[tenant_id],
                n,
                self.clock.now(),
                prefix=prefix,
                archived_every=archived_every,
            )
        return [c.contact_id for c in made]

    def add_contact(
        self, tenant_id: str, name: str, *, status: str = "ACTIVE", email: str = "", contact_number: str = ""
    ) -> str:
        """A contact created "in Xero" by someone else (emits a CONTACT CREATE event)."""
        with self.state.data_lock:
            tenant = self.state.tenants[tenant_id]
            contact = Contact(
                new_id(), name, self.clock.now(), status=status, email=email, contact_number=contact_number
            )
            tenant.contacts[contact.contact_id] = contact
            self.state.contact_written(tenant, contact, created=True)
            return contact.contact_id

    def archive_contact(self, tenant_id: str, contact_id: str) -> None:
        self._update_contact(tenant_id, contact_id, status="ARCHIVED")

    def rename_contact(self, tenant_id: str, contact_id: str, name: str) -> None:
        self._update_contact(tenant_id, contact_id, name=name)

    def _update_contact(self, tenant_id: str, contact_id: str, **changes: Any) -> None:
        with self.state.data_lock:
            tenant = self.state.tenants[tenant_id]
            contact = tenant.contacts[contact_id]
            for attr, value in changes.items():
                setattr(contact, attr, value)
            self.state.contact_written(tenant, contact, created=False)

    def contacts(self, tenant_id: str) -> list[Contact]:
        with self.state.data_lock:
            return list(self.state.tenants[tenant_id].contacts.values())

    def invoices(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every invoice in the organisation, as Xero's JSON (Decimal amounts)."""
        with self.state.data_lock:
            tenant = self.state.tenants[tenant_id]
            return [invoice_json(tenant, inv, unitdp=4) for inv in tenant.invoices.values()]

    def add_foreign_invoices(self, tenant_id: str, amount: Decimal, *, n: int = 1, contact_id: str | None = None,
                             status: str = "AUTHORISED", reference: str = "", emit: bool = True) -> list[str]:
        """Invoices made in Xero by a person (no app created them); returns their ids."""
        with self.state.data_lock:
            tenant = self.state.tenants[tenant_id]
            contact = contact_id or next(iter(tenant.contacts))
            return [lifecycle.add_foreign(self.state, tenant, contact_id=contact, amount=amount, status=status,
                                          reference=reference, emit=emit).invoice_id for _ in range(n)]

    def change_invoice(self, tenant_id: str, invoice_id: str, action: str, **options: Any) -> dict[str, Any]:
        """The accountant's change (``submit``, ``approve``, ``lines``, ``pay``, ``void``, ``delete``, ``touch``;
        see ``invoice_lifecycle``); returns the invoice as Xero's JSON. Raises ``LifecycleError`` as Xero refuses."""
        actions: dict[str, Callable[..., Invoice]] = {
            "submit": lifecycle.submit, "approve": lifecycle.approve, "lines": lifecycle.edit_lines,
            "pay": lifecycle.pay, "void": lifecycle.void, "delete": lifecycle.delete, "touch": lifecycle.touch}
        if action not in actions:
            raise lifecycle.LifecycleError(f"unknown invoice action {action!r}")
        with self.state.data_lock:
            tenant = self.state.tenants[tenant_id]
            invoice = actions[action](self.state, tenant, invoice_id, **options)
            return invoice_json(tenant, invoice, unitdp=4)

    @property
    def foreign_invoice_reads(self) -> list[tuple[str, str, str]]:
        """(app's client id, invoice id, request) for every invoice an app was shown that it did not create."""
        with self.state.calls_lock:
            return list(self.state.foreign_invoice_reads)

    def forget_foreign_invoice_reads(self) -> None:
        with self.state.calls_lock:
            self.state.foreign_invoice_reads.clear()

    # -- inspection and limits --------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self.state.calls_lock:
            return list(self.state.calls)

    def call_count(self, path_prefix: str | None = None, tenant_id: str | None = None) -> int:
        prefix = (path_prefix or "").lower()
        return sum(
            1
            for c in self.calls
            if c.path.lower().startswith(prefix)
            and (tenant_id is None or (c.tenant_id or "").lower() == tenant_id.lower())
        )

    def reset_calls(self) -> None:
        with self.state.calls_lock:
            self.state.calls.clear()

    def peak_in_flight(self, tenant_id: str) -> int:
        return self.state.limiter.peak(tenant_id)

    def peaks_in_flight(self) -> dict[str, int]:
        """Highest number of concurrent calls seen per tenant (since the start or `reset_peaks`)."""
        return self.state.limiter.peaks()

    def reset_peaks(self) -> None:
        self.state.limiter.reset_peaks()

    def rate_limited(self, tenant_id: str | None = None) -> int:
        """Calls answered 429 (for one tenant, or all): Xero's limits refused them."""
        return sum(1 for c in self.calls if c.status == 429
                   and (tenant_id is None or (c.tenant_id or "").lower() == tenant_id.lower()))

    @property
    def latency_ms(self) -> int:
        """Xero's own time per call, added to every admitted API call and every token call (0: none)."""
        return round(self.state.settings.latency_seconds * 1000)

    @latency_ms.setter
    def latency_ms(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency_ms is 0 or more")
        self.state.settings.latency_seconds = ms / 1000

    @property
    def faults(self) -> Any:
        return self.state.faults

    @property
    def alterations(self) -> Any:
        """``alterations.add("Invoices", {"Total": "1210.00"})``: the next created invoice is stored that way."""
        return self.state.alterations

    def set_limits(
        self, per_minute: int = 60, in_flight: int = 5, per_day: int = 5000, app_per_minute: int = 10000
    ) -> None:
        self.state.limiter.limits = Limits(per_minute, in_flight, per_day, app_per_minute)

    def set_starter_mode(self, on: bool = True) -> None:
        """Xero's Starter plan: 1,000 calls a day per tenant."""
        self.state.limiter.limits.per_day = 1000 if on else 5000
        for tenant in self.state.tenants.values():
            tenant.org_class = "STARTER" if on else "STANDARD"

    @property
    def idempotency_window_seconds(self) -> float:
        return self.state.idempotency.window_seconds

    @idempotency_window_seconds.setter
    def idempotency_window_seconds(self, seconds: float) -> None:
        self.state.idempotency.window_seconds = float(seconds)

    @property
    def rounding(self) -> str:
        """``half_up`` (default) or ``half_even``: Xero's choice is unconfirmed."""
        return self.state.settings.rounding

    @rounding.setter
    def rounding(self, mode: str) -> None:
        if mode not in ("half_up", "half_even"):
            raise ValueError("rounding is half_up or half_even")
        self.state.settings.rounding = mode
