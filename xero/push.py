"""One invoice to Xero as a DRAFT: the request body, the call, the answer, and the lookup that prevents duplicates.

Why this is more than `client.put(...)`:

- Money must reach Xero exactly. httpx's `json=` goes through `json.dumps`, which cannot encode `Decimal`, and a
  float (`150.1` → 150.09999…) is not what we computed. `encode_json` writes every `Decimal` as a JSON number in
  its exact decimal form, and the body is sent as bytes.
- `summarizeErrors=false` makes Xero answer 200 with a verdict per element (`StatusAttributeString`, `HasErrors`,
  `ValidationErrors`); without it one bad element turns the whole call into a 400 while good ones may still be
  created. So a 200 is not success: `created_from` reads the element's own verdict.
- The `Idempotency-Key` only covers quick retries (Xero keeps keys for minutes). After an ambiguous failure —
  a timeout, a dropped connection, a worker killed mid-call — the invoice may exist in Xero, so before any
  re-create the caller asks `find_by_reference`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx2

from xero.client import MAX_IDEMPOTENCY_KEY, XeroClient

log = logging.getLogger(__name__)

INVOICES_PATH = "/Invoices"
PUT_PARAMS = {"summarizeErrors": "false", "unitdp": "4"}
DEEP_LINK = ("https://go.xero.com/organisationlogin/default.aspx?shortcode={short_code}"
             "&redirecturl=/AccountsReceivable/View.aspx?InvoiceID={invoice_id}")
# Without the organisation's short code Xero cannot pick the organisation; this opens the invoice in whichever
# organisation the person last used (correct for the usual one-organisation user).
DEEP_LINK_NO_SHORTCODE = "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={invoice_id}"
GONE_STATUSES = {"DELETED", "VOIDED"}


# -- what we send -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str | None = None
    tax_type: str | None = None
    item_code: str | None = None
    tracking: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class DraftInvoice:
    """Everything the push sends, read from our invoice row (the database is the source of truth)."""

    workspace_id: int
    invoice_id: int
    push_attempt: int
    contact_id: str
    invoice_date: date
    due_date: date
    line_amount_type: str
    reference: str
    lines: Sequence[DraftLine]
    branding_theme_id: str | None = None


def idempotency_key(workspace_id: int, invoice_id: int, push_attempt: int) -> str:
    """Same invoice and attempt generation → same key, so a quick re-send replays instead of creating again."""
    key = f"hourcap-inv-{workspace_id}-{invoice_id}-{push_attempt}"
    assert len(key) <= MAX_IDEMPOTENCY_KEY
    return key


def line_item(line: DraftLine) -> dict[str, Any]:
    """One ``LineItems`` element, numbers kept as Decimal (encoded as JSON numbers, never float). ``LineAmount`` and
    ``TaxAmount`` are left for Xero to compute: every line is exact (``invoicing.lines.Line``), so Xero's figures
    equal ours and the push compares the returned totals instead of overriding anything."""
    item: dict[str, Any] = {"Description": line.description, "Quantity": line.quantity,
                            "UnitAmount": line.unit_amount}
    if line.account_code:
        item["AccountCode"] = line.account_code
    if line.tax_type:
        item["TaxType"] = line.tax_type
    if line.item_code:
        item["ItemCode"] = line.item_code
    tracking = [{"Name": str(t["Name"]), "Option": str(t["Option"])} for t in line.tracking
                if t.get("Name") and t.get("Option")]
    if tracking:
        item["Tracking"] = tracking
    return item


def invoice_payload(draft: DraftInvoice) -> dict[str, Any]:
    """Xero's invoice element. `Contact` carries only the id: any other field would update the contact."""
    element: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": draft.contact_id},
        "Date": draft.invoice_date.isoformat(),
        "DueDate": draft.due_date.isoformat(),
        "LineAmountTypes": draft.line_amount_type,
        "Reference": draft.reference,
        "Status": "DRAFT",
    }
    if draft.branding_theme_id:
        element["BrandingThemeID"] = draft.branding_theme_id
    element["LineItems"] = [line_item(line) for line in draft.lines]
    return {"Invoices": [element]}


