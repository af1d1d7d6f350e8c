"""The HTML pages of the login service: consent with organisation chooser, and error pages.

Form contract (kept deliberately plain so scripted clients can drive it):
``<form method="post" action="/identity/connect/authorize/consent">`` with fields
``request_id`` (hidden), ``tenant_id`` (one checkbox per organisation when the user has several, the first
checked — each checked box repeats the field, so one consent can connect several; a hidden field when there is
one), and submit buttons ``action`` = ``allow`` (the first, so Enter allows) or ``action`` = ``deny``.

The page is usable in a real browser too, at phone width and by keyboard alone: every checkbox is labelled by
its organisation's name inside a fieldset whose legend says what it is for.
"""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

from .models import Tenant

CONSENT_ACTION = "/identity/connect/authorize/consent"


_STYLE = (
    "*,*::before,*::after{box-sizing:border-box}"
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:0 auto;padding:1.5rem 1rem;color:#222;"
    "line-height:1.5;overflow-wrap:anywhere}"
    "h1{font-size:1.4rem;line-height:1.25}fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:600;padding:0}"
    ".org{display:flex;align-items:center;gap:.75rem;min-height:2.75rem;padding:.5rem .75rem;margin:.5rem 0;"
    "border:1px solid #8d8d8d;border-radius:.375rem}.org input{width:1.25rem;height:1.25rem;margin:0;flex:none}"
    "button{font:inherit;min-height:2.75rem;padding:.5rem 1.25rem;margin:.5rem .5rem .5rem 0;border-radius:.375rem;"
    "border:1px solid #13b5ea;background:#fff;color:#0b5f7d}button[value=allow]{background:#0b6e99;color:#fff}"
    ":focus-visible{outline:3px solid #0b5f7d;outline-offset:2px}.error{color:#a00;font-weight:600}"
)


def _page(title: str, body: str, status: int) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def consent_page(
    request_id: str, app_name: str, email: str, scopes: list[str], tenants: list[Tenant], message: str = ""
) -> Response:
    boxes = "".join(
        f'<label class="org"><input type="checkbox" name="tenant_id" value="{escape(t.tenant_id)}"'
        f'{" checked" if i == 0 else ""}><span>{escape(t.name)}</span></label>'
        for i, t in enumerate(tenants)
    )
    chooser = (
        f"<fieldset><legend>Organisations to connect</legend>{boxes}</fieldset>"
        if len(tenants) > 1
        else f"<p>Organisation: <strong>{escape(tenants[0].name)}</strong></p>"
        f'<input type="hidden" name="tenant_id" value="{escape(tenants[0].tenant_id)}">'
    )
    scope_items = "".join(f"<li>{escape(s)}</li>" for s in scopes)
    warning = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = f"""<h1>{escape(app_name)} wants to access your Xero data</h1>
<p>Signed in as {escape(email)}</p>
{warning}
<p>It asks for:</p>
<ul>{scope_items}</ul>
<form method="post" action="{CONSENT_ACTION}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
{chooser}
<button type="submit" name="action" value="allow">Allow access</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form>"""
    return _page(f"Xero | Authorise {app_name}", body, 400 if message else 200)


def error_page(error: str, description: str) -> Response:
    """Xero shows an error page (no redirect) when the client or redirect URI cannot be trusted."""
    body = f"<h1>Sorry, something went wrong</h1><p>Error: {escape(error)}</p><p>{escape(description)}</p>"
    return _page("Xero | Error", body, 400)
