"""Xero's OAuth scopes. Apps created since 2 March 2026 must use granular scopes (``accounting.invoices`` and
friends); the broad ``accounting.transactions`` scopes are refused at consent for such "new" apps."""

from __future__ import annotations

IDENTITY_SCOPES = {"openid", "profile", "email", "offline_access"}
GRANULAR_SCOPES = {
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
}
COMMON_SCOPES = {
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.reports.read",
    "accounting.journals.read",
    "accounting.budgets.read",
}
BROAD_SCOPES = {"accounting.transactions", "accounting.transactions.read"}