def encode_json(value: Any) -> bytes:
    """JSON with every `Decimal` written exactly (`Decimal("150.10")` → `150.10`), never through a float."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} to Xero")
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not sent to Xero: use Decimal")
    return json.dumps(value, ensure_ascii=False)


# -- what Xero says ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class XeroDraft:
    """Xero's copy of the invoice: its id and number, and what it holds — status, contact, reference, amount
    type, line amounts and the totals it computed — for `xero.push_check` to compare with what was sent.
    `line_amounts` is None when the answer carried no line items (Xero's invoice lists leave them out)."""

    invoice_id: str
    number: str
    reference: str
    status: str
    contact_id: str | None
    subtotal: Decimal | None
    total_tax: Decimal | None
    total: Decimal | None
    warnings: tuple[str, ...] = ()
    contact_name: str | None = None
    line_amount_type: str | None = None
    line_amounts: tuple[Decimal | None, ...] | None = None


class DraftRefused(Exception):  # noqa: N818 - reads as what happened
    """Xero answered 200 but refused this element (`HasErrors`); `messages` are Xero's own words."""

    def __init__(self, messages: list[str], correlation_id: str | None = None) -> None:
        self.messages = [m for m in messages if m] or ["Xero refused the invoice without saying why"]
        super().__init__("; ".join(self.messages))
        self.correlation_id = correlation_id


class UnexpectedAnswer(Exception):
    """A 2xx whose body is not the envelope we asked for: treated as ambiguous (the draft may exist)."""


def parse_body(response: httpx2.Response) -> dict[str, Any]:
    """Xero's JSON with numbers as `Decimal` (a float would blur the totals we compare)."""
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise UnexpectedAnswer(f"Xero answered {response.status_code} with a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise UnexpectedAnswer("Xero's answer is not a JSON object")
    return body


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _line_amounts(element: dict[str, Any]) -> tuple[Decimal | None, ...] | None:
    lines = element.get("LineItems")
    if not isinstance(lines, list):
        return None
    return tuple(_decimal(line.get("LineAmount")) if isinstance(line, dict) else None for line in lines)


def draft_from(element: dict[str, Any]) -> XeroDraft:
    contact = element.get("Contact") if isinstance(element.get("Contact"), dict) else {}
    warnings = tuple(str(w.get("Message")) for w in element.get("Warnings") or [] if isinstance(w, dict))
    return XeroDraft(
        invoice_id=str(element.get("InvoiceID") or ""),
        number=str(element.get("InvoiceNumber") or ""),
        reference=str(element.get("Reference") or ""),
        status=str(element.get("Status") or ""),
        contact_id=str(contact.get("ContactID")) if contact and contact.get("ContactID") else None,
        subtotal=_decimal(element.get("SubTotal")),
        total_tax=_decimal(element.get("TotalTax")),
        total=_decimal(element.get("Total")),
        warnings=warnings,
        contact_name=str(contact.get("Name")) if contact and contact.get("Name") is not None else None,
        line_amount_type=str(element["LineAmountTypes"]) if element.get("LineAmountTypes") else None,
        line_amounts=_line_amounts(element),
    )


def created_from(response: httpx2.Response) -> XeroDraft:
    """The one element's verdict: a created draft, `DraftRefused` with Xero's messages, or `UnexpectedAnswer`."""
    body = parse_body(response)
    elements = body.get("Invoices")
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        raise UnexpectedAnswer("Xero's answer does not hold exactly one invoice")
    element = elements[0]
    verdict = str(element.get("StatusAttributeString") or "").upper()
    if element.get("HasErrors") or verdict == "ERROR" or element.get("ValidationErrors"):
        messages = [str(e.get("Message")) for e in element.get("ValidationErrors") or []
                    if isinstance(e, dict) and e.get("Message")]
        raise DraftRefused(messages, response.headers.get("Xero-Correlation-Id"))
    draft = draft_from(element)
    if not draft.invoice_id:
        raise UnexpectedAnswer("Xero's answer has no InvoiceID")
    if verdict == "WARNING" or draft.warnings:
        log.info("xero created invoice %s with warnings: %s", draft.invoice_id, "; ".join(draft.warnings))
    return draft


# -- calls ------------------------------------------------------------------------------------------------------
def create_draft(client: XeroClient, draft: DraftInvoice) -> XeroDraft:
    """`PUT /Invoices?summarizeErrors=false&unitdp=4` with the attempt's `Idempotency-Key`.

    Raises the client's typed errors (429 → `RateLimited`, 5xx/timeouts → `XeroTransient`, 400 →
    `XeroValidationError`), `DraftRefused` for an element Xero refused, `UnexpectedAnswer` for a garbled 2xx.
    """
    response = client.put(
        INVOICES_PATH,
        params=PUT_PARAMS,
        content=encode_json(invoice_payload(draft)),
        headers={"Content-Type": "application/json"},
        idempotency_key=idempotency_key(draft.workspace_id, draft.invoice_id, draft.push_attempt),
    )
    return created_from(response)


def reference_filter(reference: str) -> str:
    """`Reference=="…"` with the quote and backslash escaped, so a reference can never break the filter."""
    escaped = reference.replace("\\", "\\\\").replace('"', '\\"')
    return f'Reference=="{escaped}"'


def find_by_reference(client: XeroClient, reference: str, contact_id: str) -> XeroDraft | None:
    """Our invoice in Xero if an earlier attempt created it: same reference, same contact, a sales invoice that
    was not deleted or voided. Someone else's invoice with the same reference for another contact is not ours."""
    response = client.get(INVOICES_PATH, params={"where": reference_filter(reference)})
    body = parse_body(response)
    found = [draft_from(e) for e in body.get("Invoices") or [] if isinstance(e, dict)
             and str(e.get("Type") or "ACCREC").upper() == "ACCREC"]
    ours = [d for d in found if d.reference == reference and d.status.upper() not in GONE_STATUSES
            and (d.contact_id is None or d.contact_id.lower() == contact_id.lower())]
    if len(ours) > 1:
        log.error("xero holds %d invoices with reference %r for contact %s: %s", len(ours), reference, contact_id,
                  ", ".join(d.invoice_id for d in ours))
    return ours[0] if ours else None


def deep_link(invoice_id: str, short_code: str | None) -> str:
    """Xero's deep link to the draft; the short code starts with `!`, so it is URL-encoded."""
    if not short_code:
        return DEEP_LINK_NO_SHORTCODE.format(invoice_id=quote(invoice_id, safe=""))
    return DEEP_LINK.format(short_code=quote(short_code, safe=""), invoice_id=quote(invoice_id, safe=""))
