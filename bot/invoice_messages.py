"""What Slack shows about one invoice, read from the database (used by the Retry/Cancel buttons and the notify task)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.views.invoice_status import InvoiceView
from bot.views.invoice_xero_state import XeroFacts
from formats import Formats
from invoicing.push_status import CHECK_HINT, hint_for
from storage.models import Client, Invoice, InvoiceStatus
from team.formats import workspace_formats


def invoice_view(session: Session, invoice: Invoice) -> InvoiceView:
    client = session.get(Client, invoice.client_id)
    message = invoice.error_message
    formats = workspace_formats(session, invoice.workspace_id)
    hint = (hint_for(message) if invoice.status == InvoiceStatus.FAILED
            else CHECK_HINT if invoice.status == InvoiceStatus.CHECK_IN_XERO else None)
    return InvoiceView(
        invoice_id=invoice.id, reference=invoice.reference, status=invoice.status,
        client_name=client.name if client is not None else "(deleted client)", total=invoice.total,
        subtotal=invoice.subtotal, line_amount_type=invoice.line_amount_type, currency=invoice.currency,
        xero_number=invoice.xero_invoice_number, xero_url=invoice.xero_url, xero_total=invoice.xero_total,
        error_message=message, hint=hint,
        push_attempt=invoice.push_attempt, xero=xero_facts(invoice, formats), formats=formats,
    )


def xero_facts(invoice: Invoice, formats: Formats) -> XeroFacts | None:
    """What Xero last said of the invoice (None until Hour Cap has read it back), its amounts in its currency."""
    if invoice.xero_status is None:
        return None
    return XeroFacts(invoice.xero_status, invoice.xero_invoice_number, invoice.xero_due_date, invoice.xero_total,
                     invoice.xero_subtotal, invoice.xero_amount_due, invoice.xero_amount_paid, invoice.xero_paid_on,
                     invoice.release_state, invoice.total, invoice.subtotal, formats.with_currency(invoice.currency))
