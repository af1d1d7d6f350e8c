"""The browser side of connecting Xero: /xero/connect → Xero's consent → /xero/callback (→ /xero/choose).

Every answer is a small HTML page (everything variable escaped) or a redirect; every failure — an expired,
replayed or altered link, another browser, a refused consent, Xero being down, a bug — is a friendly page with
what to do next, never a stack trace. Pages are never cached, never framed, and send no Referer (callback and
chooser URLs carry codes and secrets).
"""

from __future__ import annotations

import logging
import secrets
from html import escape

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from settings import Settings
from storage.db import Database
from xero import connection as xc
from xero.connect_link import COOKIE_NAME
from xero.connect_refusals import AGAIN, ConnectRefused, unavailable_message
from xero.oauth import XeroOAuthError

log = logging.getLogger("hourcap.web.xero")

COOKIE_MAX_AGE = 30 * 60
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
}
# Phone first: one column that never scrolls sideways (long names and references wrap), controls at least 44 px
# high with their whole row clickable, and a focus ring that stays visible for keyboard users.
_STYLE = ("*,*::before,*::after{box-sizing:border-box}"
          "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:36rem;margin:0 auto;"
          "padding:2rem 1rem;color:#1d1c1d;line-height:1.5;overflow-wrap:anywhere}"
          "h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}"
          "fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:600;padding:0;margin-bottom:.25rem}"
          ".choice{display:flex;align-items:center;gap:.75rem;min-height:2.75rem;padding:.5rem .75rem;"
          "margin:.5rem 0;border:1px solid #8d8d8d;border-radius:.375rem;cursor:pointer}"
          ".choice:has(input:checked){border-color:#1264a3;background:#eef5fb}"
          ".choice input{width:1.25rem;height:1.25rem;margin:0;flex:none}"
          "button{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1.25rem;margin:.5rem 0;border:0;"
          "border-radius:.375rem;background:#007a5a;color:#fff;cursor:pointer}"
          ":focus-visible{outline:3px solid #1264a3;outline-offset:2px}"
          ".muted{color:#5e5d60;font-size:.9rem}")


def page(title: str, body_html: str, status: int = 200) -> Response:
    """A complete page; `body_html` must already be escaped."""
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{escape(title)} · Hour Cap</title>'
            f"<style>{_STYLE}</style></head><body><main><h1>{escape(title)}</h1>{body_html}</main></body></html>")
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(_HEADERS)
    return response


def message_page(title: str, message: str, status: int) -> Response:
    return page(title, f"<p>{escape(message)}</p>", status)


def refused_page(refused: ConnectRefused) -> Response:
    log.info("Xero connect refused: %s", refused.kind)
    return message_page(refused.title, refused.message, refused.status)


def xero_failed_page(problem: XeroOAuthError) -> Response:
    title, message, status = unavailable_message(problem)
    return message_page(title, message, status)


def bug_page(error: Exception) -> Response:
    reference = secrets.token_hex(4).upper()
    log.error("Xero connect page failed ref=%s: %s", reference, error.__class__.__name__, exc_info=error)
    return message_page("Something went wrong on our side",
                        "Nothing was connected. Please try again from Slack; if it keeps happening, tell your Hour "
                        f"Cap admin the reference {reference}.", 500)


def connected_page(result: xc.Connected) -> Response:
    extra = (" Links to the previous organisation (client contacts, project items and tracking, Xero invoice "
             "defaults) were cleared, because they point into another ledger; run setup again from Slack."
             if result.organisation_changed else "")
    return page(f"Connected to {result.tenant_name}",
                f"<p>Hour Cap is now connected to <strong>{escape(result.tenant_name)}</strong>.{escape(extra)}</p>"
                "<p>You can close this tab and go back to Slack: a message there has the next step.</p>")


def chooser_page(choice: xc.Choice) -> Response:
    """One radio button per organisation (none picked in advance: invoices go to the ledger chosen here), so the
    list reads as one group, is a single Tab stop, and arrow keys or Space pick an organisation."""
    options = "".join(f'<label class="choice"><input type="radio" name="tenant_id" value="{escape(t.tenant_id)}" '
                      f'required><span>{escape(t.tenant_name)}</span></label>' for t in choice.organisations)
    return page("Choose the organisation",
                "<p>You allowed Hour Cap into several Xero organisations. A Slack workspace uses one: which one "
                "should Hour Cap send invoices to?</p>"
                '<form method="post" action="/xero/choose">'
                f'<input type="hidden" name="c" value="{escape(choice.token)}">'
                f"<fieldset><legend>Organisation</legend>{options}</fieldset>"
                '<button type="submit">Connect this organisation</button></form>'
                '<p class="muted">The organisations you do not choose are disconnected from Hour Cap at Xero, '
                "unless another Slack workspace uses them through Hour Cap. This page works for 10 minutes, in "
                "this browser only.</p>")


def create_xero_blueprint(settings: Settings, db: Database) -> Blueprint:
    routes = Blueprint("xero", __name__)
    secure_cookie = (settings.base_url or "").startswith("https://")

    @routes.get("/xero/connect")
    def connect() -> BaseResponse:
        try:
            target = xc.open_link(db, settings, request.args.get("link", ""), request.cookies.get(COOKIE_NAME))
        except ConnectRefused as refused:
            return refused_page(refused)
        except Exception as error:  # noqa: BLE001 - every failure is a page, never a stack trace
            return bug_page(error)
        response = redirect(target.url, code=302)
        response.headers.update(_HEADERS)
        response.set_cookie(COOKIE_NAME, target.cookie, max_age=COOKIE_MAX_AGE, path="/xero", httponly=True,
                            samesite="Lax", secure=secure_cookie)
        return response

    @routes.get("/xero/callback")
    def callback() -> BaseResponse:
        args = request.args
        try:
            outcome = xc.complete_callback(db, settings, state=args.get("state"),
                                           cookie=request.cookies.get(COOKIE_NAME), code=args.get("code"),
                                           error=args.get("error"), error_description=args.get("error_description"))
        except ConnectRefused as refused:
            return refused_page(refused)
        except XeroOAuthError as problem:
            return xero_failed_page(problem)
        except Exception as error:  # noqa: BLE001
            return bug_page(error)
        if isinstance(outcome, xc.ConsentDenied):
            if outcome.error == "access_denied":
                return message_page("Xero was not connected",
                                    "You chose not to allow Hour Cap at Xero, so nothing changed. " + AGAIN, 200)
            detail = f" ({outcome.description})" if outcome.description else ""
            return message_page("Xero did not connect",
                                f"Xero answered “{outcome.error}”{detail}, so nothing changed. " + AGAIN, 400)
        if isinstance(outcome, xc.ChooseOrganisation):
            response = redirect(f"/xero/choose?c={outcome.token}", code=303)
            response.headers.update(_HEADERS)
            return response
        return connected_page(outcome)

    @routes.get("/xero/choose")
    def choose_page() -> Response:
        try:
            return chooser_page(xc.pending_choice(db, request.args.get("c"), request.cookies.get(COOKIE_NAME)))
        except ConnectRefused as refused:
            return refused_page(refused)
        except Exception as error:  # noqa: BLE001
            return bug_page(error)

    @routes.post("/xero/choose")
    def choose() -> Response:
        try:
            result = xc.choose_organisation(db, token=request.form.get("c"),
                                            cookie=request.cookies.get(COOKIE_NAME),
                                            tenant_id=request.form.get("tenant_id"))
        except ConnectRefused as refused:
            return refused_page(refused)
        except Exception as error:  # noqa: BLE001
            return bug_page(error)
        return connected_page(result)

    return routes
