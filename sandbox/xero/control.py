"""Test controls over HTTP (JSON), for tests that run the sandbox in another process.

All under ``/_sandbox``; bodies and answers are JSON; none of these calls is rate limited or recorded.

====== ====================================== =====================================================
GET    /info                                  urls, client id/secret, webhook key, tenant ids
GET    /clock                                 ``{"now": iso}``
POST   /clock/advance                         ``{"seconds": n}``
POST   /consenting-user                       ``{"email", "tenant_ids": [...]}``
POST   /auto-consent                          ``{"enabled": bool}``
POST   /apps                                  ``{"client_id","client_secret","redirect_uris","new_app"}``
POST   /webhook                               ``{"url", "key"?}``
POST   /webhook/intent-to-receive             ``{"rounds"?, "seed"?}`` → ``{"passed", "checks"}``
POST   /webhook/flush                         deliver pending events now → ``{"sent"}``
POST   /webhook/duplicates                    ``{"count": n}``: next n payloads are sent twice
GET    /webhook/deliveries                    what was delivered, with status codes
POST   /tenants/{tid}/contacts/seed           ``{"n", "prefix"?, "archived_every"?}``
POST   /tenants/{tid}/contacts                ``{"name", "status"?, "email"?}`` → ``{"ContactID"}``
POST   /tenants/{tid}/contacts/{cid}/archive
POST   /tenants/{tid}/contacts/{cid}/rename   ``{"name"}``
POST   /tenants/{tid}/disconnect              disconnect "from Xero's side"
GET    /tenants/{tid}/invoices                invoices created
POST   /tenants/{tid}/invoices                ``{"amount", "contact_id"?, "status"?, "reference"?, "n"?, "emit"?}``:
                                              invoices a person made in Xero (no app) → ``{"InvoiceIDs"}``
POST   /tenants/{tid}/invoices/{iid}/submit   DRAFT → SUBMITTED
POST   /tenants/{tid}/invoices/{iid}/approve  ``{"number"?}``: → AUTHORISED (Xero's number, or the one given)
POST   /tenants/{tid}/invoices/{iid}/lines    ``{"lines": [Xero line elements]}``: the accountant edits lines
POST   /tenants/{tid}/invoices/{iid}/pay      ``{"amount"?, "date"?}``: a payment (none: all that is due)
POST   /tenants/{tid}/invoices/{iid}/void     ``{"remove_payments"?}``: AUTHORISED → VOIDED
POST   /tenants/{tid}/invoices/{iid}/delete   DRAFT/SUBMITTED → DELETED
POST   /tenants/{tid}/invoices/{iid}/touch    a change with no visible field changed
POST   /tenants/{tid}/invoices/bulk           ``{"action", "ids"}``: one of the above (no body) for many invoices
GET    /foreign-invoice-reads                 invoices an app was shown that it did not create
DELETE /foreign-invoice-reads                 forget them
POST   /tenants                               ``{"name"}``: one more organisation like the demo company →
                                              ``{"tenant_id"}`` (the consenting user can connect it)
GET    /tenants/{tid}/peak-in-flight          ``{"peak"}``
GET    /stats                                 ``{"rate_limited", "peak_in_flight": {tid: n},
                                              "refreshes_per_token": {digest: n}}``: 429s answered, the
                                              highest concurrency per tenant, refresh calls per refresh token
DELETE /stats/peaks                           forget the peaks
GET    /calls?path_prefix=&tenant_id=         ``{"count", "calls"}``
DELETE /calls                                 forget recorded calls
GET    /token-calls                           counts by grant type
POST   /faults                                ``{"route","kind","count"?,"probability"?,"seed"?,"seconds"?}``
DELETE /faults                                disarm all faults
POST   /alterations                           ``{"collection": "Invoices"|"Contacts", "changes", "count"?}``:
                                              the next created one is stored with those fields changed
DELETE /alterations                           disarm all alterations
POST   /limits                                ``{"per_minute","in_flight","per_day","app_per_minute"}``
POST   /starter-mode                          ``{"enabled": bool}``
POST   /settings                              ``{"idempotency_window_seconds"?, "rounding"?,
"require_pkce"?, "latency_ms"?}`` (latency: Xero's time per admitted API call and token call)
====== ====================================== =====================================================
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .invoice_lifecycle import LifecycleError
from .responses import json_response

if TYPE_CHECKING:
    from .sandbox import XeroSandbox


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def handle(sb: XeroSandbox, request: Request, path: str) -> Response:
    try:
        return _route(sb, request, path.rstrip("/"), _body(request))
    except (ValueError, KeyError, TypeError) as error:
        return json_response({"error": f"{type(error).__name__}: {error}"}, status=400)


def _route(sb: XeroSandbox, request: Request, path: str, body: dict[str, Any]) -> Response:
    method = request.method
    ok = json_response({"ok": True})
    if (method, path) == ("GET", "/info"):
        return json_response(
            {
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
                "webhook_key": sb.webhook_key,
                "login_url": sb.login_url,
                "identity_url": sb.identity_url,
                "token_url": sb.token_url,
                "revocation_url": sb.revocation_url,
                "api_url": sb.api_url,
                "connections_url": sb.connections_url,
                "redirect_uris": sb.app.redirect_uris,
                "demo_tenant_id": sb.tenants.demo_tenant_id,
                "second_tenant_id": sb.tenants.second_tenant_id,
            }
        )
    if (method, path) == ("GET", "/clock"):
        return json_response({"now": sb.clock.now().isoformat()})
    if (method, path) == ("POST", "/clock/advance"):
        return json_response({"now": sb.clock.advance(float(body["seconds"])).isoformat()})
    if (method, path) == ("POST", "/consenting-user"):
        return json_response({"user_id": sb.set_consenting_user(body["email"], list(body["tenant_ids"]))})
    if (method, path) == ("POST", "/auto-consent"):
        sb.auto_consent = bool(body.get("enabled", True))
        return ok
    if (method, path) == ("POST", "/apps"):
        sb.register_app(
            body["client_id"],
            body["client_secret"],
            list(body["redirect_uris"]),
            new_app=bool(body.get("new_app", True)),
        )
        return ok
    if (method, path) == ("POST", "/webhook"):
        sb.set_webhook(body["url"], body.get("key"))
        return ok
    if (method, path) == ("POST", "/webhook/intent-to-receive"):
        result = sb.webhooks.intent_to_receive(int(body.get("rounds", 6)), body.get("seed"))
        return json_response({"passed": result.passed, "checks": [vars(c) for c in result.checks]})
    if (method, path) == ("POST", "/webhook/flush"):
        return json_response({"sent": sb.webhooks.flush()})
    if (method, path) == ("POST", "/webhook/duplicates"):
        sb.webhooks.duplicate_next(int(body.get("count", 1)))
        return ok
    if (method, path) == ("GET", "/webhook/deliveries"):
        return json_response(
            [
                {**{k: v for k, v in vars(d).items() if k != "body"}, "body": d.body.decode("utf-8")}
                for d in sb.webhooks.deliveries
            ]
        )
    if (method, path) == ("GET", "/calls"):
        prefix, tenant = request.args.get("path_prefix"), request.args.get("tenant_id")
        calls = [
            c.as_dict()
            for c in sb.calls
            if c.path.lower().startswith((prefix or "").lower()) and (tenant is None or c.tenant_id == tenant)
        ]
        return json_response({"count": len(calls), "calls": calls})
    if (method, path) == ("GET", "/foreign-invoice-reads"):
        return json_response([{"client_id": c, "invoice_id": i, "request": r} for c, i, r in sb.foreign_invoice_reads])
    if (method, path) == ("DELETE", "/foreign-invoice-reads"):
        sb.forget_foreign_invoice_reads()
        return ok
    if (method, path) == ("DELETE", "/calls"):
        sb.reset_calls()
        return ok
    if (method, path) == ("GET", "/token-calls"):
        return json_response(sb.token_calls)
    if (method, path) == ("POST", "/faults"):
        sb.faults.add(
            body["route"],
            str(body["kind"]),
            body.get("count"),
            body.get("probability"),
            int(body.get("seed", 0)),
            float(body.get("seconds", 1.0)),
            int(body.get("retry_after", 60)),
        )
        return ok
    if (method, path) == ("DELETE", "/faults"):
        sb.faults.clear()
        return ok
    if (method, path) == ("POST", "/alterations"):
        changes = body["changes"]
        if not isinstance(changes, dict):
            raise ValueError("changes is a JSON object")
        count = body.get("count", 1)
        sb.alterations.add(str(body["collection"]), changes, None if count is None else int(count))
        return ok
    if (method, path) == ("DELETE", "/alterations"):
        sb.alterations.clear()
        return ok
    if (method, path) == ("POST", "/limits"):
        sb.set_limits(**{k: int(v) for k, v in body.items()})
        return ok
    if (method, path) == ("POST", "/starter-mode"):
        sb.set_starter_mode(bool(body.get("enabled", True)))
        return ok
    if (method, path) == ("POST", "/settings"):
        if "idempotency_window_seconds" in body:
            sb.idempotency_window_seconds = float(body["idempotency_window_seconds"])
        if "rounding" in body:
            sb.rounding = str(body["rounding"])
        if "require_pkce" in body:
            sb.require_pkce = bool(body["require_pkce"])
        if "latency_ms" in body:
            sb.latency_ms = int(body["latency_ms"])
        return ok
    if (method, path) == ("POST", "/tenants"):
        return json_response({"tenant_id": sb.add_organisation(str(body["name"]))})
    if (method, path) == ("GET", "/stats"):
        return json_response({"rate_limited": sb.rate_limited(), "peak_in_flight": sb.peaks_in_flight(),
                              "refreshes_per_token": sb.refreshes_per_token()})
    if (method, path) == ("DELETE", "/stats/peaks"):
        sb.reset_peaks()
        return ok
    return _tenant_route(sb, method, path, body)


def _tenant_route(sb: XeroSandbox, method: str, path: str, body: dict[str, Any]) -> Response:
    match = re.fullmatch(r"/tenants/([^/]+)(/.*)?", path)
    if not match or match.group(1) not in sb.state.tenants:
        return json_response({"error": "unknown control route or tenant"}, status=404)
    tid, rest = match.group(1), match.group(2) or ""
    if (method, rest) == ("POST", "/contacts/seed"):
        ids = sb.seed_contacts(
            tid,
            int(body["n"]),
            prefix=body.get("prefix", "Seeded Contact"),
            archived_every=int(body.get("archived_every", 0)),
        )
        return json_response({"count": len(ids)})
    if (method, rest) == ("POST", "/contacts"):
        cid = sb.add_contact(
            tid, body["name"], status=body.get("status", "ACTIVE"), email=body.get("email", "")
        )
        return json_response({"ContactID": cid})
    found = re.fullmatch(r"/contacts/([^/]+)/(archive|rename)", rest)
    if method == "POST" and found:
        if found.group(2) == "archive":
            sb.archive_contact(tid, found.group(1))
        else:
            sb.rename_contact(tid, found.group(1), body["name"])
        return json_response({"ok": True})
    if (method, rest) == ("POST", "/disconnect"):
        return json_response({"removed": sb.disconnect_tenant(tid)})
    if (method, rest) == ("GET", "/invoices"):
        return json_response(sb.invoices(tid))
    if rest.startswith("/invoices") and method == "POST":
        return _invoice_route(sb, tid, rest, body)
    if (method, rest) == ("GET", "/peak-in-flight"):
        return json_response({"peak": sb.peak_in_flight(tid)})
    return json_response({"error": "unknown control route"}, status=404)


def _invoice_route(sb: XeroSandbox, tid: str, rest: str, body: dict[str, Any]) -> Response:
    """The accountant's side of an invoice (``sandbox.xero.invoice_lifecycle``); Xero's refusals are 400s."""
    try:
        if rest == "/invoices":
            ids = sb.add_foreign_invoices(
                tid, Decimal(str(body["amount"])), n=int(body.get("n", 1)), contact_id=body.get("contact_id"),
                status=str(body.get("status", "AUTHORISED")), reference=str(body.get("reference", "")),
                emit=bool(body.get("emit", True)))
            return json_response({"InvoiceIDs": ids})
        if rest == "/invoices/bulk":
            done = [sb.change_invoice(tid, str(i), str(body["action"])) for i in body["ids"]]
            return json_response({"changed": len(done)})
        found = re.fullmatch(r"/invoices/([^/]+)/(submit|approve|lines|pay|void|delete|touch)", rest)
        if not found:
            return json_response({"error": "unknown control route"}, status=404)
        invoice_id, action = found.group(1), found.group(2)
        options: dict[str, Any] = {}
        if action == "approve" and body.get("number"):
            options["number"] = str(body["number"])
        if action == "lines":
            options["lines"] = list(body["lines"])
        if action == "pay":
            if body.get("amount") is not None:
                options["amount"] = Decimal(str(body["amount"]))
            if body.get("date"):
                options["day"] = date.fromisoformat(str(body["date"]))
        if action == "void":
            options["remove_payments"] = bool(body.get("remove_payments", False))
        return json_response(sb.change_invoice(tid, invoice_id, action, **options))
    except LifecycleError as error:
        return json_response({"error": str(error)}, status=400)
