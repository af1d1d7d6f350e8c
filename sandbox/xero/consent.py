"""The HTML pages of the login service: consent with organisation chooser, and error pages.

Form contract (kept deliberately plain so scripted clients can drive it):
``<form method="post" action="/identity/connect/authorize/consent">`` with fields
``request_id`` (hidden), ``tenant_id`` (a ``<select>`` listing the user's organisations, first selected;
repeat
the field to connect several), and a submit button ``action`` = ``allow`` (or send ``action=deny``).
"""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

from .models import Tenant

CONSENT_ACTION = "/identity/connect/authorize/consent"


def consent_page(
    request_id: str, app_name: str, email: str, scopes: list[str], tenants: list[Tenant], message: str = ""
) -> Response:
    options = "".join(
        f'<option value="{escape(t.tenant_id)}"{" selected" if i == 0 else ""}>{escape(t.name)}</option>'
        for i, t in enumerate(tenants)
    )
    chooser = (
        f'<label for="tenant_id">Select an organisation</label>'
        f'<select id="tenant_id" name="tenant_id">{options}</select>'
        if len(tenants) > 1
        else f"<p>Organisation: <strong>{escape(tenants[0].name)}</strong></p>"
        f'<input type="hidden" name="tenant_id" value="{escape(tenants[0].tenant_id)}">'
    )
    scope_items = "".join(f"<li>{escape(s)}</li>" for s in scopes)
    warning = f'<p class="error">{escape(message)}</p>' if message else ""
    html = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Xero | Authorise {escape(app_name)}</title></head>
<body>
<h1>{escape(app_name)} wants to access your Xero data</h1>
<p>Signed in as {escape(email)}</p>
{warning}
<ul>{scope_items}</ul>
<form method="post" action="{CONSENT_ACTION}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
{chooser}
<button type="submit" name="action" value="allow">Allow access</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form>
</body></html>"""
    return Response(html, status=400 if message else 200, content_type="text/html; charset=utf-8")


def error_page(error: str, description: str) -> Response:
    """Xero shows an error page (no redirect) when the client or redirect URI cannot be trusted."""
    html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Xero | Error</title></head><body>'
        f"<h1>Sorry, something went wrong</h1><p>Error: {escape(error)}</p><p>{escape(description)}</p>"
        "</body></html>"
    )
    return Response(html, status=400, content_type="text/html; charset=utf-8")
